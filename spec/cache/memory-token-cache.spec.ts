import assert from "node:assert/strict";
import { MemoryTokenCache } from "../../lib/cache/memory-token-cache.js";
import type { CachedToken } from "../../lib/cache/token-cache.js";

function entry(expiresAt: number, token = "t"): CachedToken {
  return { accessToken: token, expiresAt, refreshAt: expiresAt };
}

describe("MemoryTokenCache", () => {
  it("evicts an entry not read since the hand passed (CLOCK) beyond maxEntries", () => {
    const cache = new MemoryTokenCache({ maxEntries: 3 });
    const later = Date.now() + 60_000;
    for (const key of ["a", "b", "c"]) cache.set(key, entry(later, key));
    assert.equal(cache.get("a")?.accessToken, "a"); // a is marked as read
    cache.set("d", entry(later, "d"));
    assert.equal(cache.peek("b"), undefined, "b, never read, goes first");
    assert.deepEqual(
      ["a", "c", "d"].map((k) => cache.peek(k)?.accessToken),
      ["a", "c", "d"],
    );
    assert.equal(cache.size, 3);
    assert.deepEqual(cache.stats(), { size: 3, evictions: 1, expired: 0 });
  });

  it("spares read entries and evicts unread ones, in ring order, with exact counters", () => {
    const cache = new MemoryTokenCache({ maxEntries: 4 });
    const later = Date.now() + 60_000;
    for (const key of ["a", "b", "c", "d"]) cache.set(key, entry(later, key));
    cache.peek("a");
    cache.get("c");
    cache.set("e", entry(later)); // hand: a spared, b evicted
    cache.set("f", entry(later)); // c spared, d evicted
    assert.deepEqual(
      ["a", "b", "c", "d", "e", "f"].map((k) => cache.peek(k) !== undefined),
      [true, false, true, false, true, true],
    );
    assert.deepEqual(cache.stats(), { size: 4, evictions: 2, expired: 0 });
  });

  it("marks a read entry wherever it sits in a large ring (the marks grow with the ring)", () => {
    // 65 entries: positions 0–64, the last one just past the marks' first 64. Reading it marks it;
    // 64 inserts then evict positions 0–63 one by one, and the hand reaches it.
    const cache = new MemoryTokenCache({ maxEntries: 65 });
    const later = Date.now() + 60_000;
    const old = Array.from({ length: 65 }, (_, i) => `old-${String(i)}`);
    for (const key of old) cache.set(key, entry(later, key));
    cache.peek("old-64");
    for (let i = 0; i < 65; i++) cache.set(`new-${String(i)}`, entry(later));
    assert.equal(
      cache.peek("old-64")?.accessToken,
      "old-64",
      "the read entry at position 64 was spared",
    );
    assert.equal(cache.peek("new-0"), undefined, "the 65th insert evicted the oldest unread entry");
    assert.deepEqual(cache.stats(), { size: 65, evictions: 65, expired: 0 });
  });

  it("hands out each entry's fields as set, past the arrays' first growth, assertionExpiresAt only when set", () => {
    const cache = new MemoryTokenCache({ maxEntries: 1_000, now: () => 0 });
    const set: CachedToken[] = [];
    for (let i = 0; i < 200; i++) {
      const held: CachedToken =
        i % 2 === 0
          ? { accessToken: `t${String(i)}`, expiresAt: 1e12 + i, refreshAt: 9e11 + i }
          : {
              accessToken: `t${String(i)}`,
              expiresAt: 1e12 + i,
              refreshAt: 9e11 + i,
              assertionExpiresAt: i - 1,
            };
      set.push(held);
      cache.set(`k${String(i)}`, held);
    }
    set.forEach((held, i) => {
      assert.deepEqual(cache.peek(`k${String(i)}`), held);
      assert.deepEqual(cache.get(`k${String(i)}`), held);
    });
    assert.equal("assertionExpiresAt" in cache.peek("k0")!, false);
    assert.equal(cache.peek("k1")?.assertionExpiresAt, 0, "0 is a time, not an absence");
    // Replacing an entry replaces every field, an absent assertionExpiresAt included.
    cache.set("k1", entry(5e12, "new"));
    assert.deepEqual(cache.peek("k1"), entry(5e12, "new"));
  });

  it("keeps the bound when every entry has been read (the hand's scan is bounded)", () => {
    const cache = new MemoryTokenCache({ maxEntries: 100 });
    const later = Date.now() + 60_000;
    for (let i = 0; i < 100; i++) cache.set(`k${String(i)}`, entry(later));
    for (let i = 0; i < 100; i++) cache.peek(`k${String(i)}`);
    for (let i = 0; i < 100; i++) {
      cache.set(`n${String(i)}`, entry(later));
      assert.equal(cache.size, 100);
    }
    assert.deepEqual(cache.stats(), { size: 100, evictions: 100, expired: 0 });
  });

  it("replacing an entry keeps one entry and evicts nothing", () => {
    const cache = new MemoryTokenCache({ maxEntries: 2 });
    const later = Date.now() + 60_000;
    cache.set("a", entry(later, "1"));
    cache.set("b", entry(later, "b"));
    cache.set("a", entry(later, "2"));
    assert.equal(cache.peek("a")?.accessToken, "2");
    assert.deepEqual(cache.stats(), { size: 2, evictions: 0, expired: 0 });
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

  it("peek reads no clock and returns the entry as held; get then drops it if expired", () => {
    let reads = 0;
    const clock = { now: 1_000 };
    const cache = new MemoryTokenCache({ now: () => (reads++, clock.now) });
    cache.set("a", entry(2_000, "a"));
    reads = 0;
    clock.now = 3_000;
    assert.equal(cache.peek("a")?.expiresAt, 2_000, "the caller sees expiresAt and decides");
    assert.equal(reads, 0);
    assert.equal(cache.get("a"), undefined);
    assert.deepEqual(cache.stats(), { size: 0, evictions: 0, expired: 1 });
  });

  it("sweeps expired entries a bounded few per write, never the whole cache at once", () => {
    const clock = { now: 0 };
    const cache = new MemoryTokenCache({ now: () => clock.now, maxEntries: 1_000 });
    for (let i = 0; i < 50; i++) cache.set(`old-${String(i)}`, entry(500));
    cache.set("long", entry(100_000));
    clock.now = 1_000;
    cache.set("new-0", entry(100_000));
    const afterOne = cache.stats().expired ?? 0;
    assert.ok(afterOne >= 1 && afterOne <= 2, `one write dropped ${String(afterOne)}`);
    assert.equal(cache.size, 52 - afterOne);
    for (let i = 1; i < 40; i++) {
      const before = cache.stats().expired ?? 0;
      cache.set(`new-${String(i)}`, entry(100_000));
      assert.ok(
        (cache.stats().expired ?? 0) - before <= 2,
        "at most two entries examined per write",
      );
    }
    // 40 writes examine 80 ring positions: every expired entry is gone, the live ones stay.
    assert.equal(cache.stats().expired, 50);
    assert.equal(cache.size, 41);
    assert.equal(cache.peek("long")?.expiresAt, 100_000);
    assert.deepEqual(cache.stats(), { size: 41, evictions: 0, expired: 50 });
  });

  it("counts an expired entry met by the eviction hand as expired, not evicted", () => {
    const clock = { now: 0 };
    const cache = new MemoryTokenCache({ now: () => clock.now, maxEntries: 2 });
    cache.set("a", entry(500));
    cache.set("b", entry(100_000));
    clock.now = 1_000;
    cache.set("c", entry(100_000));
    assert.equal(cache.peek("a"), undefined);
    assert.deepEqual(cache.stats(), { size: 2, evictions: 0, expired: 1 });
  });

  it("reuses the positions of deleted entries and keeps the bound", () => {
    const cache = new MemoryTokenCache({ maxEntries: 3 });
    const later = Date.now() + 60_000;
    for (const key of ["a", "b", "c"]) cache.set(key, entry(later, key));
    cache.delete("b");
    cache.set("d", entry(later, "d"));
    assert.deepEqual(cache.stats(), { size: 3, evictions: 0, expired: 0 });
    cache.set("e", entry(later, "e"));
    assert.deepEqual(cache.stats(), { size: 3, evictions: 1, expired: 0 });
    assert.equal(cache.peek("a"), undefined, "a was first in the ring and unread");
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

describe("MemoryTokenCache: edges", () => {
  const later = Date.now() + 60_000;

  it("accepts a bound of 1", () => {
    const cache = new MemoryTokenCache({ maxEntries: 1 });
    cache.set("a", entry(later, "a"));
    cache.set("b", entry(later, "b"));
    assert.deepEqual(cache.stats(), { size: 1, evictions: 1, expired: 0 });
    assert.equal(cache.peek("b")?.accessToken, "b");
  });

  it("deleting a key it does not hold does nothing", () => {
    const cache = new MemoryTokenCache();
    cache.set("a", entry(later));
    cache.delete("missing");
    assert.equal(cache.size, 1);
  });

  it("a replaced entry counts as used: the hand spares it once", () => {
    const cache = new MemoryTokenCache({ maxEntries: 2 });
    cache.set("a", entry(later, "1"));
    cache.set("b", entry(later, "b"));
    cache.set("a", entry(later, "2"));
    cache.set("c", entry(later, "c"));
    assert.equal(cache.peek("a")?.accessToken, "2", "a spared");
    assert.equal(cache.peek("b"), undefined, "b evicted");
  });

  it("spares at most 32 read entries per eviction, then evicts the one the hand points at", () => {
    const cache = new MemoryTokenCache({ maxEntries: 40 });
    for (let i = 0; i < 40; i++) cache.set(`k${String(i)}`, entry(later));
    for (let i = 0; i < 40; i++) cache.peek(`k${String(i)}`);
    cache.set("new", entry(later)); // k0..k31 spared and unmarked, k32 evicted
    cache.set("newer", entry(later)); // k33..k39 spared, the hand wraps: k0 evicted
    const gone = Array.from({ length: 40 }, (_, i) => `k${String(i)}`).filter(
      (k) => cache.peek(k) === undefined,
    );
    assert.deepEqual(gone, ["k0", "k32"]);
    assert.deepEqual(cache.stats(), { size: 40, evictions: 2, expired: 0 });
  });

  it("an entry expiring right now is expired: by get, by the eviction hand and by the sweep", () => {
    let now = 1000;
    const cache = new MemoryTokenCache({ maxEntries: 2, now: () => now });
    cache.set("a", entry(1000));
    assert.equal(cache.get("a"), undefined);
    cache.set("b", entry(2000));
    cache.set("c", entry(5000));
    now = 2000;
    cache.set("d", entry(5000)); // full: the hand meets b, expiring now
    assert.deepEqual(cache.stats(), { size: 2, evictions: 0, expired: 2 });
    now = 5000;
    cache.set("c", entry(5000)); // a write sweeps the next positions: c and d expire now
    assert.equal(cache.stats().expired, 4);
    assert.equal(cache.size, 0);
  });

  it("the sweep wraps around the ring", () => {
    let now = 0;
    const cache = new MemoryTokenCache({ maxEntries: 10, now: () => now });
    for (const key of ["a", "b", "c"]) cache.set(key, entry(100));
    // the sweep cursor is at position 3 of a ring of 3 positions
    now = 100;
    cache.set("d", entry(1000)); // sweeps d (position 3), then wraps to a (position 0)
    assert.equal(cache.stats().expired, 1);
    assert.deepEqual(
      ["a", "b", "c", "d"].map((k) => cache.peek(k) !== undefined),
      [false, true, true, true],
    );
  });
});
