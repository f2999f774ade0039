import assert from "node:assert/strict";
import { OnBehalfOfError } from "../../lib/index.js";

/** Awaits a rejection with an OnBehalfOfError of `code`, and returns it. */
export async function rejectsWithCode(
  promise: Promise<unknown>,
  code: string,
): Promise<OnBehalfOfError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OnBehalfOfError, `expected OnBehalfOfError, got ${String(error)}`);
    assert.equal(error.code, code);
    return error;
  }
  assert.fail(`expected a rejection with ${code}`);
}
