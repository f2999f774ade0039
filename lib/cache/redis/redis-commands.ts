import type { Cluster, Redis } from "ioredis";
import { ioredisCommands, isIoredisClient } from "./ioredis-commands.js";
import { isNodeRedisClient, nodeRedisCommands } from "./node-redis-commands.js";

/** An ioredis client: a standalone (or Sentinel) `Redis`, or a `Cluster`. */
export type IoRedisClient = Redis | Cluster;

/**
 * A node-redis client (`redis` or `@redis/client`, version 5 or later): what `createClient()`,
 * `createSentinel()` or `createCluster()` returns, connected (`await client.connect()`). Only its
 * shape is named here, so that this package needs no types from node-redis.
 */
export interface NodeRedisClient {
  /** Whether the client's socket is open (node-redis' own getter). */
  readonly isOpen: boolean;
  /** node-redis' per-call reply mapping (used to read values as `Buffer`s). */
  readonly withTypeMapping: (...args: never[]) => unknown;
}

/** The Redis client a {@link RedisTokenCache} uses: an ioredis or a node-redis client. */
export type RedisClient = IoRedisClient | NodeRedisClient;

/**
 * The five commands the cache sends, whatever the client. Each touches one key (no cross-slot
 * command in a cluster); calls made in the same tick go out pipelined on one connection, as both
 * clients do by themselves.
 *
 * @internal
 */
export interface RedisCommands {
  /** `GET` of each name, as raw bytes. */
  getBuffers(names: readonly string[]): Promise<(Buffer | null)[]>;
  /** `SET name value PX ttlMs` (with `NX` when `onlyIfAbsent`); `true` when the value was set. */
  set(name: string, value: Buffer | string, ttlMs: number, onlyIfAbsent: boolean): Promise<boolean>;
  /** `DEL` of each name, one command each. */
  del(names: readonly string[]): Promise<unknown>;
  /** `EVAL script 1 key argument`. */
  eval(script: string, key: string, argument: string): Promise<unknown>;
  /** `PING`. */
  ping(): Promise<unknown>;
  /** Whether the client queues commands while disconnected (then an outage waits, not fails). */
  readonly queuesWhileOffline: boolean;
}

/** Wraps a supported client, or answers `undefined` for anything else. @internal */
export function redisCommands(client: unknown): RedisCommands | undefined {
  if (typeof client !== "object" || client === null) return undefined;
  if (isIoredisClient(client)) return ioredisCommands(client);
  if (isNodeRedisClient(client)) return nodeRedisCommands(client);
  return undefined;
}
