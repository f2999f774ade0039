import type { Logger } from "../../util/logger.js";
import type { MemoryTokenCacheOptions } from "../memory-token-cache.js";
import { KeyRing, redisConfigurationError, type RedisEncryptionKey } from "./key-ring.js";
import { redisCommands, type RedisClient, type RedisCommands } from "./redis-commands.js";

/** Settings of the circuit breaker in front of Redis. */
export interface RedisCircuitBreakerOptions {
  /**
   * Consecutive failed or timed-out Redis commands that open the circuit.
   *
   * @defaultValue 3
   */
  readonly failureThreshold?: number | undefined;
  /**
   * How long the circuit stays open before one background `PING` probes Redis, in milliseconds.
   *
   * @defaultValue 5000
   */
  readonly cooldownMs?: number | undefined;
}

/** Settings of the fleet-wide single flight (a Redis lock per missing entry). */
export interface RedisSingleFlightOptions {
  /**
   * How long a lock lives if its holder dies before releasing it, in milliseconds. Longer than a
   * token request normally takes.
   *
   * @defaultValue 10000
   */
  readonly lockTtlMs?: number | undefined;
  /**
   * How long an instance waits for another instance's token before it fetches one itself, in
   * milliseconds.
   *
   * @defaultValue 3000
   */
  readonly waitMs?: number | undefined;
}

/** Options of {@link RedisTokenCache}. */
export interface RedisTokenCacheOptions {
  /**
   * The Redis client to use: an ioredis `Redis` (standalone, TLS, ACL user, Sentinel) or `Cluster`,
   * or a node-redis client (`createClient()`, `createSentinel()` or `createCluster()` of `redis` or
   * `@redis/client` 5 or later, connected). It stays the application's: the cache never connects,
   * configures or closes it. Create it so that commands fail at once while Redis is unreachable:
   * `enableOfflineQueue: false` (ioredis) or `disableOfflineQueue: true` (node-redis).
   */
  readonly client: RedisClient;
  /**
   * The encryption key ring, **primary first**: new entries are encrypted under the first key;
   * entries under any listed key stay readable. Remove a key once its entries have expired (one
   * token lifetime, about 90 minutes, after it stopped being primary).
   */
  readonly encryptionKeys: readonly RedisEncryptionKey[];
  /**
   * Prepended to every Redis key, to share a database with other data or other APIs. No `{` or
   * `}`: a hash tag would put every entry in one cluster slot.
   *
   * @defaultValue `"graph-obo-auth:"`
   */
  readonly keyPrefix?: string | undefined;
  /**
   * The longest a Redis command may take before the cache gives up on it (a miss for a read), in
   * milliseconds. It measures Redis, not this process: when the event loop was blocked past the
   * time-out (CPU load), a reply that has arrived meanwhile is used and the command is not counted
   * as failed; a command still unanswered gets up to three more time-outs while the loop stays late.
   *
   * @defaultValue 100
   */
  readonly timeoutMs?: number | undefined;
  /** When to stop calling Redis while it is failing, and when to try again. */
  readonly circuitBreaker?: RedisCircuitBreakerOptions | undefined;
  /**
   * Fleet-wide single flight: when several instances miss the same entry at once, one fetches and
   * the others wait for its result. `false` turns it off.
   *
   * @defaultValue on, with the defaults of {@link RedisSingleFlightOptions}
   */
  readonly singleFlight?: RedisSingleFlightOptions | false | undefined;
  /**
   * The first level, in memory, in front of Redis. `false` sends every read to Redis (for
   * benchmarks and tests).
   *
   * @defaultValue a `MemoryTokenCache` with its defaults (10,000 entries)
   */
  readonly memoryCache?: MemoryTokenCacheOptions | false | undefined;
  /** Where to report Redis outages and unreadable entries. Silent by default. */
  readonly logger?: Logger | undefined;
  /** The clock, for tests. @defaultValue `Date.now` */
  readonly now?: (() => number) | undefined;
}

/** Validated options. @internal */
export interface ResolvedRedisOptions {
  readonly commands: RedisCommands;
  readonly ring: KeyRing;
  readonly keyPrefix: string;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly singleFlight: { readonly lockTtlMs: number; readonly waitMs: number } | undefined;
  readonly memoryCache: MemoryTokenCacheOptions | false;
  readonly logger: Logger | undefined;
  readonly now: () => number;
}

/**
 * Validates the options before any network call.
 *
 * @throws {@link OnBehalfOfError} `ERR_OBO_CONFIGURATION` naming the offending option
 * @internal
 */
export function resolveRedisOptions(options: RedisTokenCacheOptions): ResolvedRedisOptions {
  if (typeof options !== "object") {
    throw redisConfigurationError("options", "must be an object.");
  }
  const commands = redisCommands(options.client);
  if (commands === undefined) {
    throw redisConfigurationError(
      "client",
      "must be an ioredis client (new Redis(...) or new Cluster(...)) or a node-redis client (createClient(...) or createCluster(...)).",
    );
  }
  const ring = KeyRing.from(options.encryptionKeys, "encryptionKeys");
  const keyPrefix = options.keyPrefix ?? "graph-obo-auth:";
  if (typeof keyPrefix !== "string" || /[{}]/.test(keyPrefix) || keyPrefix.length > 128) {
    throw redisConfigurationError(
      "keyPrefix",
      "must be a string of at most 128 characters without '{' or '}'.",
    );
  }
  const singleFlight =
    options.singleFlight === false
      ? undefined
      : {
          lockTtlMs: positive(options.singleFlight?.lockTtlMs, 10_000, "singleFlight.lockTtlMs"),
          waitMs: positive(options.singleFlight?.waitMs, 3_000, "singleFlight.waitMs"),
        };
  const failureThreshold = options.circuitBreaker?.failureThreshold ?? 3;
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
    throw redisConfigurationError("circuitBreaker.failureThreshold", "must be a positive integer.");
  }
  return {
    commands,
    ring,
    keyPrefix,
    timeoutMs: positive(options.timeoutMs, 100, "timeoutMs"),
    failureThreshold,
    cooldownMs: positive(options.circuitBreaker?.cooldownMs, 5_000, "circuitBreaker.cooldownMs"),
    singleFlight,
    memoryCache: options.memoryCache ?? {},
    logger: options.logger,
    now: options.now ?? Date.now,
  };
}

function positive(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw redisConfigurationError(option, "must be a positive number of milliseconds.");
  }
  return value;
}
