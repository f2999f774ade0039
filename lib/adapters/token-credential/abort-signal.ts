import type { AbortSignalLike } from "./token-credential-types.js";

/** A standard `AbortSignal` following an Azure `AbortSignalLike`, and how to stop following it. @internal */
export interface FollowedSignal {
  readonly signal: AbortSignal | undefined;
  readonly release: () => void;
}

/**
 * Returns the signal itself when it is a standard `AbortSignal`, otherwise a standard signal that
 * aborts when it does. Call `release` when done, to remove the listener.
 *
 * @param like - the signal an Azure SDK passed, if any
 * @internal
 */
export function followAbortSignal(like: AbortSignalLike | undefined): FollowedSignal {
  const release = (): void => undefined;
  if (like === undefined || like instanceof AbortSignal) return { signal: like, release };
  const controller = new AbortController();
  const reason = (): unknown => (like as { reason?: unknown }).reason;
  if (like.aborted) {
    controller.abort(reason());
    return { signal: controller.signal, release };
  }
  const onAbort = (): void => {
    controller.abort(reason());
  };
  like.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      like.removeEventListener("abort", onAbort);
    },
  };
}
