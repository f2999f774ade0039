import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger, type InternalLogger } from "../../util/logger.js";
import { RedisMetrics } from "../../util/telemetry/redis-metrics.js";
import { MemoryTokenCache } from "../memory-token-cache.js";
import type { CachedToken, TokenCache } from "../token-cache.js";
import type { SessionStore } from "../../session/session-store.js";
import type { CircuitState } from "./circuit-breaker.js";
import { openEntry, sealEntry } from "./entry-codec.js";
import { KeyRing, redisConfigurationError, type RingKey } from "./key-ring.js";
import { RedisSessionStore } from "./redis-session-store.js";
import { RedisStore, UNAVAILABLE } from "./redis-store.js";
import { scriptRunner } from "./session-scripts.js";
import {
  resolveRedisOptions,
  type RedisTokenCacheOptions,
  type ResolvedRedisOptions,
} from "./redis-token-cache-options.js";

/**
 * Counters of a {@link RedisTokenCache}. `size`, `evictions` and `expired` are the first level's
 * (the provider's `stats()` reports those three); the rest are the second level's.
 */
export type RedisTokenCacheStats = Readonly<{
  /** Entries held in memory now. */
  size: number;
  /** Entries evicted from memory by its size bound. */
  evictions: number;
  /** Entries dropped from memory because they had expired. */
  expired: number;
  /** Memory misses answered from Redis (by `get`). */
  l2Hits: number;
  /** Memory misses Redis could not answer either (absent, expired, unreadable or unavailable). */
  l2Misses: number;
  /** Entries written to Redis. */
  l2Writes: number;
  /** Redis commands that failed. */
  l2Errors: number;
  /** Redis commands that took longer than `timeoutMs` (they count against the circuit breaker). */
  l2Timeouts: number;
  /**
   * Redis replies that came after `timeoutMs` on the clock because this process's event loop was
   * blocked (CPU load), not because Redis was slow. They were used, and not counted as failures.
   */
  l2LateReplies: number;
  /** Redis commands not sent because the circuit was open. */
  l2Skipped: number;
  /** Values in Redis that could not be decrypted or checked: tampered, truncated, foreign. */
  decryptFailures: number;
  /** The circuit's state: 0 closed, 1 open, 2 half-open (see {@link RedisTokenCache.circuitState}). */
  breakerState: number;
  /** How many times the circuit has opened. */
  breakerOpens: number;
  /** Fleet single flight: misses for which this instance took the lock and fetched. */
  lockAcquired: number;
  /** Fleet single flight: misses answered by the token another instance fetched. */
  lockWaitHits: number;
  /** Fleet single flight: waits that ended without a token, so this instance fetched. */
  lockWaitFallbacks: number;
}>;

const BREAKER_STATES: Readonly<Record<CircuitState, number>> = {
  closed: 0,
  open: 1,
  "half-open": 2,
};

/** The first pause of an instance waiting for another's token; it grows to `MAX_POLL_MS`. */
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 100;

/**
 * A {@link TokenCache} shared by every instance of an API: an in-memory LRU (a
 * {@link MemoryTokenCache}) as the first level, and Redis, encrypted at rest, as the second.
 *
 * @remarks
 * A hit in memory is answered synchronously, as with the default cache; only memory misses go to
 * Redis, and a Redis hit also fills memory. Every value is encrypted with AES-256-GCM under the
 * primary key of a key ring and bound to its cache key; Redis keys are HMAC-SHA256 digests of the
 * cache keys. Nothing stored reveals a token, an assertion or a user.
 *
 * Redis can never fail a request: every command is bounded by `timeoutMs`, failures and unreadable
 * entries are misses (the provider fetches a token), and a circuit breaker stops calling Redis
 * while it is down and probes it in the background to resume. With `coordinate`, instances that
 * miss the same entry at the same time share one token request through a Redis lock.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { OnBehalfOfAuthenticationProvider } from "graph-obo-auth";
 * import { RedisTokenCache } from "graph-obo-auth/redis";
 *
 * const redis = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
 * const tokenCache = new RedisTokenCache({
 *   client: redis,
 *   encryptionKeys: [{ id: "2026-11", key: process.env.TOKEN_CACHE_KEY! }],
 * });
 * const authProvider = new OnBehalfOfAuthenticationProvider({ ...options, tokenCache });
 * ```
 */
export class RedisTokenCache implements TokenCache {
  readonly #options: ResolvedRedisOptions;
  readonly #ring: KeyRing;
  readonly #l1: MemoryTokenCache | undefined;
  readonly #store: RedisStore;
  readonly #log: InternalLogger;
  readonly #now: () => number;
  /** OpenTelemetry instruments (no-ops without an SDK). */
  readonly #metrics = new RedisMetrics();
  /** Entries known to be in Redis already (read from it, or written by `coordinate`). */
  readonly #stored = new WeakSet<CachedToken>();
  readonly #client: RedisTokenCacheOptions["client"];
  readonly #sessionStores = new Map<string, RedisSessionStore>();
  readonly #counters = {
    l2Hits: 0,
    l2Misses: 0,
    l2Writes: 0,
    decryptFailures: 0,
    lockAcquired: 0,
    lockWaitHits: 0,
    lockWaitFallbacks: 0,
  };

  /**
   * @param options - the Redis client, the encryption key ring and behaviour; validated here,
   * before any Redis command
   * @throws `OnBehalfOfError` with `ERR_OBO_CONFIGURATION`, naming the offending option
   */
  public constructor(options: RedisTokenCacheOptions) {
    this.#options = resolveRedisOptions(options);
    this.#client = options.client;
    const { ring, memoryCache, now } = this.#options;
    this.#ring = ring;
    this.#now = now;
    this.#log = createLogger(this.#options.logger, "graph-obo-auth/redis");
    this.#l1 = memoryCache === false ? undefined : new MemoryTokenCache({ now, ...memoryCache });
    this.#store = new RedisStore({
      commands: this.#options.commands,
      timeoutMs: this.#options.timeoutMs,
      failureThreshold: this.#options.failureThreshold,
      cooldownMs: this.#options.cooldownMs,
      log: this.#log,
      now,
      metrics: this.#metrics,
    });
    if (this.#options.commands.queuesWhileOffline) {
      this.#log.warn(
        "the Redis client queues commands while disconnected; create it with enableOfflineQueue: false (ioredis) or disableOfflineQueue: true (node-redis) so that an outage fails fast",
      );
    }
  }

  /** The state of the circuit breaker in front of Redis. */
  public get circuitState(): CircuitState {
    return this.#store.state;
  }

  /**
   * The entry for `key` from memory only, synchronously; never a Redis command. The provider reads
   * it before it checks the caller's token, and calls {@link RedisTokenCache.get} only after.
   */
  public peek(key: string): CachedToken | undefined {
    return this.#l1?.peek(key);
  }

  /**
   * The entry for `key`: from memory, synchronously, when it is there; otherwise from Redis (which
   * then also fills memory). Never rejects: an absent, expired or unreadable entry, a Redis error, a
   * time-out or an open circuit is `undefined`.
   */
  public get(key: string): CachedToken | undefined | Promise<CachedToken | undefined> {
    const inMemory = this.#l1?.get(key);
    if (inMemory !== undefined) return inMemory;
    if (!this.#store.available()) return undefined;
    return this.#readShared(key, "lookup");
  }

  /**
   * Stores the entry in memory and, encrypted under the primary key with a TTL that ends when the
   * token expires, in Redis (unless `coordinate` already stored it). Never rejects.
   */
  public set(key: string, entry: CachedToken): void | Promise<void> {
    this.#l1?.set(key, entry);
    if (this.#stored.has(entry) || !this.#store.available()) return;
    return this.#writeShared(key, entry);
  }

  /**
   * Removes the entry from memory and from Redis (under every key of the ring). Other instances'
   * memory keeps its copy until it expires. Never rejects.
   */
  public async delete(key: string): Promise<void> {
    this.#l1?.delete(key);
    await this.#store.remove(this.#ring.keys.map((ringKey) => this.#entryName(ringKey, key)));
  }

  /**
   * Fleet-wide single flight for a miss: takes a Redis lock (`SET NX PX`) and fetches, or waits
   * for the instance holding the lock to store its token. A waiter fetches itself when the lock
   * is released without a token (its holder failed) and it wins the lock, or after `waitMs`. With
   * Redis unavailable, it fetches at once.
   *
   * @param key - the cache key that missed
   * @param fetch - fetches a token from the token endpoint
   * @returns the fetched token, or the one another instance stored
   */
  public async coordinate(key: string, fetch: () => Promise<CachedToken>): Promise<CachedToken> {
    const settings = this.#options.singleFlight;
    if (settings === undefined) return fetch();
    const lockName = this.#lockName(key);
    const owner = randomBytes(16).toString("base64url");
    const deadline = this.#now() + settings.waitMs;
    let pause = FIRST_POLL_MS;
    for (;;) {
      const locked = await this.#store.tryLock(lockName, owner, settings.lockTtlMs);
      if (locked === UNAVAILABLE) return fetch();
      if (locked) return this.#fetchHoldingLock(key, lockName, owner, fetch);
      const remaining = deadline - this.#now();
      if (remaining <= 0) {
        this.#counters.lockWaitFallbacks++;
        return fetch();
      }
      await sleep(Math.min(pause, remaining));
      pause = Math.min(pause * 2, MAX_POLL_MS);
      const found = await this.#readShared(key, "fresh");
      if (found !== undefined) {
        this.#counters.lockWaitHits++;
        return found;
      }
    }
  }

  /**
   * The session store of `namespace`, in Redis: records encrypted like token entries (bound to
   * their Redis key, readable under every key of the ring), shared by every instance and kept
   * across restarts. Unlike tokens, sessions are not cached: while Redis cannot be used, the
   * store's calls reject with `ERR_OBO_SESSION_STORE_UNAVAILABLE`.
   */
  public sessionStore(namespace: string): SessionStore {
    let store = this.#sessionStores.get(namespace);
    if (store === undefined) {
      const run = scriptRunner(this.#client);
      // unreachable: the options accept supported clients only
      if (run === undefined) throw redisConfigurationError("client", "is not a supported client.");
      store = new RedisSessionStore({
        store: this.#store,
        run,
        ring: this.#ring,
        keyPrefix: this.#options.keyPrefix,
        namespace,
        now: this.#now,
        log: this.#log,
      });
      this.#sessionStores.set(namespace, store);
    }
    return store;
  }

  /** The counters of both levels and of the circuit breaker. */
  public stats(): RedisTokenCacheStats {
    const l1 = this.#l1?.stats() ?? {};
    const store = this.#store.counters();
    return {
      size: l1.size ?? 0,
      evictions: l1.evictions ?? 0,
      expired: l1.expired ?? 0,
      ...this.#counters,
      l2Errors: store.errors,
      l2Timeouts: store.timeouts,
      l2LateReplies: store.lateReplies,
      l2Skipped: store.skipped,
      breakerState: BREAKER_STATES[this.#store.state],
      breakerOpens: store.opens,
    };
  }

  async #fetchHoldingLock(
    key: string,
    lockName: string,
    owner: string,
    fetch: () => Promise<CachedToken>,
  ): Promise<CachedToken> {
    try {
      // Another instance may have stored the token between our miss and our lock.
      const found = await this.#readShared(key, "fresh");
      if (found !== undefined) {
        this.#counters.lockWaitHits++;
        return found;
      }
      this.#counters.lockAcquired++;
      const entry = await fetch();
      await this.#writeShared(key, entry);
      return entry;
    } finally {
      // Released in the background: the caller need not wait for it.
      void this.#store.unlock(lockName, owner);
    }
  }

  /**
   * Looks the key up in Redis under the primary key of the ring, then, only if that finds nothing
   * usable, under the other keys at once (pipelined). Entries are written under the primary, so
   * during a key rotation a hit still costs one `GET`; only an entry written before the rotation,
   * or a miss (which a token request follows), costs a second round trip. A `"lookup"` (a `get`) is
   * counted as an L2 hit or miss. A `"fresh"` read (single flight) takes no entry that is already
   * due for renewal: the caller is about to fetch a better one.
   */
  async #readShared(key: string, mode: "lookup" | "fresh"): Promise<CachedToken | undefined> {
    const [primary, ...older] = this.#ring.keys;
    let found: CachedToken | undefined;
    if (primary !== undefined) {
      const values = await this.#store.read([this.#entryName(primary, key)]);
      if (values === UNAVAILABLE) return undefined;
      found = this.#usable(key, values[0], primary, mode);
    }
    if (found === undefined && older.length > 0) {
      const values = await this.#store.read(older.map((ringKey) => this.#entryName(ringKey, key)));
      if (values === UNAVAILABLE) return undefined;
      for (let index = 0; index < older.length && found === undefined; index++) {
        const ringKey = older[index];
        if (ringKey !== undefined) found = this.#usable(key, values[index], ringKey, mode);
      }
    }
    if (mode === "lookup") {
      if (found === undefined) {
        this.#counters.l2Misses++;
        this.#metrics.misses.add(1);
      } else {
        this.#counters.l2Hits++;
        this.#metrics.hits.add(1);
      }
    }
    if (found !== undefined) {
      this.#stored.add(found);
      this.#l1?.set(key, found);
    }
    return found;
  }

  /** The entry a value read under `ringKey` holds, if it can be read and is still usable. */
  #usable(
    key: string,
    value: Buffer | null | undefined,
    ringKey: RingKey,
    mode: "lookup" | "fresh",
  ): CachedToken | undefined {
    if (value == null) return undefined;
    const opened = openEntry(this.#ring, key, value, ringKey.id);
    if (!opened.ok) {
      if (mode === "fresh") return undefined; // reported by the lookup that preceded it
      this.#counters.decryptFailures++;
      this.#log.warn(
        `an entry in Redis could not be read (${opened.reason}: tampered, truncated or stored under another key); treated as a miss`,
      );
      return undefined;
    }
    const { entry } = opened;
    const now = this.#now();
    if (entry.expiresAt <= now || (mode === "fresh" && entry.refreshAt <= now)) return undefined;
    return entry;
  }

  async #writeShared(key: string, entry: CachedToken): Promise<void> {
    const ttlMs = Math.ceil(entry.expiresAt - this.#now());
    if (ttlMs <= 0) return;
    const primary = this.#ring.primary;
    const sealed = sealEntry(primary, key, entry);
    if (await this.#store.write(this.#entryName(primary, key), sealed, ttlMs)) {
      this.#counters.l2Writes++;
      this.#stored.add(entry);
    }
  }

  #entryName(ringKey: RingKey, key: string): string {
    return `${this.#options.keyPrefix}t:${ringKey.id}:${KeyRing.digest(ringKey, key)}`;
  }

  #lockName(key: string): string {
    const primary = this.#ring.primary;
    return `${this.#options.keyPrefix}l:${primary.id}:${KeyRing.digest(primary, key)}`;
  }
}
