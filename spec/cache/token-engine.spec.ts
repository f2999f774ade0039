import assert from "node:assert/strict";
import { MemoryTokenCache } from "../../lib/cache/memory-token-cache.js";
import type { CachedToken, TokenCache } from "../../lib/cache/token-cache.js";
import {
  TokenEngine,
  type FetchedToken,
  type TokenCacheEvent,
  type TokenStats,
} from "../../lib/cache/token-engine.js";
import { OnBehalfOfError } from "../../lib/util/errors.js";
import { createLogger } from "../../lib/util/logger.js";
import { CacheMetrics } from "../../lib/util/telemetry/cache-metrics.js";
import { PipelineMetrics } from "../../lib/util/telemetry/pipeline-metrics.js";

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

/** An engine over a recording cache, with the refusal memory configured by `options`. */
function edgeEngine(
  options: {
    fetch?: (request: string) => Promise<FetchedToken>;
    cache?: TokenCache;
    refusalTtlMs?: number;
    maxRefusals?: number;
    isFinalRefusal?: (error: unknown) => boolean;
    verbose?: string[];
    assertionExpired?: () => Error;
  } = {},
) {
  const clock = { now: 1_000_000 };
  const fetches: string[] = [];
  const events: TokenCacheEvent[] = [];
  const warnings: string[] = [];
  const cache = options.cache ?? new MemoryTokenCache({ now: () => clock.now });
  const metrics = new PipelineMetrics(new CacheMetrics(), (event) => events.push(event));
  const engine = new TokenEngine<string>({
    cache,
    fetch:
      options.fetch ??
      ((request) => {
        fetches.push(request);
        return Promise.resolve({
          accessToken: `token-${request}-${fetches.length}`,
          expiresAt: clock.now + 60 * MINUTE,
        });
      }),
    log: createLogger({
      warn: (m) => warnings.push(m),
      ...(options.verbose === undefined
        ? {}
        : { verbose: (m: string) => options.verbose?.push(m) }),
    }),
    now: () => clock.now,
    expirySkewMs: 2 * MINUTE,
    refreshAheadMs: 5 * MINUTE,
    clockSkewMs: MINUTE,
    metrics,
    ...(options.assertionExpired === undefined
      ? {}
      : { assertionExpired: options.assertionExpired }),
    ...(options.isFinalRefusal === undefined ? {} : { isFinalRefusal: options.isFinalRefusal }),
    ...(options.refusalTtlMs === undefined ? {} : { refusalTtlMs: options.refusalTtlMs }),
    ...(options.maxRefusals === undefined ? {} : { maxRefusals: options.maxRefusals }),
  });
  return { engine, clock, fetches, events, warnings, stats: () => metrics.stats(cache) };
}

const refused = new OnBehalfOfError("ERR_OBO_TOKEN_REQUEST_FAILED", "invalid_grant");

describe("TokenEngine: remembered refusals", () => {
  function refusing(extra: Parameters<typeof edgeEngine>[0] = {}) {
    const asked: string[] = [];
    const h = edgeEngine({
      fetch: (request) => {
        asked.push(request);
        return Promise.reject(refused);
      },
      isFinalRefusal: (error) => error === refused,
      refusalTtlMs: 1000,
      ...extra,
    });
    return { ...h, asked };
  }

  it("answers a final refusal again from memory, unsent, until refusalTtlMs has passed", async () => {
    const h = refusing();
    await assert.rejects(h.engine.acquire({ key: "k", request: () => "r" }), refused);
    h.clock.now += 999;
    await assert.rejects(h.engine.acquire({ key: "k", request: () => "r" }), refused);
    assert.equal(h.asked.length, 1, "the replay sent nothing");
    assert.equal(h.stats().rememberedRefusals, 1);
    assert.equal(h.stats().failures, 2);
    assert.deepEqual(h.events.at(-1), { type: "failure", code: "ERR_OBO_TOKEN_REQUEST_FAILED" });
    h.clock.now += 1; // exactly refusalTtlMs later: forgotten
    await assert.rejects(h.engine.acquire({ key: "k", request: () => "r" }), refused);
    assert.equal(h.asked.length, 2);
  });

  it("remembers per key, and per claims apart from the plain request", async () => {
    const h = refusing();
    await assert.rejects(h.engine.acquire({ key: "k", request: () => "r" }), refused);
    await assert.rejects(h.engine.acquire({ key: "other", request: () => "o" }), refused);
    await assert.rejects(h.engine.acquire({ key: "k", request: () => "r", claims: "{}" }), refused);
    assert.deepEqual(h.asked, ["r", "o", "r"], "another key and a claims request were sent");
    await assert.rejects(h.engine.acquire({ key: "k", request: () => "r", claims: "{}" }), refused);
    assert.equal(h.asked.length, 3, "the claims refusal is remembered too");
  });

  it("remembers nothing that is not final, nor with refusalTtlMs 0 or no isFinalRefusal", async () => {
    for (const extra of [
      { isFinalRefusal: () => false },
      { refusalTtlMs: 0 },
      { refusalTtlMs: -1 },
    ]) {
      const h = refusing(extra);
      await assert.rejects(h.engine.acquire({ key: "k", request: () => "r" }), refused);
      await assert.rejects(h.engine.acquire({ key: "k", request: () => "r" }), refused);
      assert.equal(h.asked.length, 2, JSON.stringify(extra));
    }
    const asked: string[] = [];
    const h = edgeEngine({
      fetch: (request) => (asked.push(request), Promise.reject(refused)),
      refusalTtlMs: 1000,
    });
    await assert.rejects(h.engine.acquire({ key: "k", request: () => "r" }), refused);
    await assert.rejects(h.engine.acquire({ key: "k", request: () => "r" }), refused);
    assert.equal(asked.length, 2, "without isFinalRefusal");
  });

  it("keeps at most maxRefusals, forgetting the oldest first", async () => {
    const h = refusing({ maxRefusals: 2 });
    for (const key of ["a", "b", "c"]) {
      await assert.rejects(h.engine.acquire({ key, request: () => key }), refused);
    }
    for (const key of ["c", "b", "a"]) {
      await assert.rejects(h.engine.acquire({ key, request: () => key }), refused);
    }
    // c and b were replayed; a, the oldest, was forgotten and sent again.
    assert.deepEqual(h.asked, ["a", "b", "c", "a"]);
  });
});

describe("TokenEngine: edges", () => {
  it("serves an entry up to the expiry skew exactly, and renews from refreshAt exactly", async () => {
    const h = edgeEngine();
    const first = await h.engine.acquire({ key: "k", request: () => "r" });
    h.clock.now += 55 * MINUTE - 1; // 1 ms before refreshAt
    assert.equal(await h.engine.acquire({ key: "k", request: () => "r" }), first);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(h.fetches.length, 1);
    h.clock.now += 1; // refreshAt
    assert.equal(await h.engine.acquire({ key: "k", request: () => "r" }), first);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(h.fetches.length, 2, "renewed at refreshAt");
    const renewed = await h.engine.acquire({ key: "k", request: () => "r" });
    h.clock.now += 58 * MINUTE - 1; // 1 ms before the skew of the renewed entry
    assert.equal(await h.engine.acquire({ key: "k", request: () => "x" }), renewed);
    h.clock.now += 1; // at the skew: not served
    assert.notEqual(await h.engine.acquire({ key: "k", request: () => "x" }), renewed);
  });

  it("serves an entry until its assertion's expiry plus the clock skew, exactly", async () => {
    const h = edgeEngine({
      fetch: () =>
        Promise.resolve({
          accessToken: "t",
          expiresAt: h.clock.now + 60 * MINUTE,
          assertionExpiresAt: h.clock.now + 10 * MINUTE,
        }),
    });
    await h.engine.acquire({ key: "k", request: () => "r" });
    h.clock.now += 11 * MINUTE; // assertion expiry + clock skew
    assert.equal(await h.engine.acquire({ key: "k", request: () => "r" }), "t");
    h.clock.now += 1;
    await assert.rejects(h.engine.acquire({ key: "k", request: () => "r" }), {
      message: "The entry's assertion has expired.",
    });
    assert.deepEqual(h.events.at(-1), { type: "failure", code: "unknown" });
  });

  it("stores an app-only entry without an assertion expiry", async () => {
    const stored: CachedToken[] = [];
    const inner = new MemoryTokenCache();
    const h = edgeEngine({
      cache: {
        get: (key) => inner.get(key),
        set: (key, value) => {
          stored.push(value);
          inner.set(key, value);
        },
        delete: (key) => {
          inner.delete(key);
        },
      },
    });
    await h.engine.acquire({ key: "k", request: () => "r" });
    assert.equal(stored.length, 1);
    assert.ok(!("assertionExpiresAt" in (stored[0] ?? {})), "no assertionExpiresAt key");
    assert.deepEqual(h.stats().size, 0, "a cache without stats() counts 0");
  });

  it("renews every key in its window, each in its own flight", async () => {
    const h = edgeEngine();
    const a = await h.engine.acquire({ key: "a", request: () => "a" });
    const b = await h.engine.acquire({ key: "b", request: () => "b" });
    h.clock.now += 56 * MINUTE;
    assert.equal(await h.engine.acquire({ key: "a", request: () => "a" }), a);
    assert.equal(await h.engine.acquire({ key: "b", request: () => "b" }), b);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(h.fetches, ["a", "b", "a", "b"]);
  });

  it("serves a first-level hit whose renewal cannot be built, and logs the renewal when verbose", async () => {
    const verbose: string[] = [];
    const h = edgeEngine({ verbose });
    const first = await h.engine.acquire({ key: "k", request: () => "r" });
    h.clock.now += 56 * MINUTE;
    const broken = {
      key: "k",
      request: (): string => {
        throw new Error("the assertion no longer checks");
      },
    };
    assert.equal(await h.engine.acquire(broken), first);
    assert.equal(h.fetches.length, 1);
    assert.deepEqual(verbose, []);
    await h.engine.acquire({ key: "k", request: () => "r" });
    assert.deepEqual(verbose, ["graph-obo-auth: renewing a token ahead of expiry"]);
  });

  it("names the failure in its cache warnings: an error code, an error name, or unknown", async () => {
    const failures: unknown[] = [
      new OnBehalfOfError("ERR_OBO_TIMEOUT", "x"),
      new TypeError("x"),
      "a string",
    ];
    for (const failure of failures) {
      const h = edgeEngine({
        cache: {
          get: async () => {
            await Promise.resolve();
            throw failure;
          },
          set: async () => {
            await Promise.resolve();
            throw failure;
          },
          delete: () => undefined,
        },
      });
      await h.engine.acquire({ key: "k", request: () => "r" });
      const name =
        failure instanceof OnBehalfOfError
          ? failure.code
          : failure instanceof Error
            ? failure.name
            : "unknown error";
      assert.deepEqual(h.warnings, [
        `graph-obo-auth: token cache read failed; fetching a new token (${name})`,
        `graph-obo-auth: token cache write failed; the token is used uncached (${name})`,
      ]);
    }
  });

  it("a claims request supersedes a plain miss under way, and a later miss is stored again", async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    let n = 0;
    const h = edgeEngine({
      fetch: async (request) => {
        n++;
        const mine = n;
        if (request === "slow") await slow;
        return { accessToken: `token-${String(mine)}`, expiresAt: h.clock.now + 60 * MINUTE };
      },
    });
    const plain = h.engine.acquire({ key: "k", request: () => "slow" });
    const claims = await h.engine.acquire({ key: "k", request: () => "fast", claims: "{}" });
    release();
    assert.equal(await plain, "token-1");
    assert.equal(await h.engine.acquire({ key: "k", request: () => "fast" }), claims);

    const fresh = edgeEngine({
      fetch: () => Promise.resolve({ accessToken: "x", expiresAt: fresh.clock.now + 10 * MINUTE }),
    });
    await fresh.engine.acquire({ key: "k", request: () => "r", claims: "{}" });
    fresh.clock.now += 9 * MINUTE; // expired (skew)
    await fresh.engine.acquire({ key: "k", request: () => "r" });
    await fresh.engine.acquire({ key: "k", request: () => "r" });
    assert.equal(fresh.stats().hits, 1, "the miss after a claims request was stored");
  });

  it("coordinates plain misses only, never a claims request", async () => {
    const coordinated: string[] = [];
    const inner = new MemoryTokenCache();
    const h = edgeEngine({
      cache: {
        get: (key) => inner.get(key),
        set: (key, value) => {
          inner.set(key, value);
        },
        delete: (key) => {
          inner.delete(key);
        },
        coordinate: (key, fetch) => (coordinated.push(key), fetch()),
      },
    });
    await h.engine.acquire({ key: "k", request: () => "r", claims: "{}" });
    assert.deepEqual(coordinated, []);
  });
});
