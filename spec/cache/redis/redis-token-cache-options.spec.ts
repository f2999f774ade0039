import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createClient, createCluster } from "@redis/client";
import type { Redis } from "ioredis";
import {
  RedisTokenCache,
  type RedisClient,
  type RedisTokenCacheOptions,
} from "../../../lib/redis.js";
import type { CachedToken } from "../../../lib/cache/token-cache.js";
import { OnBehalfOfError } from "../../../lib/util/errors.js";
import { recordingLogger } from "./fixtures.js";

const KEY = randomBytes(32);

type Behaviour = "hang" | "reject";

/** A stand-in for an ioredis client whose every command hangs or fails; records the calls. */
function brokenClient(behaviour: Behaviour, options: { enableOfflineQueue?: boolean } = {}) {
  const calls: string[] = [];
  const command = (name: string) => (): Promise<never> => {
    calls.push(name);
    return behaviour === "hang"
      ? new Promise<never>(() => undefined)
      : Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
  };
  const client = {
    options: { enableOfflineQueue: options.enableOfflineQueue ?? false },
    getBuffer: command("getBuffer"),
    set: command("set"),
    del: command("del"),
    eval: command("eval"),
    ping: command("ping"),
  };
  return { client: client as unknown as Redis, calls };
}

function entry(): CachedToken {
  return { accessToken: "t", expiresAt: Date.now() + 60_000, refreshAt: Date.now() + 30_000 };
}

function cacheWith(client: RedisClient, options: Partial<RedisTokenCacheOptions> = {}) {
  return new RedisTokenCache({
    client,
    encryptionKeys: [{ id: "k", key: KEY }],
    timeoutMs: 20,
    ...options,
  });
}

describe("RedisTokenCache options and failure handling (no server needed)", () => {
  describe("validation", () => {
    const { client } = brokenClient("reject");
    const cases: [string, Partial<RedisTokenCacheOptions>][] = [
      ["client", { client: {} as unknown as Redis }],
      ["client", { client: null as unknown as Redis }],
      ["encryptionKeys", { encryptionKeys: [] }],
      ["keyPrefix", { keyPrefix: "{tenant}:" }],
      ["keyPrefix", { keyPrefix: 3 as unknown as string }],
      ["timeoutMs", { timeoutMs: 0 }],
      ["timeoutMs", { timeoutMs: Number.POSITIVE_INFINITY }],
      ["circuitBreaker.failureThreshold", { circuitBreaker: { failureThreshold: 1.5 } }],
      ["circuitBreaker.failureThreshold", { circuitBreaker: { failureThreshold: 0 } }],
      ["circuitBreaker.cooldownMs", { circuitBreaker: { cooldownMs: -1 } }],
      ["singleFlight.lockTtlMs", { singleFlight: { lockTtlMs: 0 } }],
      ["singleFlight.waitMs", { singleFlight: { waitMs: Number.NaN } }],
    ];
    for (const [option, overrides] of cases) {
      it(`refuses a bad ${option} with ERR_OBO_CONFIGURATION naming it`, () => {
        assert.throws(
          () => cacheWith(client, overrides),
          (error: unknown) =>
            error instanceof OnBehalfOfError &&
            error.code === "ERR_OBO_CONFIGURATION" &&
            error.option === option &&
            error.message.startsWith(`RedisTokenCache: option "${option}"`),
        );
      });
    }

    it("refuses options that are not an object", () => {
      assert.throws(
        () => new RedisTokenCache(undefined as unknown as RedisTokenCacheOptions),
        OnBehalfOfError,
      );
    });

    it("warns when the client would queue commands while disconnected", () => {
      const log = recordingLogger();
      cacheWith(brokenClient("reject", { enableOfflineQueue: true }).client, {
        logger: log.logger,
      });
      cacheWith(brokenClient("reject").client, { logger: log.logger });
      assert.equal(log.warn.length, 1);
      assert.match(log.warn[0] ?? "", /enableOfflineQueue: false/);
    });

    it("accepts node-redis clients, standalone and cluster, and warns when one would queue", () => {
      const log = recordingLogger();
      const socket = { host: "127.0.0.1", port: 1 };
      // Never connected: the cache only looks at the clients here.
      cacheWith(createClient({ socket, disableOfflineQueue: true }), { logger: log.logger });
      cacheWith(
        createCluster({ rootNodes: [{ socket }], defaults: { disableOfflineQueue: true } }),
        { logger: log.logger },
      );
      assert.deepEqual(log.warn, []);
      cacheWith(createClient({ socket }), { logger: log.logger });
      cacheWith(createCluster({ rootNodes: [{ socket }] }), { logger: log.logger });
      assert.equal(log.warn.length, 2);
      for (const line of log.warn) assert.match(line, /disableOfflineQueue: true \(node-redis\)/);
    });
  });

  describe("with a Redis that never answers", () => {
    it("answers a read as a miss, and a write, after the time-out, and then stops calling", async () => {
      const { client, calls } = brokenClient("hang");
      const cache = cacheWith(client, {
        circuitBreaker: { failureThreshold: 2, cooldownMs: 60_000 },
      });
      assert.equal(await cache.get("k"), undefined);
      const stored = entry();
      await cache.set("k", stored);
      assert.equal(cache.circuitState, "open");
      assert.equal(cache.get("other"), undefined, "answered at once, without a promise");
      await cache.set("other", entry());
      await cache.delete("other");
      assert.deepEqual(calls, ["getBuffer", "set"]);
      const stats = cache.stats();
      assert.equal(stats.l2Timeouts, 2);
      assert.equal(stats.l2Skipped, 1, "the delete was skipped; get and set did not even try");
      assert.equal(stats.breakerState, 1);
      assert.deepEqual(cache.get("k"), stored, "memory still serves, synchronously");
    });

    it("lets coordinate fetch at once", async () => {
      const { client } = brokenClient("hang");
      const cache = cacheWith(client);
      let fetches = 0;
      const fetched = await cache.coordinate("k", () => {
        fetches++;
        return Promise.resolve(entry());
      });
      assert.equal(fetched.accessToken, "t");
      assert.equal(fetches, 1);
    });
  });

  describe("with a Redis that refuses every command", () => {
    it("counts errors, opens the circuit, and keeps a failed probe from closing it", async () => {
      const { client, calls } = brokenClient("reject");
      const clock = { now: 0 };
      const cache = cacheWith(client, {
        now: () => clock.now,
        circuitBreaker: { failureThreshold: 1, cooldownMs: 1_000 },
      });
      assert.equal(await cache.get("k"), undefined);
      assert.equal(cache.circuitState, "open");
      clock.now = 1_000;
      assert.equal(cache.get("k"), undefined);
      assert.equal(cache.circuitState, "half-open");
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(cache.circuitState, "open");
      assert.deepEqual(calls, ["getBuffer", "ping"]);
      assert.equal(cache.stats().l2Errors, 2);
      assert.equal(cache.stats().breakerOpens, 1);
    });
  });

  it("skips the fleet lock when single flight is off", async () => {
    const { client, calls } = brokenClient("reject");
    const cache = cacheWith(client, { singleFlight: false });
    const fetched = await cache.coordinate("k", () => Promise.resolve(entry()));
    assert.equal(fetched.accessToken, "t");
    assert.deepEqual(calls, []);
  });
});
