import assert from "node:assert/strict";
import { claimsOf, mockOboEndpoint } from "../../support/entra.js";
import {
  requireRedisServer,
  startRedisServer,
  started,
  stopAll,
  type RedisServer,
} from "../../support/redis-server.js";
import {
  CLIENT_KINDS,
  cacheClient,
  disconnectClients,
  eventually,
  newUser,
  providerWith,
  redisCache,
  redisClient,
} from "../../cache/redis/fixtures.js";
import { registerSdk, sumOf, type RegisteredSdk } from "./otel-sdk.js";

for (const kind of CLIENT_KINDS) {
  describe(`OpenTelemetry of the Redis token cache, through ${kind}`, function () {
    let server: RedisServer;
    let sdk: RegisteredSdk;

    before(async function () {
      requireRedisServer(this);
      server = await started(startRedisServer());
    });

    beforeEach(async () => {
      const admin = await redisClient(server.port);
      await admin.flushall();
      sdk = registerSdk();
    });

    afterEach(async () => {
      disconnectClients();
      await sdk.shutdown();
    });

    after(async () => {
      await stopAll();
    });

    it("counts second-level hits and misses", async () => {
      const alice = await newUser();
      const bob = await newUser();
      mockOboEndpoint({ times: 2 });
      const first = providerWith(redisCache(await cacheClient(kind, server.port)));
      const second = providerWith(redisCache(await cacheClient(kind, server.port)));

      await first.getAccessToken({ userAssertion: alice.assertion }); // Redis miss, fetched
      await second.getAccessToken({ userAssertion: alice.assertion }); // Redis hit
      await second.getAccessToken({ userAssertion: alice.assertion }); // memory hit
      await second.getAccessToken({ userAssertion: bob.assertion }); // Redis miss, fetched

      const collected = await sdk.collect();
      assert.equal(sumOf(collected, "graph_obo_auth.redis.hits"), 1);
      assert.equal(sumOf(collected, "graph_obo_auth.redis.misses"), 2);
      assert.equal(sumOf(collected, "graph_obo_auth.cache.hits"), 2, "a Redis hit is a hit too");
      assert.equal(sumOf(collected, "graph_obo_auth.redis.circuit.open"), 0);
    });

    it("counts timed-out commands and reports the circuit open while Redis hangs, closed once it is back", async () => {
      const cache = redisCache(await cacheClient(kind, server.port), {
        timeoutMs: 50,
        circuitBreaker: { failureThreshold: 3, cooldownMs: 50 },
      });
      const provider = providerWith(cache);
      const users = await Promise.all(Array.from({ length: 5 }, () => newUser()));
      mockOboEndpoint({ times: users.length });
      server.freeze();
      try {
        for (const user of users) {
          const token = await provider.getAccessToken({ userAssertion: user.assertion });
          assert.equal(claimsOf(token).oid, user.oid, "every user served meanwhile");
        }
        const collected = await sdk.collect();
        const timeouts = sumOf(collected, "graph_obo_auth.redis.failures", {
          "graph_obo_auth.redis.failure": "timeout",
        });
        assert.equal(timeouts, cache.stats().l2Timeouts);
        assert.ok(timeouts >= 3, "the time-outs that opened the circuit");
        assert.equal(sumOf(collected, "graph_obo_auth.redis.circuit.open"), 1);
      } finally {
        server.thaw();
      }
      await eventually(async () => {
        await cache.get("recovery probe");
        return cache.circuitState === "closed";
      }, "the circuit closes");
      assert.equal(sumOf(await sdk.collect(), "graph_obo_auth.redis.circuit.open"), 0);
    });

    it("counts failed commands as errors while Redis is down, and every user is served", async () => {
      const cache = redisCache(await cacheClient(kind, server.port), {
        circuitBreaker: { failureThreshold: 100, cooldownMs: 50 },
      });
      const provider = providerWith(cache);
      const users = await Promise.all(Array.from({ length: 3 }, () => newUser()));
      mockOboEndpoint({ times: users.length });
      await server.kill();
      try {
        for (const user of users) {
          const token = await provider.getAccessToken({ userAssertion: user.assertion });
          assert.equal(claimsOf(token).oid, user.oid);
        }
        const collected = await sdk.collect();
        const failures = (failure: string): number =>
          sumOf(collected, "graph_obo_auth.redis.failures", {
            "graph_obo_auth.redis.failure": failure,
          });
        const stats = cache.stats();
        assert.equal(failures("error"), stats.l2Errors);
        assert.equal(failures("timeout"), stats.l2Timeouts);
        assert.ok(failures("error") >= 1, "refused connections are errors");
        // A command already on the dying socket may time out instead.
        assert.ok(
          failures("error") + failures("timeout") >= users.length,
          "each user's read failed",
        );
      } finally {
        await server.restart();
      }
    });
  });
}
