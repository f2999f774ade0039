/** Whether a value is a thenable (a promise, or anything with `then`). @internal */
export function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === "function";
}

/**
 * Settles like `work`, unless `signal` fires first: then it rejects with `reason()`. The
 * listener is removed afterwards, and a later rejection of `work` is not left unhandled.
 *
 * @internal
 */
export async function raceSignal<T>(
  work: Promise<T>,
  signal: AbortSignal,
  reason: () => Error,
): Promise<T> {
  work.catch(() => undefined);
  if (signal.aborted) throw reason();
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    onAbort = () => {
      reject(reason());
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stop]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}
