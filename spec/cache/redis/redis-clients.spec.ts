import assert from "node:assert/strict";
import { mockOboEndpoint } from "../../support/entra.js";
import {
  requireRedisServer,
  started,
  stopAll,
  startRedisCluster,
  startRedisServer,
  type RedisClusterServers,
  type RedisServer,
} from "../../support/redis-server.js";
import {
  CLIENT_KINDS,
  cacheClient,
  cacheClusterClient,
  disconnectClients,
  newUser,
  providerWith,
  redisCache,
  redisClient,
} from "./fixtures.js";

/**
 * The ACL a token cache needs: its own keys, the five commands it sends, and ioredis's ready check's
 * INFO (HELLO and AUTH are always allowed; both clients' best-effort CLIENT SETINFO may be refused).
 */
export const TOKEN_CACHE_ACL = [
  "on",
  ">cache-user-password",
  "~graph-obo-auth:*",
  "resetchannels",
  "-@all",
  "+get",
  "+set",
  "+del",
  "+eval",
  "+ping",
  "+info",
];

for (const kind of CLIENT_KINDS) {
  describe(`RedisTokenCache with the clients an application already has, through ${kind}`, function () {
    this.timeout(30_000);

    afterEach(disconnectClients);

    describe("an ACL user", () => {
      let server: RedisServer;

      before(async function () {
        requireRedisServer(this);
        server = await started(startRedisServer({ args: ["--requirepass", "admin-password"] }));
        const admin = await redisClient(server.port, { password: "admin-password" });
        await admin.call("ACL", "SETUSER", "token-cache", ...TOKEN_CACHE_ACL);
        disconnectClients();
      });

      after(async () => {
        await stopAll();
      });

      it("shares tokens with only the permissions in the README", async () => {
        const alice = await newUser();
        const exchanges = mockOboEndpoint({ times: 1, delayMs: 50 });
        const asUser = () =>
          cacheClient(kind, server.port, {
            username: "token-cache",
            password: "cache-user-password",
          });
        const caches = [redisCache(await asUser()), redisCache(await asUser())];
        const [first, second] = caches.map((cache) => providerWith(cache));
        assert.ok(first !== undefined && second !== undefined);
        const tokens = await Promise.all([
          first.getAccessToken({ userAssertion: alice.assertion }),
          second.getAccessToken({ userAssertion: alice.assertion }),
        ]);
        assert.equal(tokens[0], tokens[1]);
        assert.equal(exchanges.length, 1, "the lock works under the ACL too");
        for (const cache of caches) {
          assert.equal(cache.stats().l2Errors, 0, "no command was refused");
        }
      });
    });

    describe("TLS with a password (as Azure Cache for Redis on port 6380)", () => {
      let server: RedisServer;

      before(async function () {
        requireRedisServer(this);
        server = await started(
          startRedisServer({ tls: true, args: ["--requirepass", "access-key"] }),
        );
      });

      after(async () => {
        await stopAll();
      });

      it("shares tokens over TLS", async () => {
        const alice = await newUser();
        const exchanges = mockOboEndpoint({ times: 1 });
        const overTls = () =>
          cacheClient(kind, server.port, {
            password: "access-key",
            tls: { ca: server.certificate, servername: "localhost" },
          });
        const first = providerWith(redisCache(await overTls()));
        const second = providerWith(redisCache(await overTls()));
        const token = await first.getAccessToken({ userAssertion: alice.assertion });
        assert.equal(await second.getAccessToken({ userAssertion: alice.assertion }), token);
        assert.equal(exchanges.length, 1);
      });
    });

    describe("Redis Cluster", () => {
      let cluster: RedisClusterServers;

      before(async function () {
        requireRedisServer(this);
        cluster = await started(startRedisCluster(3));
      });

      after(async () => {
        await stopAll();
      });

      it("shares tokens and single-flights misses across a cluster's slots", async () => {
        const users = await Promise.all([1, 2, 3, 4, 5, 6].map(() => newUser()));
        const exchanges = mockOboEndpoint({ times: users.length, delayMs: 50 });
        const caches = await Promise.all(
          [1, 2, 3].map(async () => redisCache(await cacheClusterClient(kind, cluster.nodes))),
        );
        const providers = caches.map((cache) => providerWith(cache));
        const tokens = await Promise.all(
          users.map((user) =>
            Promise.all(
              providers.map((provider) =>
                provider.getAccessToken({ userAssertion: user.assertion }),
              ),
            ),
          ),
        );
        const stats = caches.map((cache) => cache.stats());
        const why = JSON.stringify(
          stats.map(({ l2Errors, l2Timeouts, lockWaitFallbacks }) => ({
            l2Errors,
            l2Timeouts,
            lockWaitFallbacks,
          })),
        );
        for (const perUser of tokens) assert.equal(new Set(perUser).size, 1, why);
        assert.equal(exchanges.length, users.length, "one token request per user, fleet-wide");
        const errors = caches.reduce((total, cache) => total + cache.stats().l2Errors, 0);
        assert.equal(errors, 0, "no cross-slot or routing error");
      });
    });
  });
}
