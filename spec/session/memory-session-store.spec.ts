import assert from "node:assert/strict";
import { MemoryTokenCache } from "../../lib/cache/memory-token-cache.js";
import { isOnBehalfOfError } from "../../lib/util/errors.js";
import { MemorySessionStore } from "../../lib/session/memory-session-store.js";
import {
  LIFETIME,
  manualClock,
  record,
  sessionId,
  sessionStoreContract,
  user,
} from "./session-store-contract.js";

describe("MemorySessionStore", () => {
  describe("the session store contract", () => {
    let cache: MemoryTokenCache | undefined;
    sessionStoreContract({
      create: (clock) => {
        cache = new MemoryTokenCache({ now: clock.now });
        return Promise.resolve(cache.sessionStore("provider"));
      },
      again: (_clock, namespace = "provider") => {
        assert.ok(cache);
        return Promise.resolve(cache.sessionStore(namespace));
      },
    });
  });

  it("never evicts a live session: a full store refuses new ones with a typed error", async () => {
    const clock = manualClock();
    const store = new MemorySessionStore({ maxSessions: 3, now: clock.now });
    const ids = [sessionId(), sessionId(), sessionId()];
    for (const id of ids) await store.create(id, record(clock), LIFETIME);
    await assert.rejects(store.create(sessionId(), record(clock), LIFETIME), (error: unknown) =>
      isOnBehalfOfError(error, "ERR_OBO_SESSION_STORE_UNAVAILABLE"),
    );
    for (const id of ids) assert.ok(await store.get(id));
    // expired sessions make room
    const [kept] = ids as [string, string, string];
    clock.advance(LIFETIME.maxIdleMs / 2);
    const stored = await store.get(kept);
    assert.ok(stored);
    const used = { ...stored, lastUsedAt: clock.now(), version: 2 };
    assert.equal(await store.replace(kept, 1, used, LIFETIME), true);
    clock.advance(LIFETIME.maxIdleMs / 2);
    const fresh = sessionId();
    await store.create(fresh, record(clock), LIFETIME);
    assert.ok(await store.get(fresh));
    assert.deepEqual(await store.get(kept), used);
    assert.equal(store.size, 2);
    assert.equal(store.stats().expiredSessions, 2);
  });

  it("purges expired sessions a few at a time on writes, without reading them", async () => {
    const clock = manualClock();
    const store = new MemorySessionStore({ now: clock.now });
    for (let n = 0; n < 50; n++) await store.create(sessionId(), record(clock), LIFETIME);
    clock.advance(LIFETIME.maxIdleMs);
    const live = sessionId();
    await store.create(live, record(clock), LIFETIME);
    assert.ok(store.size > 2, "one write examines a few positions only");
    for (let n = 0; n < 30; n++) {
      const current = await store.get(live);
      assert.ok(current);
      await store.replace(
        live,
        current.version,
        { ...current, version: current.version + 1 },
        LIFETIME,
      );
    }
    assert.equal(store.size, 1);
    assert.equal(store.stats().expiredSessions, 50);
    assert.equal((await store.get(live))?.version, 31);
  });

  it("keeps the index of a user whose sessions all expired empty (no leak)", async () => {
    const clock = manualClock();
    const store = new MemorySessionStore({ now: clock.now });
    const u = user(9);
    await store.create(sessionId(), record(clock, { user: u }), LIFETIME);
    clock.advance(LIFETIME.maxIdleMs);
    assert.deepEqual(await store.listByUser(u.tid, u.oid), []);
    assert.equal(store.size, 0);
  });

  it("rejects a maxSessions that is not a positive integer", () => {
    for (const maxSessions of [0, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => new MemorySessionStore({ maxSessions }),
        (error: unknown) => isOnBehalfOfError(error, "ERR_OBO_CONFIGURATION"),
      );
      assert.throws(
        () => new MemoryTokenCache({ maxSessions }),
        (error: unknown) => isOnBehalfOfError(error, "ERR_OBO_CONFIGURATION"),
      );
    }
  });
});
