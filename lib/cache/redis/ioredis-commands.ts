import type { Cluster, Redis } from "ioredis";
import type { RedisCommands } from "./redis-commands.js";

const METHODS = ["getBuffer", "set", "del", "eval", "ping"] as const;

/** Whether `client` looks like an ioredis `Redis` or `Cluster`. @internal */
export function isIoredisClient(client: object): client is Redis | Cluster {
  return METHODS.every((m) => typeof (client as Record<string, unknown>)[m] === "function");
}

/** The cache's commands on an ioredis client. @internal */
export function ioredisCommands(client: Redis | Cluster): RedisCommands {
  const options = (client as { options?: { enableOfflineQueue?: unknown } }).options;
  return {
    getBuffers: (names) => Promise.all(names.map((name) => client.getBuffer(name))),
    set: async (name, value, ttlMs, onlyIfAbsent) =>
      (await (onlyIfAbsent
        ? client.set(name, value, "PX", ttlMs, "NX")
        : client.set(name, value, "PX", ttlMs))) === "OK",
    del: (names) => Promise.all(names.map((name) => client.del(name))),
    eval: (script, key, argument) => client.eval(script, 1, key, argument),
    ping: () => client.ping(),
    queuesWhileOffline: options?.enableOfflineQueue !== false,
  };
}
