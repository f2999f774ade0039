import assert from "node:assert/strict";
import { MemoryTokenCache } from "../../lib/cache/memory-token-cache.js";
import type { CachedToken } from "../../lib/cache/token-cache.js";

function entry(expiresAt: number, token = "t"): CachedToken {
  return { accessToken: token, expiresAt, refreshAt: expiresAt };
}

describe("MemoryTokenCache", () => {
  it("evicts the least recently used entry beyond maxEntries", () => {
    const cache = new MemoryTokenCache({ maxEntries: 3 });
    const later = Date.now() + 60_000;
    for (const key of ["a", "b", "c"]) cache.set(key, entry(later, key));
    assert.equal(cache.get("a")?.accessToken, "a"); // a is now the most recent
    cache.set("d", entry(later, "d"));
    assert.equal(cache.get("b"), undefined, "b was the least recently used");
    assert.deepEqual(
      ["a", "c", "d"].map((k) => cache.get(k)?.accessToken),
      ["a", "c", "d"],
    );
    assert.equal(cache.size, 3);
    assert.deepEqual(cache.stats(), { size: 3, evictions: 1, expired: 0 });
  });

  it("drops an expired entry when it is read", () => {
    const clock = { now: 1_000 };
    const cache = new MemoryTokenCache({ now: () => clock.now });
    cache.set("a", entry(2_000));
    clock.now = 2_000;
    assert.equal(cache.get("a"), undefined);
    assert.equal(cache.size, 0);
    assert.equal(cache.stats().expired, 1);
  });

  it("sweeps expired entries out on a write once the sweep interval has passed", () => {
    const clock = { now: 0 };
    const cache = new MemoryTokenCache({ now: () => clock.now, sweepIntervalMs: 1_000 });
    for (let i = 0; i < 50; i++) cache.set(`old-${i}`, entry(500));
    cache.set("long", entry(100_000));
    clock.now = 1_000;
    cache.set("new", entry(100_000));
    assert.equal(cache.size, 2);
    assert.equal(cache.stats().expired, 50);
  });

  it("deletes and clears", () => {
    const cache = new MemoryTokenCache();
    cache.set("a", entry(Date.now() + 1_000));
    cache.set("b", entry(Date.now() + 1_000));
    cache.delete("a");
    assert.equal(cache.get("a"), undefined);
    cache.clear();
    assert.equal(cache.size, 0);
  });

  it("refuses a bound that is not a positive integer", () => {
    const refusal = {
      code: "ERR_OBO_CONFIGURATION",
      option: "maxEntries",
      message: 'MemoryTokenCache: option "maxEntries" must be a positive integer.',
    };
    assert.throws(() => new MemoryTokenCache({ maxEntries: 0 }), refusal);
    assert.throws(() => new MemoryTokenCache({ maxEntries: 1.5 }), refusal);
  });
});
