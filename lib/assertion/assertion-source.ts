import type { UserAssertionAccessor } from "../options/provider-options.js";
import { currentUserAssertion } from "../request/request-context.js";
import { OnBehalfOfError } from "../util/errors.js";
import { isPromiseLike } from "../util/promises.js";
import { cleanUserAssertion } from "./user-assertion.js";

function accessorFailed(cause: unknown): OnBehalfOfError {
  return new OnBehalfOfError(
    "ERR_OBO_USER_ASSERTION_MISSING",
    "getUserAssertion failed, so there is no incoming access token to exchange.",
    { cause },
  );
}

function clean(raw: unknown, accessor: UserAssertionAccessor | undefined): string {
  const assertion = cleanUserAssertion(raw);
  if (assertion === undefined) {
    throw new OnBehalfOfError(
      "ERR_OBO_USER_ASSERTION_MISSING",
      accessor === undefined
        ? "No incoming access token for this request. Run the request inside runWithUserAssertion() " +
            "(or the validation middleware), or give the provider a getUserAssertion option."
        : "getUserAssertion returned no incoming access token for this request.",
    );
  }
  return assertion;
}

/**
 * The caller's user assertion, without `Bearer `: the per-request one, or the accessor's (by
 * default the request context's). Synchronous when the accessor answers synchronously, so a cache
 * hit creates no promise here.
 *
 * @param perRequest - the request's `userAssertion` option, if any
 * @param accessor - the provider's `getUserAssertion`, if any
 * @throws {@link OnBehalfOfError} `ERR_OBO_USER_ASSERTION_MISSING`
 * @internal
 */
export function readUserAssertion(
  perRequest: string | undefined,
  accessor: UserAssertionAccessor | undefined,
): string | Promise<string> {
  if (perRequest !== undefined) return clean(perRequest, accessor);
  let value: ReturnType<UserAssertionAccessor>;
  try {
    value = (accessor ?? currentUserAssertion)();
  } catch (cause) {
    throw accessorFailed(cause);
  }
  if (!isPromiseLike(value)) return clean(value, accessor);
  return Promise.resolve(value).then(
    (raw) => clean(raw, accessor),
    (cause: unknown) => {
      throw accessorFailed(cause);
    },
  );
}
