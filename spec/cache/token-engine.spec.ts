import assert from "node:assert/strict";
import { MemoryTokenCache } from "../../lib/cache/memory-token-cache.js";
import type { CachedToken, TokenCache } from "../../lib/cache/token-cache.js";
import {
  TokenEngine,
  type FetchedToken,
  type TokenCacheEvent,
  type TokenStats,
} from "../../lib/cache/token-engine.js";
import { OnBehalfOfError } from "../../lib/shared/errors.js";
import { createLogger } from "../../lib/shared/logger.js";
import { CacheMetrics } from "../../lib/shared/telemetry/cache-metrics.js";
import { PipelineMetrics } from "../../lib/shared/telemetry/pipeline-metrics.js";

const MINUTE = 60_000;

interface Harness {
  engine: TokenEngine<string>;
  fetches: string[];
  clock: { now: number };
  events: TokenCacheEvent[];
  warnings: string[];
  release: () => void;
  metrics: PipelineMetrics;
  stats: () => TokenStats;
}

/**
 * An engine whose fetch returns `token-<request>-<n>`, valid for `lifetimeMs`. With `gate`, fetches
 * wait until `release()` is called.
 */
function harness(
  options: {
    lifetimeMs?: number;
    assertionLifetimeMs?: number;
    gate?: boolean;
    fail?: (request: string) => Error | undefined;
    cache?: TokenCache;
  } = {},
): Harness {
  const clock = { now: Date.now() };
  const fetches: string[] = [];
  const events: TokenCacheEvent[] = [];
  const warnings: string[] = [];
  let open = options.gate !== true;
  let waiters: (() => void)[] = [];
  const release = (): void => {
    open = true;
    for (const w of waiters) w();
    waiters = [];
  };
  const cache = options.cache ?? new MemoryTokenCache({ now: () => clock.now });
  const metrics = new PipelineMetrics(new CacheMetrics(), (event) => events.push(event));
  const engine = new TokenEngine<string>({
    cache,
    fetch: async (request): Promise<FetchedToken> => {
      fetches.push(request);
      if (!open) await new Promise<void>((resolve) => waiters.push(resolve));
      const failure = options.fail?.(request);
      if (failure !== undefined) throw failure;
      return {
        accessToken: `token-${request}-${fetches.length}`,
        expiresAt: clock.now + (options.lifetimeMs ?? 60 * MINUTE),
        assertionExpiresAt: clock.now + (options.assertionLifetimeMs ?? 60 * MINUTE),
      };
    },
    log: createLogger({ warn: (m) => warnings.push(m) }),
    now: () => clock.now,
    expirySkewMs: 2 * MINUTE,
    refreshAheadMs: 5 * MINUTE,
    clockSkewMs: MINUTE,
    metrics,
    assertionExpired: () =>
      new OnBehalfOfError("ERR_OBO_USER_ASSERTION_EXPIRED", "The user assertion has expired."),
  });
  return {
    engine,
    fetches,
    clock,
    events,
    warnings,
    release,
    metrics,
    stats: () => metrics.stats(cache),
  };
}

describe("TokenEngine", () => {
  describe("single-flight", () => {
    it("sends one request for N concurrent misses of the same key, and all get its token", async () => {
      const h = harness({ gate: true });
      const calls = Array.from({ length: 100 }, () =>
        h.engine.acquire({ key: "k", request: () => "alice" }),
      );
      await Promise.resolve();
      h.release();
      const tokens = await Promise.all(calls);
      assert.equal(h.fetches.length, 1);
      assert.equal(new Set(tokens).size, 1);
      const stats = h.stats();
      assert.equal(stats.misses, 1);
      assert.equal(stats.coalesced, 99);
    });

    it("hands every waiter the same typed error, and the next call tries again", async () => {
      const failure = new OnBehalfOfError("ERR_OBO_TOKEN_REQUEST_FAILED", "boom");
      let failing = true;
      const h = harness({ gate: true, fail: () => (failing ? failure : undefined) });
      const calls = Array.from({ length: 5 }, () =>
        h.engine.acquire({ key: "k", request: () => "alice" }).then(
          () => assert.fail("expected a failure"),
          (error: unknown) => error,
        ),
      );
      h.release();
      const errors = await Promise.all(calls);
      for (const error of errors) assert.equal(error, failure);
      assert.equal(h.fetches.length, 1);
      assert.equal(h.stats().failures, 1);
      failing = false;
      assert.match(await h.engine.acquire({ key: "k", request: () => "alice" }), /^token-alice-/);
      assert.equal(h.fetches.length, 2, "a failure is not cached");
    });

    it("never blocks one key behind a slow key", async () => {
      const gates = new Map<string, () => void>();
      const engine = new TokenEngine<string>({
        cache: new MemoryTokenCache(),
        fetch: async (request) => {
          if (request === "slow") await new Promise<void>((resolve) => gates.set(request, resolve));
          return { accessToken: request, expiresAt: Date.now() + 60 * MINUTE };
        },
        log: createLogger(undefined),
        now: Date.now,
        expirySkewMs: 0,
        refreshAheadMs: 0,
        clockSkewMs: 0,
      });
      const slow = engine.acquire({ key: "slow", request: () => "slow" });
      assert.equal(await engine.acquire({ key: "fast", request: () => "fast" }), "fast");
      gates.get("slow")?.();
      assert.equal(await slow, "slow");
    });
  });

  describe("isolation", () => {
    it("keeps keys apart: each key has its own token", async () => {
      const h = harness();
      const a = await h.engine.acquire({ key: "user-a|scopes-1", request: () => "a1" });
      const b = await h.engine.acquire({ key: "user-b|scopes-1", request: () => "b1" });
      const a2 = await h.engine.acquire({ key: "user-a|scopes-2", request: () => "a2" });
      assert.deepEqual(new Set([a, b, a2]).size, 3);
      assert.equal(await h.engine.acquire({ key: "user-a|scopes-1", request: () => "ignored" }), a);
      assert.equal(h.fetches.length, 3);
    });
  });

  describe("expiry", () => {
    it("reads the clock once per hit (the cache's peek reads none), and never serves an expired entry", async () => {
      const h = harness({ lifetimeMs: 10 * MINUTE, assertionLifetimeMs: 60 * MINUTE });
      const first = await h.engine.acquire({ key: "k", request: () => "alice" });
      let value = h.clock.now;
      let reads = 0;
      Object.defineProperty(h.clock, "now", {
        get: () => (reads++, value),
        set: (v: number) => (value = v),
      });
      assert.equal(await h.engine.acquire({ key: "k", request: () => "alice" }), first);
      assert.equal(reads, 1);
      h.clock.now = value + 10 * MINUTE; // expired
      const second = await h.engine.acquire({ key: "k", request: () => "alice" });
      assert.notEqual(second, first);
      assert.equal(h.fetches.length, 2);
      assert.equal(h.stats().expired, 1, "the expired entry was dropped and counted");
    });

    it("serves a token until the expiry skew, then fetches a new one", async () => {
      const h = harness({ lifetimeMs: 10 * MINUTE });
      const first = await h.engine.acquire({ key: "k", request: () => "r" });
      h.clock.now += 7 * MINUTE; // 3 minutes left: still served (skew is 2)
      assert.equal(await h.engine.acquire({ key: "k", request: () => "r" }), first);
      h.clock.now += 90_000; // 1.5 minutes left: inside the skew
      const h2 = await h.engine.acquire({ key: "k", request: () => "r" });
      assert.notEqual(h2, first);
    });

    it("never serves a cached token once the user assertion has expired", async () => {
      const h = harness({ lifetimeMs: 60 * MINUTE, assertionLifetimeMs: 10 * MINUTE });
      await h.engine.acquire({ key: "k", request: () => "r" });
      h.clock.now += 10 * MINUTE + 30_000; // within the clock skew: still served
      await h.engine.acquire({ key: "k", request: () => "r" });
      h.clock.now += MINUTE;
      await assert.rejects(h.engine.acquire({ key: "k", request: () => "r" }), {
        code: "ERR_OBO_USER_ASSERTION_EXPIRED",
      });
      assert.equal(h.fetches.length, 1, "no token request for an expired assertion");
    });
  });

  describe("refresh ahead of expiry", () => {
    it("renews once in the background while callers keep the still-valid token", async () => {
      const h = harness({ lifetimeMs: 60 * MINUTE, gate: false });
      const first = await h.engine.acquire({ key: "k", request: () => "r" });
      h.clock.now += 56 * MINUTE; // inside the 5-minute refresh window, outside the 2-minute skew
      const during = await Promise.all([
        h.engine.acquire({ key: "k", request: () => "r" }),
        h.engine.acquire({ key: "k", request: () => "r" }),
        h.engine.acquire({ key: "k", request: () => "r" }),
      ]);
      assert.deepEqual(during, [first, first, first], "callers are not made to wait");
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(h.fetches.length, 2, "exactly one renewal");
      const renewed = await h.engine.acquire({ key: "k", request: () => "r" });
      assert.notEqual(renewed, first);
      assert.equal(h.stats().refreshes, 1);
    });

    it("renews a short-lived token no earlier than half its lifetime", async () => {
      // 6 minutes of life and a 5-minute window: without the half-lifetime cap the renewal would
      // start at 1 minute; with it, at 3 minutes (the 2-minute skew serves it until 4).
      const h = harness({ lifetimeMs: 6 * MINUTE });
      const first = await h.engine.acquire({ key: "k", request: () => "r" });
      h.clock.now += 2 * MINUTE;
      assert.equal(await h.engine.acquire({ key: "k", request: () => "r" }), first);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(h.fetches.length, 1, "no renewal before half the lifetime");
      h.clock.now += 1.5 * MINUTE;
      assert.equal(await h.engine.acquire({ key: "k", request: () => "r" }), first);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(h.fetches.length, 2, "renewed once past half the lifetime");
    });

    it("keeps serving the current token when a renewal fails, and logs it", async () => {
      let fail = false;
      const h = harness({
        lifetimeMs: 60 * MINUTE,
        fail: () =>
          fail ? new OnBehalfOfError("ERR_OBO_TOKEN_REQUEST_FAILED", "down") : undefined,
      });
      const first = await h.engine.acquire({ key: "k", request: () => "r" });
      fail = true;
      h.clock.now += 56 * MINUTE;
      assert.equal(await h.engine.acquire({ key: "k", request: () => "r" }), first);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(await h.engine.acquire({ key: "k", request: () => "r" }), first);
      assert.ok(h.warnings.some((w) => w.includes("ERR_OBO_TOKEN_REQUEST_FAILED")));
    });

    it("bypasses the cache and replaces the entry for a claims challenge", async () => {
      const h = harness();
      const first = await h.engine.acquire({ key: "k", request: () => "r" });
      const forced = await h.engine.acquire({ key: "k", request: () => "r", claims: "{}" });
      assert.notEqual(forced, first);
      assert.equal(await h.engine.acquire({ key: "k", request: () => "r" }), forced);
    });
  });

  describe("claims challenges", () => {
    /** An engine whose fetches wait until their release, and record whether they had claims. */
    function manual() {
      const clock = { now: Date.now() };
      const fetches: { request: string; release: (token: string) => void }[] = [];
      const cache = new MemoryTokenCache({ now: () => clock.now });
      const engine = new TokenEngine<string>({
        cache,
        fetch: (request) =>
          new Promise<FetchedToken>((resolve) => {
            fetches.push({
              request,
              release: (token) => {
                resolve({ accessToken: token, expiresAt: clock.now + 60 * MINUTE });
              },
            });
          }),
        log: createLogger(undefined),
        now: () => clock.now,
        expirySkewMs: 2 * MINUTE,
        refreshAheadMs: 5 * MINUTE,
        clockSkewMs: MINUTE,
      });
      return { clock, fetches, cache, engine };
    }

    it("never joins a renewal under way: the claims get a request of their own, and win", async () => {
      const m = manual();
      const first = m.engine.acquire({ key: "k", request: () => "plain" });
      m.fetches[0]?.release("t0");
      assert.equal(await first, "t0");
      m.clock.now += 56 * MINUTE; // inside the refresh window
      assert.equal(await m.engine.acquire({ key: "k", request: () => "plain" }), "t0");
      assert.equal(m.fetches.length, 2, "a renewal started");
      const claims = m.engine.acquire({
        key: "k",
        request: () => "with-claims",
        claims: '{"a":1}',
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(
        m.fetches.map((f) => f.request),
        ["plain", "plain", "with-claims"],
        "the claims request did not join the renewal",
      );
      m.fetches[2]?.release("t-claims");
      assert.equal(await claims, "t-claims");
      m.fetches[1]?.release("t-renewed-without-claims");
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(
        await m.engine.acquire({ key: "k", request: () => "plain" }),
        "t-claims",
        "the older renewal does not overwrite the claims token",
      );
    });

    it("shares one request among callers with the same claims, not with other claims", async () => {
      const m = manual();
      const a = m.engine.acquire({ key: "k", request: () => "a", claims: "{}" });
      const b = m.engine.acquire({ key: "k", request: () => "b", claims: "{}" });
      const c = m.engine.acquire({ key: "k", request: () => "c", claims: '{"x":1}' });
      assert.equal(m.fetches.length, 2);
      m.fetches[0]?.release("ab");
      m.fetches[1]?.release("c");
      assert.deepEqual(await Promise.all([a, b, c]), ["ab", "ab", "c"]);
    });
  });

  describe("stats and events", () => {
    it("counts hits, misses, coalesced waits, token requests and evictions", async () => {
      const cache = new MemoryTokenCache({ maxEntries: 2 });
      const h = harness({ cache });
      await h.engine.acquire({ key: "a", request: () => "a" });
      await h.engine.acquire({ key: "a", request: () => "a" });
      await h.engine.acquire({ key: "b", request: () => "b" });
      await h.engine.acquire({ key: "c", request: () => "c" });
      h.metrics.tokenRequestSent("obo");
      const stats = h.stats();
      assert.equal(stats.hits, 1);
      assert.equal(stats.misses, 3);
      assert.equal(stats.evictions, 1);
      assert.equal(stats.size, 2);
      assert.equal(stats.tokenRequests, 1);
      assert.deepEqual(
        h.events.map((e) => e.type),
        ["miss", "hit", "miss", "miss", "token-request"],
      );
    });
  });

  describe("with an asynchronous or failing cache", () => {
    it("uses an async cache, and treats a failing read or write as a miss", async () => {
      const store = new Map<string, CachedToken>();
      let broken = false;
      const cache: TokenCache = {
        get: (key) =>
          broken ? Promise.reject(new Error("down")) : Promise.resolve(store.get(key)),
        set: (key, entry) =>
          broken ? Promise.reject(new Error("down")) : (store.set(key, entry), Promise.resolve()),
        delete: (key) => void store.delete(key),
      };
      const h = harness({ cache });
      const first = await h.engine.acquire({ key: "k", request: () => "r" });
      assert.equal(await h.engine.acquire({ key: "k", request: () => "r" }), first);
      broken = true;
      assert.match(await h.engine.acquire({ key: "k", request: () => "r" }), /^token-r-2$/);
      assert.equal(h.warnings.length, 2, "one warning for the read, one for the write");
    });

    it("lets a shared cache coordinate a miss", async () => {
      const coordinated: string[] = [];
      const inner = new MemoryTokenCache();
      const cache: TokenCache = {
        get: (key) => inner.get(key),
        set: (key, entry) => {
          inner.set(key, entry);
        },
        delete: (key) => {
          inner.delete(key);
        },
        coordinate: async (key, fetch) => {
          coordinated.push(key);
          return fetch();
        },
      };
      const h = harness({ cache });
      await h.engine.acquire({ key: "k", request: () => "r" });
      await h.engine.acquire({ key: "k", request: () => "r" });
      assert.deepEqual(coordinated, ["k"]);
    });
  });
});
