/**
 * A shared, encrypted second-level token cache on Redis, for APIs that run on many instances:
 * `import { RedisTokenCache } from "graph-obo-auth/redis"`. It needs one of the optional peer
 * dependencies `ioredis` or node-redis (`redis` / `@redis/client`).
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
export type { RedisClient, IoRedisClient, NodeRedisClient } from "./redis-commands.js";
export type { CircuitState } from "./circuit-breaker.js";
