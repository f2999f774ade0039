import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { RedisTokenCache } from "../../../lib/redis.js";
import { isOnBehalfOfError } from "../../../lib/util/errors.js";
import type { SessionStore } from "../../../lib/session/session-store.js";
import {
  requireRedisServer,
  started,
  startRedisCluster,
  startRedisServer,
  stopAll,
  type RedisClusterServers,
  type RedisServer,
} from "../../support/redis-server.js";
import {
  LIFETIME,
  manualClock,
  record,
  sessionId,
  sessionStoreContract,
  user,
  type ManualClock,
} from "../../session/session-store-contract.js";
import {
  CLIENT_KINDS,
  KEY_A,
  KEY_B,
  cacheClient,
  cacheClusterClient,
  disconnectClients,
  recordingLogger,
  redisClient,
} from "./fixtures.js";

const RING_A = [{ id: "a", key: KEY_A }];
const RING_B_A = [
  { id: "b", key: KEY_B },
  { id: "a", key: KEY_A },
];
const RING_B = [{ id: "b", key: KEY_B }];

/** Every key name and every stored byte of a Redis database (strings, hashes, sorted sets). */
async function rawBytes(admin: Redis): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const key of await admin.keys("*")) {
    parts.push(Buffer.from(key));
    const type = await admin.type(key);
    if (type === "hash") parts.push(...Object.values(await admin.hgetallBuffer(key)));
    else if (type === "zset") parts.push(...(await admin.zrangeBuffer(key, "0", "-1")));
    else if (type === "string") parts.push((await admin.getBuffer(key)) ?? Buffer.alloc(0));
    else assert.fail(`unexpected Redis type ${type}`);
  }
  return Buffer.concat(parts);
}

function unavailable(error: unknown): boolean {
  return isOnBehalfOfError(error, "ERR_OBO_SESSION_STORE_UNAVAILABLE");
}

for (const kind of CLIENT_KINDS) {
  describe(`RedisTokenCache sessions against a real redis-server, through ${kind}`, function () {
    let server: RedisServer;
    let admin: Redis;

    /** A cache as one instance of the API would have it (its own client, the shared Redis). */
    async function instance(
      clock: ManualClock,
      encryptionKeys = RING_A,
      extra: Partial<ConstructorParameters<typeof RedisTokenCache>[0]> = {},
    ): Promise<RedisTokenCache> {
      return new RedisTokenCache({
        client: await cacheClient(kind, server.port),
        encryptionKeys,
        timeoutMs: 1_000,
        circuitBreaker: { cooldownMs: 50 },
        now: clock.now,
        ...extra,
      });
    }

    before(async function () {
      requireRedisServer(this);
      server = await started(startRedisServer());
    });

    beforeEach(async () => {
      admin = await redisClient(server.port);
      await admin.flushall();
    });

    afterEach(disconnectClients);

    after(async () => {
      await stopAll();
    });

    describe("the session store contract", () => {
      sessionStoreContract({
        create: async (clock) => (await instance(clock)).sessionStore("provider"),
        again: async (clock, namespace = "provider") =>
          (await instance(clock)).sessionStore(namespace),
      });
    });

    it("answers the same store for the same namespace", async () => {
      const cache = await instance(manualClock());
      assert.equal(cache.sessionStore("x"), cache.sessionStore("x"));
      assert.notEqual(cache.sessionStore("x"), cache.sessionStore("y"));
    });

    it("keeps no refresh token, oid or tenant id in clear anywhere in Redis", async () => {
      const clock = manualClock();
      const store = (await instance(clock)).sessionStore("provider");
      const sessions = Array.from({ length: 5 }, (_, n) =>
        record(clock, { user: user(n + 1, n + 1), agentId: `agent-${n}-guid` }),
      );
      const ids = sessions.map(() => sessionId());
      await Promise.all(sessions.map((r, n) => store.create(ids[n] ?? "", r, LIFETIME)));
      const first = sessions[0];
      assert.ok(first);
      await store.replace(
        ids[0] ?? "",
        1,
        { ...first, refreshToken: "rt-rotated-secret", version: 2 },
        LIFETIME,
      );
      const raw = await rawBytes(admin);
      assert.ok(raw.length > 0);
      const secrets = [
        "rt-rotated-secret",
        ...sessions.flatMap((r) => [
          r.refreshToken,
          r.user.oid,
          r.user.tid,
          r.agentId ?? "",
          r.clientId,
        ]),
        ...(sessions[0]?.scopes ?? []),
      ];
      for (const secret of secrets) {
        assert.equal(
          raw.includes(Buffer.from(secret)),
          false,
          "a token or a user id is stored in clear",
        );
      }
      // key names are digests: no storage id, oid or tenant id in them
      const names = (await admin.keys("*")).join("\n");
      for (const id of [...ids, ...sessions.flatMap((r) => [r.user.oid, r.user.tid])]) {
        assert.equal(names.includes(id), false);
      }
    });

    it("sets the Redis TTL to the remaining idle time, or the remaining lifetime when shorter", async () => {
      const clock = manualClock();
      const store = (await instance(clock)).sessionStore("provider");
      await store.create(sessionId(), record(clock), LIFETIME);
      const [fresh] = await admin.keys("*s:*");
      assert.ok(fresh);
      const idleTtl = await admin.pttl(fresh);
      assert.ok(idleTtl <= LIFETIME.maxIdleMs && idleTtl > LIFETIME.maxIdleMs - 60_000);
      // a session used just now, 10 minutes before the end of its absolute lifetime
      const endsSoon = 10 * 60_000;
      const createdAt = clock.now() - (LIFETIME.maxLifetimeMs - endsSoon);
      await store.create(sessionId(), record(clock, { createdAt }), LIFETIME);
      const old = (await admin.keys("*s:*")).find((name) => name !== fresh);
      assert.ok(old);
      const lifetimeTtl = await admin.pttl(old);
      assert.ok(lifetimeTtl <= endsSoon && lifetimeTtl > endsSoon - 60_000);
    });

    it("opens records sealed with an older key after a rotation, and re-seals them under the new one", async () => {
      const clock = manualClock();
      const before = (await instance(clock, RING_A)).sessionStore("provider");
      const id = sessionId();
      const start = record(clock);
      await before.create(id, start, LIFETIME);
      const rotated = (await instance(clock, RING_B_A)).sessionStore("provider");
      assert.deepEqual(await rotated.get(id), start);
      assert.deepEqual(await rotated.listByUser(start.user.tid, start.user.oid), [id]);
      const second = sessionId();
      await rotated.create(second, record(clock), LIFETIME);
      const next = { ...start, refreshToken: "rt-after-rotation", version: 2 };
      assert.equal(await rotated.replace(id, 1, next, LIFETIME), true);
      // an instance that still has only the old key cannot open what the new key sealed
      assert.equal(await before.get(id), undefined);
      // once the old key is removed, everything is readable under the new one
      const after = (await instance(clock, RING_B)).sessionStore("provider");
      assert.deepEqual(await after.get(id), next);
      assert.deepEqual(
        [...(await after.listByUser(start.user.tid, start.user.oid))].sort(),
        [id, second].sort(),
      );
    });

    it("treats a tampered, relabelled or moved record as ended, and serves the bystanders", async () => {
      const clock = manualClock();
      const log = recordingLogger();
      const cache = await instance(clock, RING_A, { logger: log.logger });
      const store = cache.sessionStore("provider");
      const victims = [sessionId(), sessionId(), sessionId()];
      const bystanders = Array.from({ length: 5 }, () => sessionId());
      const records = new Map<string, ReturnType<typeof record>>();
      for (const [n, id] of [...victims, ...bystanders].entries()) {
        const r = record(clock, { user: user(n) });
        records.set(id, r);
        await store.create(id, r, LIFETIME);
      }
      // find each victim's Redis name by what changes when its own record changes
      const names = await admin.keys("*s:*");
      const byVersion = new Map<string, string>();
      for (const [i, id] of victims.entries()) {
        const r = records.get(id);
        assert.ok(r);
        await store.replace(id, 1, { ...r, version: 100 + i }, LIFETIME);
      }
      for (const name of names) {
        const v = (await admin.hget(name, "v")) ?? "";
        byVersion.set(v, name);
      }
      const [flipped, relabelled, moved] = ["100", "101", "102"].map(
        (v) => byVersion.get(v) ?? "",
      ) as [string, string, string];
      // 1. a flipped bit in the sealed value
      const sealed = await admin.hgetBuffer(flipped, "c");
      assert.ok(sealed);
      sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1;
      await admin.hset(flipped, "c", sealed);
      // 2. the clear version changed beside an intact sealed value
      await admin.hset(relabelled, "v", "7");
      // 3. a bystander's sealed value copied under the victim's name
      const bystanderName = names.find((n) => ![flipped, relabelled, moved].includes(n)) ?? "";
      await admin.hset(moved, "c", (await admin.hgetBuffer(bystanderName, "c")) ?? Buffer.alloc(0));
      for (const id of victims) assert.equal(await store.get(id), undefined);
      for (const id of bystanders) assert.deepEqual(await store.get(id), records.get(id));
      assert.equal(
        await store.replace(victims[1] ?? "", 101, { ...record(clock), version: 102 }, LIFETIME),
        false,
      );
      assert.equal(log.warn.length, 3);
      assert.ok(log.warn.every((line) => !/rt-|00000000-/.test(line)));
      for (const n of victims.keys()) {
        assert.deepEqual(await store.listByUser(user(n).tid, user(n).oid), []);
      }
    });

    it("does not open a record under another namespace's name, even sealed with the same key", async () => {
      const clock = manualClock();
      const cache = await instance(clock);
      const mine = cache.sessionStore("mine");
      const theirs = cache.sessionStore("theirs");
      const id = sessionId();
      await mine.create(id, record(clock), LIFETIME);
      const [myName] = await admin.keys("*s:*");
      assert.ok(myName);
      await theirs.create(id, record(clock, { refreshToken: "rt-theirs" }), LIFETIME);
      const theirName = (await admin.keys("*s:*")).find((n) => n !== myName) ?? "";
      await admin.hset(theirName, "c", (await admin.hgetBuffer(myName, "c")) ?? Buffer.alloc(0));
      assert.equal(await theirs.get(id), undefined);
      assert.ok(await mine.get(id));
    });

    it("answers a typed error, never 'no session', while Redis does not answer; then serves every session again", async () => {
      const clock = manualClock();
      const store = (
        await instance(clock, RING_A, {
          timeoutMs: 100,
          circuitBreaker: { failureThreshold: 2, cooldownMs: 50 },
        })
      ).sessionStore("provider");
      const ids = Array.from({ length: 10 }, () => sessionId());
      const records = ids.map((_, n) => record(clock, { user: user(n) }));
      await Promise.all(
        ids.map((id, n) => store.create(id, records[n] ?? record(clock), LIFETIME)),
      );
      server.freeze();
      try {
        const attempts = [
          store.get(ids[0] ?? ""),
          store.create(sessionId(), record(clock), LIFETIME),
          store.replace(ids[1] ?? "", 1, { ...record(clock), version: 2 }, LIFETIME),
          store.delete(ids[2] ?? ""),
          store.listByUser(user(3).tid, user(3).oid),
        ];
        for (const attempt of attempts) await assert.rejects(attempt, unavailable);
        // with the circuit open, at once
        await assert.rejects(store.get(ids[4] ?? ""), unavailable);
      } finally {
        server.thaw();
      }
      for (let n = 0; ; n++) {
        try {
          await store.get(ids[0] ?? "");
          break;
        } catch (error) {
          if (!unavailable(error) || n > 200) throw error;
          clock.advance(100); // the circuit breaker's cool-down runs on the cache's clock
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      // the replace and the delete that timed out may have taken effect once Redis woke up (their
      // outcome is unknown to the caller); every other session is served as it was
      for (const [n, id] of ids.entries()) {
        if (n !== 1 && n !== 2) assert.deepEqual(await store.get(id), records[n]);
      }
      assert.deepEqual(await store.listByUser(user(3).tid, user(3).oid), [ids[3]]);
    });

    it("prunes the index of ended sessions, but not of one being created", async () => {
      const clock = manualClock();
      const store = (await instance(clock)).sessionStore("provider");
      const u = user(5);
      const [ended, kept] = [sessionId(), sessionId()];
      await store.create(ended, record(clock, { user: u }), LIFETIME);
      await store.create(kept, record(clock, { user: u }), LIFETIME);
      const [index] = await admin.keys("*su:*");
      assert.ok(index);
      await store.delete(ended);
      // a member whose record is not written yet (a create in flight) stays listed in the index
      await admin.zadd(index, String(clock.now()), "in-flight");
      clock.advance(2 * 60_000); // beyond the grace of a create in flight for `ended`... and `in-flight`
      await admin.zadd(index, String(clock.now()), "in-flight-now");
      assert.deepEqual(await store.listByUser(u.tid, u.oid), [kept]);
      const members = async () => [...(await admin.zrange(index, "0", "-1"))].sort();
      for (let n = 0; (await members()).length !== 2 && n < 100; n++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.deepEqual(await members(), ["in-flight-now", kept].sort());
    });
  });
}

describe("RedisTokenCache sessions on a Redis Cluster", function () {
  let cluster: RedisClusterServers;

  before(async function () {
    requireRedisServer(this);
    this.timeout(60_000);
    cluster = await started(startRedisCluster(3));
  });

  afterEach(disconnectClients);

  after(async () => {
    await stopAll();
  });

  for (const kind of CLIENT_KINDS) {
    it(`keeps, rotates, lists and ends sessions across slots, through ${kind}`, async () => {
      const clock = manualClock();
      const stores: SessionStore[] = await Promise.all(
        [1, 2].map(async () =>
          new RedisTokenCache({
            client: await cacheClusterClient(kind, cluster.nodes),
            encryptionKeys: RING_A,
            keyPrefix: `${kind}:`,
            timeoutMs: 1_000,
            now: clock.now,
          }).sessionStore("provider"),
        ),
      );
      const [one, two] = stores as [SessionStore, SessionStore];
      const u = user(1);
      const ids = Array.from({ length: 20 }, () => sessionId());
      await Promise.all(ids.map((id) => one.create(id, record(clock, { user: u }), LIFETIME)));
      assert.deepEqual([...(await two.listByUser(u.tid, u.oid))].sort(), [...ids].sort());
      const first = await two.get(ids[0] ?? "");
      assert.ok(first);
      const outcomes = await Promise.all(
        [one, two, one, two].map((s, n) =>
          s.replace(ids[0] ?? "", 1, { ...first, refreshToken: `rt-${n}`, version: 2 }, LIFETIME),
        ),
      );
      assert.equal(outcomes.filter(Boolean).length, 1);
      for (const id of await one.listByUser(u.tid, u.oid)) assert.equal(await two.delete(id), true);
      assert.deepEqual(await one.listByUser(u.tid, u.oid), []);
    });
  }
});
