/**
 * A shared, encrypted second-level token cache on Redis, for APIs that run on many instances:
 * `import { RedisTokenCache } from "graph-obo-auth/redis"`. It needs one of the optional peer
 * dependencies `ioredis` or node-redis (`redis` / `@redis/client`).
 *
 * @packageDocumentation
 */
export { RedisTokenCache, type RedisTokenCacheStats } from "./cache/redis/redis-token-cache.js";
export type {
  RedisTokenCacheOptions,
  RedisCircuitBreakerOptions,
  RedisSingleFlightOptions,
} from "./cache/redis/redis-token-cache-options.js";
export type { RedisEncryptionKey } from "./cache/redis/key-ring.js";
export type { RedisClient, IoRedisClient, NodeRedisClient } from "./cache/redis/redis-commands.js";
export type { CircuitState } from "./cache/redis/circuit-breaker.js";
