import assert from "node:assert/strict";
import { inspect } from "node:util";
import { OnBehalfOfError, type OnBehalfOfErrorCode } from "../../../lib/util/errors.js";

/**
 * Awaits a rejection with an `OnBehalfOfError` of `code` whose message matches `message`, and checks
 * that neither the message nor the inspected error (cause included) contains the token.
 */
export async function refused(
  promise: Promise<unknown>,
  token: string,
  code: OnBehalfOfErrorCode,
  message: RegExp,
): Promise<OnBehalfOfError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof OnBehalfOfError,
    `expected an OnBehalfOfError, got ${String(caught)}`,
  );
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, message);
  const signature = token.split(".")[2] ?? "";
  const shown = `${caught.message}\n${inspect(caught, { depth: 5 })}`;
  if (token !== "") assert.ok(!shown.includes(token), "the error shows the token");
  if (signature.length > 8) assert.ok(!shown.includes(signature), "the error shows the signature");
  return caught;
}

/** Expects a synchronous `ERR_OBO_CONFIGURATION` naming `option`. */
export function misconfigured(fn: () => unknown, option: string, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof OnBehalfOfError, String(error));
    assert.equal(error.code, "ERR_OBO_CONFIGURATION", error.message);
    assert.equal(error.option, option, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}
