/**
 * A shared, encrypted second-level token cache on Redis (ioredis), for APIs that run on many
 * instances: `import { RedisTokenCache } from "graph-obo-auth/redis"`. It needs the optional peer
 * dependency `ioredis`.
 *
 * @packageDocumentation
 */
export { RedisTokenCache, type RedisTokenCacheStats } from "./redis-token-cache.js";
export type {
  RedisTokenCacheOptions,
  RedisCircuitBreakerOptions,
  RedisSingleFlightOptions,
} from "./redis-token-cache-options.js";
export type { RedisEncryptionKey } from "./key-ring.js";
export type { RedisClient } from "./redis-store.js";
export type { CircuitState } from "./circuit-breaker.js";
