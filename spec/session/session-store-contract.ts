import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { isOnBehalfOfError } from "../../lib/util/errors.js";
import type {
  SessionLifetime,
  SessionRecord,
  SessionStore,
} from "../../lib/session/session-store.js";

/** A clock the specs move by hand. */
export interface ManualClock {
  now: () => number;
  advance(ms: number): void;
}

/** A clock starting at a fixed time, moved only by `advance`. */
export function manualClock(start = Date.UTC(2026, 11, 1, 8)): ManualClock {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

/** What a contract run needs. */
export interface StoreFactory {
  /** A store on fresh, empty storage. */
  create(clock: ManualClock): Promise<SessionStore>;
  /** Another store on the storage of the last `create` (another instance, a restart). */
  again(clock: ManualClock, namespace?: string): Promise<SessionStore>;
}

export const LIFETIME: SessionLifetime = { maxIdleMs: 60 * 60_000, maxLifetimeMs: 8 * 3_600_000 };

/** A session id as the provider makes them: a hash of the session key, never the key. */
export function sessionId(): string {
  return randomBytes(32).toString("base64url");
}

/** A user of a tenant: distinct GUID-like ids. */
export function user(n: number, tenant = 1): { oid: string; tid: string } {
  const hex = (v: number) => v.toString(16).padStart(12, "0");
  return {
    oid: `00000000-0000-4000-8000-${hex(n)}`,
    tid: `11111111-0000-4000-8000-${hex(tenant)}`,
  };
}

/** A record with a recognisable, unique refresh token. */
export function record(clock: ManualClock, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    refreshToken: `rt-${randomBytes(24).toString("base64url")}`,
    clientId: "22222222-0000-4000-8000-000000000001",
    tenantId: "11111111-0000-4000-8000-000000000001",
    scopes: ["https://graph.microsoft.com/User.Read", "offline_access"],
    user: user(1),
    createdAt: clock.now(),
    lastUsedAt: clock.now(),
    version: 1,
    ...overrides,
  };
}

/**
 * The behaviour every {@link SessionStore} must have, run against the in-memory and the Redis
 * store alike.
 */
export function sessionStoreContract(factory: StoreFactory): void {
  let clock: ManualClock;
  let store: SessionStore;

  beforeEach(async () => {
    clock = manualClock();
    store = await factory.create(clock);
  });

  it("gives back what was stored, as a frozen copy the writer can no longer change", async () => {
    const id = sessionId();
    const original = record(clock, { agentId: "33333333-0000-4000-8000-000000000001" });
    const written = { ...original, scopes: [...original.scopes], user: { ...original.user } };
    await store.create(id, written, LIFETIME);
    written.scopes.push("Mail.Read");
    written.user.oid = user(2).oid;
    const read = await store.get(id);
    assert.deepEqual(read, original);
    assert.ok(Object.isFrozen(read));
    assert.ok(Object.isFrozen(read.scopes) && Object.isFrozen(read.user));
    assert.deepEqual(await store.listByUser(original.user.tid, original.user.oid), [id]);
    assert.deepEqual(await store.listByUser(user(2).tid, user(2).oid), []);
  });

  it("keeps a plain On-Behalf-Of session without an agent id", async () => {
    const id = sessionId();
    const plain = record(clock);
    await store.create(id, plain, LIFETIME);
    const read = await store.get(id);
    assert.deepEqual(read, plain);
    assert.ok(!("agentId" in read));
  });

  it("answers undefined for an unknown id", async () => {
    await store.create(sessionId(), record(clock), LIFETIME);
    assert.equal(await store.get(sessionId()), undefined);
    assert.equal(await store.replace(sessionId(), 1, record(clock), LIFETIME), false);
    assert.equal(await store.delete(sessionId()), false);
  });

  it("refuses to create a session whose id exists, and keeps the first one", async () => {
    const id = sessionId();
    const first = record(clock);
    await store.create(id, first, LIFETIME);
    await assert.rejects(store.create(id, record(clock), LIFETIME), (error: unknown) =>
      isOnBehalfOfError(error, "ERR_OBO_SESSION_STORE_UNAVAILABLE"),
    );
    assert.deepEqual(await store.get(id), first);
  });

  it("rejects a malformed record or lifetime before storing anything", async () => {
    const id = sessionId();
    const bad: unknown[] = [
      [record(clock), { maxIdleMs: 0, maxLifetimeMs: 1000 }],
      [record(clock), { maxIdleMs: 1000, maxLifetimeMs: Number.NaN }],
      [record(clock, { refreshToken: "" }), LIFETIME],
      [record(clock, { user: { oid: "", tid: user(1).tid } }), LIFETIME],
      [record(clock, { version: 1.5 }), LIFETIME],
    ];
    for (const [r, l] of bad as [SessionRecord, SessionLifetime][]) {
      await assert.rejects(store.create(id, r, l), (error: unknown) =>
        isOnBehalfOfError(error, "ERR_OBO_CONFIGURATION"),
      );
    }
    assert.equal(await store.get(id), undefined);
  });

  it("replaces only the expected version: of 20 concurrent replaces, exactly one wins", async () => {
    const id = sessionId();
    await store.create(id, record(clock), LIFETIME);
    const candidates = Array.from({ length: 20 }, () =>
      record(clock, { version: 2, lastUsedAt: clock.now() }),
    );
    const outcomes = await Promise.all(
      candidates.map((next) => store.replace(id, 1, next, LIFETIME)),
    );
    assert.equal(outcomes.filter(Boolean).length, 1);
    const winner = candidates[outcomes.indexOf(true)];
    assert.deepEqual(await store.get(id), winner);
    assert.equal(await store.replace(id, 1, record(clock, { version: 3 }), LIFETIME), false);
    assert.deepEqual(await store.get(id), winner);
  });

  it("answers nothing once the idle time has passed; a use (replace) restarts it", async () => {
    const idle = sessionId();
    const used = sessionId();
    const start = record(clock);
    await store.create(idle, start, LIFETIME);
    await store.create(used, { ...start, refreshToken: "rt-other" }, LIFETIME);
    clock.advance(LIFETIME.maxIdleMs - 1);
    assert.ok(await store.get(idle));
    const bumped = { ...start, refreshToken: "rt-other", lastUsedAt: clock.now(), version: 2 };
    assert.equal(await store.replace(used, 1, bumped, LIFETIME), true);
    clock.advance(1);
    assert.equal(await store.get(idle), undefined);
    assert.equal(await store.replace(idle, 1, { ...start, version: 2 }, LIFETIME), false);
    assert.deepEqual(await store.get(used), bumped);
    assert.deepEqual(await store.listByUser(start.user.tid, start.user.oid), [used]);
  });

  it("answers nothing past the absolute lifetime, however recently used", async () => {
    const id = sessionId();
    const start = record(clock);
    await store.create(id, start, LIFETIME);
    let current = start;
    while (clock.now() + LIFETIME.maxIdleMs / 2 < start.createdAt + LIFETIME.maxLifetimeMs) {
      clock.advance(LIFETIME.maxIdleMs / 2);
      const next = { ...current, lastUsedAt: clock.now(), version: current.version + 1 };
      assert.equal(await store.replace(id, current.version, next, LIFETIME), true);
      current = next;
    }
    clock.advance(start.createdAt + LIFETIME.maxLifetimeMs - 1 - clock.now());
    assert.ok(await store.get(id));
    clock.advance(1);
    assert.equal(await store.get(id), undefined);
    assert.deepEqual(await store.listByUser(start.user.tid, start.user.oid), []);
    assert.equal(await store.delete(id), false);
  });

  it("deletes a session once, leaving the user's other sessions", async () => {
    const [a, b] = [sessionId(), sessionId()];
    await store.create(a, record(clock), LIFETIME);
    await store.create(b, record(clock), LIFETIME);
    assert.equal(await store.delete(a), true);
    assert.equal(await store.delete(a), false);
    assert.equal(await store.get(a), undefined);
    assert.ok(await store.get(b));
    assert.deepEqual(await store.listByUser(user(1).tid, user(1).oid), [b]);
    assert.equal(await store.replace(a, 1, record(clock, { version: 2 }), LIFETIME), false);
  });

  it("lists the sessions of 100 users × 10, created concurrently, with no cross-user leak", async () => {
    const users = Array.from({ length: 100 }, (_, n) => user(n, n % 3));
    const owned = new Map<string, string[]>();
    await Promise.all(
      users.flatMap((u, n) =>
        Array.from({ length: 10 }, () => {
          const id = sessionId();
          owned.set(String(n), [...(owned.get(String(n)) ?? []), id]);
          return store.create(
            id,
            record(clock, { user: u, refreshToken: `rt-${n}-${id}` }),
            LIFETIME,
          );
        }),
      ),
    );
    await Promise.all(
      users.map(async (u, n) => {
        const listed = await store.listByUser(u.tid, u.oid);
        assert.deepEqual([...listed].sort(), [...(owned.get(String(n)) ?? [])].sort());
        for (const id of listed) {
          const read = await store.get(id);
          assert.deepEqual(read?.user, u);
          assert.ok(read.refreshToken.startsWith(`rt-${n}-`));
        }
      }),
    );
    // the same object id in another tenant is another user
    assert.deepEqual(await store.listByUser(user(0, 7).tid, user(0, 7).oid), []);
    // ending all sessions of one user leaves the others
    const victim = users[42];
    assert.ok(victim);
    for (const id of await store.listByUser(victim.tid, victim.oid)) await store.delete(id);
    assert.deepEqual(await store.listByUser(victim.tid, victim.oid), []);
    assert.equal((await store.listByUser(users[41]?.tid ?? "", users[41]?.oid ?? "")).length, 10);
  });

  it("is shared by two stores on the same storage (another instance, a restart)", async () => {
    const id = sessionId();
    const first = record(clock);
    await store.create(id, first, LIFETIME);
    const other = await factory.again(clock);
    assert.deepEqual(await other.get(id), first);
    const next = { ...first, refreshToken: "rt-rotated", version: 2 };
    const outcomes = await Promise.all([
      store.replace(id, 1, next, LIFETIME),
      other.replace(id, 1, { ...next, refreshToken: "rt-rotated-elsewhere" }, LIFETIME),
    ]);
    assert.equal(outcomes.filter(Boolean).length, 1);
    assert.deepEqual(await store.get(id), await other.get(id));
    assert.deepEqual(await other.listByUser(first.user.tid, first.user.oid), [id]);
    assert.equal(await other.delete(id), true);
    assert.equal(await store.get(id), undefined);
  });

  it("keeps namespaces apart on the same storage", async () => {
    const id = sessionId();
    const mine = record(clock);
    await store.create(id, mine, LIFETIME);
    const foreign = await factory.again(clock, "another-provider");
    assert.equal(await foreign.get(id), undefined);
    assert.deepEqual(await foreign.listByUser(mine.user.tid, mine.user.oid), []);
    assert.equal(await foreign.delete(id), false);
    assert.equal(await foreign.replace(id, 1, { ...mine, version: 2 }, LIFETIME), false);
    await foreign.create(id, { ...mine, refreshToken: "rt-foreign" }, LIFETIME);
    assert.deepEqual(await store.get(id), mine);
    assert.equal((await foreign.get(id))?.refreshToken, "rt-foreign");
  });
}
