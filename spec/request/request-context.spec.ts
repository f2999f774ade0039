import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { currentUserAssertion, runWithUserAssertion } from "../../lib/index.js";

describe("request context", () => {
  it("is empty outside a request", () => {
    assert.equal(currentUserAssertion(), undefined);
  });

  it("keeps concurrent requests apart across awaits and timers", async () => {
    const seen = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        runWithUserAssertion(`token-${i}`, async () => {
          await sleep(i % 5);
          const afterTimer = currentUserAssertion();
          await Promise.resolve();
          return [afterTimer, currentUserAssertion()];
        }),
      ),
    );
    seen.forEach(([a, b], i) => {
      assert.equal(a, `token-${i}`);
      assert.equal(b, `token-${i}`);
    });
  });
});
