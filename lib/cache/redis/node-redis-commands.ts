import type { NodeRedisClient, RedisCommands } from "./redis-commands.js";

/**
 * The calls the cache makes on a node-redis client (v5 and later), typed here so that this
 * package needs no types from node-redis.
 */
interface NodeRedisCalls {
  get(name: string): Promise<Buffer | null>;
  set(name: string, value: Buffer | string, options: { PX: number; NX?: true }): Promise<unknown>;
  del(name: string): Promise<number>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  ping(): Promise<unknown>;
  withTypeMapping(mapping: Record<number, unknown>): NodeRedisCalls;
}

/**
 * node-redis' RESP type code of a bulk string (`$`, 36): mapped to `Buffer`, `GET` answers the
 * stored bytes instead of a UTF-8 string (`RESP_TYPES.BLOB_STRING` of node-redis).
 */
const BLOB_STRING = 36;

/** Whether `client` looks like a node-redis client (standalone, Sentinel or cluster). @internal */
export function isNodeRedisClient(client: object): client is NodeRedisClient {
  const methods = client as Record<string, unknown>;
  return (
    typeof methods.withTypeMapping === "function" &&
    ["get", "set", "del", "eval", "ping"].every((m) => typeof methods[m] === "function")
  );
}

/** The cache's commands on a node-redis client. @internal */
export function nodeRedisCommands(client: NodeRedisClient): RedisCommands {
  const calls = client as unknown as NodeRedisCalls;
  const binary = calls.withTypeMapping({ [BLOB_STRING]: Buffer });
  return {
    getBuffers: (names) => Promise.all(names.map((name) => binary.get(name))),
    // `PX` and `NX` are accepted by node-redis 5 and 6 alike (6 also offers `expiration`).
    set: async (name, value, ttlMs, onlyIfAbsent) =>
      (await calls.set(name, value, onlyIfAbsent ? { PX: ttlMs, NX: true } : { PX: ttlMs })) ===
      "OK",
    del: (names) => Promise.all(names.map((name) => calls.del(name))),
    eval: (script, key, argument) => calls.eval(script, { keys: [key], arguments: [argument] }),
    ping: () => calls.ping(),
    queuesWhileOffline: !offlineQueueDisabled(client),
  };
}

/** `disableOfflineQueue`, from a client's options or a cluster's `defaults`. */
function offlineQueueDisabled(client: object): boolean {
  const standalone = (client as { options?: { disableOfflineQueue?: unknown } }).options;
  const cluster = (client as { _options?: { defaults?: { disableOfflineQueue?: unknown } } })
    ._options;
  return (
    standalone?.disableOfflineQueue === true || cluster?.defaults?.disableOfflineQueue === true
  );
}
