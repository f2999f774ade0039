import assert from "node:assert/strict";
import { hash } from "node:crypto";
import nock from "nock";
import type { Redis } from "ioredis";
import { sealEntryV1 } from "../../../lib/cache/redis/entry-codec.js";
import { RedisTokenCache } from "../../../lib/redis.js";
import { KeyRing } from "../../../lib/cache/redis/key-ring.js";
import { OnBehalfOfError } from "../../../lib/index.js";
import { claimsOf, mockOboEndpoint, mockTokenError, entraError } from "../../support/entra.js";
import {
  requireRedisServer,
  started,
  stopAll,
  startRedisServer,
  type RedisServer,
} from "../../support/redis-server.js";
import { API_CLIENT_ID, TENANT } from "../../support/tokens.js";
import {
  CLIENT_KINDS,
  KEY_A,
  KEY_B,
  cacheClient,
  type ClientSettings,
  disconnectClients,
  dump,
  eventually,
  locksReleased,
  newUser,
  providerWith,
  blockEventLoop,
  recordingLogger,
  redisCache,
  redisClient,
} from "./fixtures.js";

for (const kind of CLIENT_KINDS) {
  describe(`RedisTokenCache against a real redis-server, through ${kind}`, function () {
    let server: RedisServer;
    let admin: Redis;
    /** A client of the library under test, for the caches; `admin` (ioredis) inspects Redis. */
    const client = (port: number, settings?: ClientSettings) => cacheClient(kind, port, settings);

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

    describe("sharing tokens across instances", () => {
      it("serves a second provider instance from Redis, without a token request", async () => {
        const alice = await newUser();
        const exchanges = mockOboEndpoint({ times: 1 });
        const cacheA = redisCache(await client(server.port));
        const cacheB = redisCache(await client(server.port));
        const first = providerWith(cacheA);
        const second = providerWith(cacheB);

        const tokenA = await first.getAccessToken({ userAssertion: alice.assertion });
        const tokenB = await second.getAccessToken({ userAssertion: alice.assertion });
        const again = await second.getAccessToken({ userAssertion: alice.assertion });

        assert.equal(exchanges.length, 1);
        assert.equal(tokenB, tokenA);
        assert.equal(again, tokenA);
        assert.equal(claimsOf(tokenB).oid, alice.oid);
        assert.equal(second.stats().tokenRequests, 0);
        assert.equal(second.stats().hits, 2);
        assert.equal(second.stats().size, 1, "the Redis hit filled the memory level");
        const stats = cacheB.stats();
        assert.equal(stats.l2Hits, 1, "the second call was answered from memory");
        assert.equal(stats.l2Misses, 0);
        assert.equal(cacheA.stats().l2Writes, 1);
      });

      it("keeps users and scopes apart", async () => {
        const alice = await newUser();
        const bob = await newUser();
        mockOboEndpoint({ times: 3 });
        const first = providerWith(redisCache(await client(server.port)));
        const second = providerWith(redisCache(await client(server.port)));
        await first.getAccessToken({ userAssertion: alice.assertion });
        await first.getAccessToken({ userAssertion: bob.assertion });
        await first.getAccessToken({ userAssertion: bob.assertion, scopes: ["Mail.Read"] });

        const aliceToken = await second.getAccessToken({ userAssertion: alice.assertion });
        const bobToken = await second.getAccessToken({ userAssertion: bob.assertion });
        const bobMail = await second.getAccessToken({
          userAssertion: bob.assertion,
          scopes: ["Mail.Read"],
        });
        assert.equal(claimsOf(aliceToken).oid, alice.oid);
        assert.equal(claimsOf(bobToken).oid, bob.oid);
        assert.match(String(claimsOf(bobMail).scp), /Mail\.Read/);
        assert.equal(second.stats().tokenRequests, 0);
      });

      it("works without the memory level, every read going to Redis", async () => {
        const alice = await newUser();
        mockOboEndpoint({ times: 1 });
        const cache = redisCache(await client(server.port), { memoryCache: false });
        const provider = providerWith(cache);
        const token = await provider.getAccessToken({ userAssertion: alice.assertion });
        assert.equal(await provider.getAccessToken({ userAssertion: alice.assertion }), token);
        assert.equal(await provider.getAccessToken({ userAssertion: alice.assertion }), token);
        assert.equal(cache.stats().l2Hits, 2);
        assert.equal(cache.stats().size, 0);
      });

      it("answers a second-level hit with one GET under the primary key, and looks under older keys only when that finds nothing", async () => {
        const before = await Promise.all([1, 2, 3].map(() => newUser()));
        const after = await Promise.all([1, 2].map(() => newUser()));
        mockOboEndpoint({ times: before.length + after.length });
        const ring = [
          { id: "b", key: KEY_B },
          { id: "a", key: KEY_A },
        ];
        // Cached before the rotation (under "a"), and after it (under the new primary "b").
        const oldWriter = providerWith(redisCache(await client(server.port)));
        for (const user of before)
          await oldWriter.getAccessToken({ userAssertion: user.assertion });
        const newWriter = providerWith(
          redisCache(await client(server.port), { encryptionKeys: ring }),
        );
        for (const user of after) await newWriter.getAccessToken({ userAssertion: user.assertion });
        await locksReleased(admin);

        const reader = redisCache(await client(server.port), { encryptionKeys: ring });
        const provider = providerWith(reader);
        const served = async (users: typeof before) => {
          await admin.config("RESETSTAT");
          const tokens = await Promise.all(
            users.map((user) => provider.getAccessToken({ userAssertion: user.assertion })),
          );
          for (const [i, token] of tokens.entries()) {
            assert.equal(claimsOf(token).oid, users[i]?.oid);
          }
          const calls = commandCalls(await admin.info("commandstats"));
          delete calls["config|resetstat"];
          return calls;
        };
        assert.deepEqual(await served(after), { get: after.length }, "one GET per hit, no more");
        assert.deepEqual(
          await served(before),
          { get: ring.length * before.length },
          "the primary's name, then the older key's; no lock, write or retry",
        );
        assert.equal(reader.stats().l2Hits, before.length + after.length);
        assert.equal(reader.stats().l2Misses, 0);
      });

      it("deletes an entry from both levels", async () => {
        const cache = redisCache(await client(server.port));
        const entry = {
          accessToken: "t",
          expiresAt: Date.now() + 60_000,
          refreshAt: Date.now() + 30_000,
        };
        await cache.set("some cache key", entry);
        assert.equal((await admin.keys("*")).length, 1);
        const hit = cache.get("some cache key");
        assert.ok(!(hit instanceof Promise), "a synchronous hit in memory");
        assert.deepEqual(hit, entry);
        await cache.delete("some cache key");
        const lookup = cache.get("some cache key");
        assert.ok(lookup instanceof Promise, "gone from memory: Redis is asked");
        assert.equal(await lookup, undefined, "gone from Redis");
        assert.deepEqual(await admin.keys("*"), []);
      });
    });

    describe("encryption at rest", () => {
      it("stores no token, assertion, user, tenant or client id in clear text, in keys or values", async () => {
        const alice = await newUser();
        const bob = await newUser();
        mockOboEndpoint({ times: 2 });
        const provider = providerWith(redisCache(await client(server.port)));
        const tokens = [
          await provider.getAccessToken({ userAssertion: alice.assertion }),
          await provider.getAccessToken({ userAssertion: bob.assertion }),
        ];
        const secrets = [
          ...tokens,
          ...tokens.map((t) => t.split(".")[1] ?? ""),
          alice.assertion,
          bob.assertion,
          alice.assertion.split(".")[1] ?? "",
          alice.oid,
          bob.oid,
          TENANT,
          API_CLIENT_ID,
          hash("sha256", alice.assertion, "base64url"),
          hash("sha256", bob.assertion, "base64url"),
          "obo|",
          "graph.microsoft.com",
        ];
        await locksReleased(admin);
        const stored = await dump(admin);
        assert.equal(stored.length, 2);
        for (const { key, value } of stored) {
          assert.match(key, /^graph-obo-auth:t:a:[A-Za-z0-9_-]{43}$/);
          for (const secret of secrets) {
            assert.ok(!key.includes(secret), "a Redis key reveals a secret");
            assert.ok(!value.toString("latin1").includes(secret), "a Redis value reveals a secret");
            assert.ok(!value.toString("base64").includes(secret), "a Redis value reveals a secret");
          }
        }
      });

      it("treats a swapped, truncated or foreign entry as a miss, reported, never as an error", async () => {
        const users = await Promise.all([1, 2, 3, 4].map(() => newUser()));
        mockOboEndpoint({ times: users.length });
        const writer = providerWith(redisCache(await client(server.port)));
        const originals: string[] = [];
        for (const user of users) {
          originals.push(await writer.getAccessToken({ userAssertion: user.assertion }));
        }
        await locksReleased(admin);
        const [one, two, three, four] = await dump(admin);
        assert.ok(
          one !== undefined && two !== undefined && three !== undefined && four !== undefined,
        );
        // Whichever users they belong to: swap two entries, truncate one, replace one.
        await admin.set(one.key, two.value, "KEEPTTL");
        await admin.set(two.key, one.value, "KEEPTTL");
        await admin.set(three.key, three.value.subarray(0, three.value.length - 4), "KEEPTTL");
        await admin.set(four.key, "not ours at all", "KEEPTTL");

        const log = recordingLogger();
        const cache = redisCache(await client(server.port), { logger: log.logger });
        const reader = providerWith(cache);
        const exchanges = mockOboEndpoint({ times: users.length });
        for (const [i, user] of users.entries()) {
          const token = await reader.getAccessToken({ userAssertion: user.assertion });
          assert.equal(claimsOf(token).oid, user.oid, "each user still gets their own token");
          assert.notEqual(token, originals[i], "a fresh one, not the stored one");
        }
        assert.equal(exchanges.length, users.length);
        assert.equal(cache.stats().decryptFailures, users.length);
        assert.equal(cache.stats().l2Misses, users.length);
        assert.equal(log.warn.filter((m) => m.includes("could not be read")).length, users.length);
        for (const line of log.all) {
          for (const secret of [
            ...originals,
            ...users.map((u) => u.assertion),
            ...users.map((u) => u.oid),
          ]) {
            assert.ok(!line.includes(secret), "a log line reveals a secret");
          }
        }
      });
    });

    describe("key rotation", () => {
      it("reads old entries after a new primary is added, and treats a removed key's entries as misses", async () => {
        const alice = await newUser();
        const bob = await newUser();
        const exchanges = mockOboEndpoint({ times: 3 });
        const oldOnly = [{ id: "2026-10", key: KEY_A }];
        const rotated = [
          { id: "2026-11", key: KEY_B.toString("base64") },
          { id: "2026-10", key: KEY_A },
        ];
        const newOnly = [{ id: "2026-11", key: KEY_B }];

        const before = providerWith(
          redisCache(await client(server.port), { encryptionKeys: oldOnly }),
        );
        const aliceToken = await before.getAccessToken({ userAssertion: alice.assertion });
        assert.equal(exchanges.length, 1);

        const during = providerWith(
          redisCache(await client(server.port), { encryptionKeys: rotated }),
        );
        assert.equal(await during.getAccessToken({ userAssertion: alice.assertion }), aliceToken);
        assert.equal(exchanges.length, 1, "an entry under the old key is still read");
        const bobToken = await during.getAccessToken({ userAssertion: bob.assertion });
        assert.equal(exchanges.length, 2);
        await locksReleased(admin);
        const names = (await admin.keys("*")).sort();
        assert.equal(names.length, 2);
        assert.match(names[0] ?? "", /^graph-obo-auth:t:2026-10:/, "alice's, under the old key");
        assert.match(names[1] ?? "", /^graph-obo-auth:t:2026-11:/, "bob's, under the new primary");

        const log = recordingLogger();
        const afterCache = redisCache(await client(server.port), {
          encryptionKeys: newOnly,
          logger: log.logger,
        });
        const after = providerWith(afterCache);
        assert.equal(await after.getAccessToken({ userAssertion: bob.assertion }), bobToken);
        const aliceAgain = await after.getAccessToken({ userAssertion: alice.assertion });
        assert.notEqual(aliceAgain, aliceToken, "the old key's entry is a miss");
        assert.equal(exchanges.length, 3);
        assert.equal(afterCache.stats().decryptFailures, 0, "a retired key is not an error");
        assert.deepEqual(log.warn, []);
      });
    });

    describe("stored format", () => {
      it("serves entries the previous release wrote (version 1, JSON) beside current ones, under old and new keys", async () => {
        const keys = [
          { id: "b", key: KEY_B },
          { id: "a", key: KEY_A },
        ];
        const ring = KeyRing.from(keys, "encryptionKeys");
        const [newKey, oldKey] = ring.keys;
        assert.ok(newKey !== undefined && oldKey !== undefined);
        const now = Date.now();
        const entries = [0, 1, 2, 3, 4, 5].map((n) => ({
          accessToken: `token-${String(n)}`,
          expiresAt: now + 60_000 + n,
          refreshAt: now + 30_000 + n,
          ...(n % 2 === 0 ? { assertionExpiresAt: now + 50_000 } : {}),
        }));
        const entryFor = (n: number) => entries[n] ?? assert.fail("no entry");
        // Users 0-3 were cached by the previous release (under either key); 4-5 by this one.
        const previous = [0, 1, 2, 3];
        for (const n of previous) {
          const ringKey = n < 2 ? oldKey : newKey;
          const cacheKey = `cache key ${String(n)}`;
          const name = `graph-obo-auth:t:${ringKey.id}:${KeyRing.digest(ringKey, cacheKey)}`;
          await admin.set(name, sealEntryV1(ringKey, cacheKey, entryFor(n)), "PX", 60_000);
        }
        const writer = redisCache(await client(server.port), { encryptionKeys: keys });
        for (const n of [4, 5]) await writer.set(`cache key ${String(n)}`, entryFor(n));

        const log = recordingLogger();
        const reader = redisCache(await client(server.port), {
          encryptionKeys: keys,
          memoryCache: false,
          logger: log.logger,
        });
        const found = await Promise.all(
          [0, 1, 2, 3, 4, 5].map(async (n) => reader.get(`cache key ${String(n)}`)),
        );
        assert.deepEqual(found, entries);
        assert.equal(reader.stats().l2Hits, 6);
        assert.equal(reader.stats().decryptFailures, 0);
        assert.deepEqual(log.warn, []);
        const versions = (await dump(admin)).map(({ value }) => value[0]).sort();
        assert.deepEqual(versions, [1, 1, 1, 1, 2, 2], "new entries are written as version 2");
      });
    });

    describe("expiry", () => {
      it("gives each Redis entry a TTL that follows its token's expiry", async () => {
        const short = await newUser();
        const long = await newUser();
        mockOboEndpoint({ times: 1 }); // expires_in 3599
        nock("https://login.microsoftonline.com")
          .post(/\/oauth2\/v2\.0\/token/)
          .query(true)
          .reply(200, {
            token_type: "Bearer",
            expires_in: 900,
            access_token: "eyJhbGciOiJub25lIn0.eyJvaWQiOiJzaG9ydCJ9.sig",
          });
        const provider = providerWith(redisCache(await client(server.port)));
        await provider.getAccessToken({ userAssertion: long.assertion });
        await locksReleased(admin);
        const [longName] = await admin.keys("*");
        await provider.getAccessToken({ userAssertion: short.assertion });
        await locksReleased(admin);
        const shortName = (await admin.keys("*")).find((name) => name !== longName);
        assert.ok(longName !== undefined && shortName !== undefined);
        const longTtl = await admin.pttl(longName);
        const shortTtl = await admin.pttl(shortName);
        // msal-node rounds the expiry to the second: up to 1 s more than expires_in.
        assert.ok(longTtl > 3_500_000 && longTtl <= 3_600_000, `TTL ${longTtl} follows 3599 s`);
        assert.ok(shortTtl > 800_000 && shortTtl <= 901_000, `TTL ${shortTtl} follows 900 s`);
      });
    });

    describe("failures", () => {
      it("answers every request through the token endpoint while Redis is killed, and recovers once it is back", async () => {
        const log = recordingLogger();
        const cache = redisCache(await client(server.port), { logger: log.logger });
        const provider = providerWith(cache);
        const users = await Promise.all(Array.from({ length: 24 }, () => newUser()));
        const exchanges = mockOboEndpoint({ times: users.length });

        const results: string[] = [];
        for (let batch = 0; batch < 6; batch++) {
          const calls = users
            .slice(batch * 4, batch * 4 + 4)
            .map((user) => provider.getAccessToken({ userAssertion: user.assertion }));
          if (batch === 1) await server.kill(); // while the batch is in flight
          if (batch === 4) await server.restart();
          results.push(...(await Promise.all(calls)));
        }
        assert.equal(results.length, users.length, "no request failed");
        for (const [i, token] of results.entries())
          assert.equal(claimsOf(token).oid, users[i]?.oid);
        assert.equal(exchanges.length, users.length);
        assert.ok(cache.stats().breakerOpens >= 1, "the circuit opened");
        assert.ok(log.warn.some((m) => m.includes("Redis is unavailable")));

        // Recovery: the reconnected client and the breaker's probe bring Redis back into use.
        await eventually(async () => {
          await cache.get("recovery probe");
          return cache.circuitState === "closed";
        }, "the circuit closes");
        assert.ok(log.info.some((m) => m.includes("reachable again")));
        const carol = await newUser();
        mockOboEndpoint({ times: 1 });
        const token = await provider.getAccessToken({ userAssertion: carol.assertion });
        const other = providerWith(redisCache(await client(server.port)));
        assert.equal(await other.getAccessToken({ userAssertion: carol.assertion }), token);
        assert.equal(other.stats().tokenRequests, 0, "shared through Redis again");
      });

      it("bounds every call by the time-out while Redis hangs, then stops calling it", async () => {
        const cache = redisCache(await client(server.port), {
          timeoutMs: 50,
          circuitBreaker: { failureThreshold: 3, cooldownMs: 50 },
        });
        const provider = providerWith(cache);
        const users = await Promise.all(Array.from({ length: 5 }, () => newUser()));
        const exchanges = mockOboEndpoint({ times: users.length });
        server.freeze();
        try {
          for (const user of users) {
            const token = await provider.getAccessToken({ userAssertion: user.assertion });
            assert.equal(claimsOf(token).oid, user.oid);
          }
          const stats = cache.stats();
          assert.equal(exchanges.length, users.length);
          assert.ok(stats.l2Timeouts >= 3, "timed-out commands opened the circuit");
          assert.equal(stats.breakerOpens, 1);
          assert.ok(stats.l2Skipped > 0, "later calls did not wait for Redis");
          assert.notEqual(cache.circuitState, "closed");
        } finally {
          server.thaw();
        }
        await eventually(async () => {
          await cache.get("recovery probe");
          return cache.circuitState === "closed";
        }, "the circuit closes");
        assert.equal(cache.stats().breakerState, 0);
      });

      it("keeps the circuit closed when our own event loop, not Redis, is late", async () => {
        const users = await Promise.all([1, 2, 3, 4, 5].map(() => newUser()));
        const warm = providerWith(redisCache(await client(server.port)));
        const exchanges = mockOboEndpoint({ times: users.length });
        const tokens = await Promise.all(
          users.map((user) => warm.getAccessToken({ userAssertion: user.assertion })),
        );
        const cache = redisCache(await client(server.port), {
          timeoutMs: 50,
          circuitBreaker: { failureThreshold: 1, cooldownMs: 60_000 },
        });
        const provider = providerWith(cache);
        // Every read is in flight when a synchronous task holds the loop for six time-outs.
        const calls = users.map((user) =>
          provider.getAccessToken({ userAssertion: user.assertion }),
        );
        await blockEventLoop(300);
        assert.deepEqual(await Promise.all(calls), tokens, "each user got their own token");
        const stats = cache.stats();
        assert.equal(stats.l2LateReplies, users.length, "the replies came after the timer fired");
        assert.equal(stats.l2Hits, users.length);
        assert.equal(stats.l2Timeouts, 0);
        assert.equal(stats.breakerOpens, 0);
        assert.equal(cache.circuitState, "closed");
        assert.equal(provider.stats().tokenRequests, 0, "no token request for a late reply");
        assert.equal(exchanges.length, users.length, "only the warming requests");
      });

      it("still opens the circuit when Redis hangs while our event loop is late too", async () => {
        const users = await Promise.all([1, 2, 3, 4].map(() => newUser()));
        const cache = redisCache(await client(server.port), {
          timeoutMs: 50,
          circuitBreaker: { failureThreshold: 3, cooldownMs: 60_000 },
        });
        const provider = providerWith(cache);
        const exchanges = mockOboEndpoint({ times: users.length });
        server.freeze();
        try {
          const calls = users.map((user) =>
            provider.getAccessToken({ userAssertion: user.assertion }),
          );
          await blockEventLoop(300);
          const tokens = await Promise.all(calls);
          for (const [i, token] of tokens.entries())
            assert.equal(claimsOf(token).oid, users[i]?.oid);
        } finally {
          server.thaw();
        }
        const stats = cache.stats();
        assert.equal(exchanges.length, users.length);
        assert.equal(stats.l2LateReplies, 0);
        assert.ok(stats.l2Timeouts >= users.length, "Redis's silence was a time-out after all");
        assert.equal(stats.breakerOpens, 1);
        assert.equal(cache.circuitState, "open");
      });

      it("stays bounded with a client that queues commands while disconnected, forever", async () => {
        const log = recordingLogger();
        const queueing = await client(server.port, {
          enableOfflineQueue: true, // the ioredis default
          maxRetriesPerRequest: null, // wait for the connection forever
        });
        const cache = redisCache(queueing, { timeoutMs: 50, logger: log.logger });
        assert.ok(log.warn.some((m) => m.includes("enableOfflineQueue: false")));
        const provider = providerWith(cache);
        const users = await Promise.all([1, 2, 3, 4].map(() => newUser()));
        const exchanges = mockOboEndpoint({ times: users.length });
        await server.kill();
        try {
          for (const user of users) {
            const token = await provider.getAccessToken({ userAssertion: user.assertion });
            assert.equal(claimsOf(token).oid, user.oid);
          }
        } finally {
          await server.restart();
        }
        assert.equal(exchanges.length, users.length);
        assert.ok(cache.stats().l2Timeouts >= 3, "queued commands were abandoned at the time-out");
        assert.equal(cache.stats().breakerOpens, 1);
        await eventually(async () => {
          await cache.get("recovery probe");
          return cache.circuitState === "closed";
        }, "the circuit closes");
      });

      it("validates the key ring before any Redis command", async () => {
        const unconnected = await client(server.port, { lazyConnect: true });
        assert.throws(
          () =>
            new RedisTokenCache({
              client: unconnected,
              encryptionKeys: [{ id: "k", key: Buffer.alloc(16) }],
            }),
          (error: unknown) =>
            error instanceof OnBehalfOfError &&
            error.code === "ERR_OBO_CONFIGURATION" &&
            error.option === "encryptionKeys[0].key",
        );
        const connected =
          "isOpen" in unconnected ? unconnected.isOpen : unconnected.status !== "wait";
        assert.equal(connected, false, "the client never connected");
      });
    });

    describe("fleet-wide single flight", () => {
      it("makes one token request for three instances missing the same user at once", async () => {
        const alice = await newUser();
        const exchanges = mockOboEndpoint({ times: 1, delayMs: 150 });
        const caches = await Promise.all(
          [1, 2, 3].map(async () => redisCache(await client(server.port))),
        );
        const providers = caches.map((cache) => providerWith(cache));
        const tokens = await Promise.all(
          providers.flatMap((provider) =>
            [1, 2, 3, 4].map(() => provider.getAccessToken({ userAssertion: alice.assertion })),
          ),
        );
        assert.equal(exchanges.length, 1);
        assert.equal(new Set(tokens).size, 1);
        const sum = (name: "lockAcquired" | "lockWaitHits" | "lockWaitFallbacks") =>
          caches.reduce((total, cache) => total + cache.stats()[name], 0);
        assert.equal(sum("lockAcquired"), 1);
        assert.equal(sum("lockWaitHits"), 2);
        assert.equal(sum("lockWaitFallbacks"), 0);
        await eventually(
          async () => (await admin.keys("*l:*")).length === 0,
          "the lock is released",
        );
      });

      it("lets a waiting instance fetch at once when the lock holder's request fails", async () => {
        const alice = await newUser();
        const failed = mockTokenError(400, entraError("invalid_request", 90009));
        const exchanges = mockOboEndpoint({ times: 1, delayMs: 50 });
        const caches = await Promise.all(
          [1, 2, 3].map(async () => redisCache(await client(server.port))),
        );
        const outcomes = await Promise.allSettled(
          caches.map((cache) =>
            providerWith(cache).getAccessToken({ userAssertion: alice.assertion }),
          ),
        );
        assert.equal(failed.length + exchanges.length, 2);
        assert.equal(outcomes.filter((o) => o.status === "rejected").length, 1);
        assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 2);
        const sum = (name: "lockAcquired" | "lockWaitHits" | "lockWaitFallbacks") =>
          caches.reduce((total, cache) => total + cache.stats()[name], 0);
        assert.equal(sum("lockAcquired"), 2);
        assert.equal(sum("lockWaitHits"), 1);
        assert.equal(sum("lockWaitFallbacks"), 0, "nobody waited for the deadline");
      });

      it("fetches after waitMs when the lock holder never answers", async () => {
        const holder = redisCache(await client(server.port));
        let release: (() => void) | undefined;
        const stuck = holder.coordinate("a cache key", async () => {
          await new Promise<void>((resolve) => (release = resolve));
          throw new Error("the holder gives up");
        });
        const waiter = redisCache(await client(server.port), { singleFlight: { waitMs: 100 } });
        try {
          await eventually(async () => (await admin.keys("*l:*")).length === 1, "the lock is held");
          let fetches = 0;
          const entry = await waiter.coordinate("a cache key", () => {
            fetches++;
            return Promise.resolve({
              accessToken: "fetched by the waiter",
              expiresAt: Date.now() + 3_600_000,
              refreshAt: Date.now() + 3_000_000,
            });
          });
          assert.equal(entry.accessToken, "fetched by the waiter");
          assert.equal(fetches, 1);
          assert.equal(waiter.stats().lockWaitFallbacks, 1);
        } finally {
          release?.();
          await stuck.catch(() => undefined);
        }
        await eventually(
          async () => (await admin.keys("*l:*")).length === 0,
          "the lock is released",
        );
      });
    });
  });
}

/** Calls per command from `INFO commandstats` (`cmdstat_get:calls=3,...`). */
function commandCalls(info: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls[match[1] ?? ""] = Number(match[2]);
  }
  return calls;
}
