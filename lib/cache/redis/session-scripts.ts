import type { Cluster, Redis } from "ioredis";
import { isIoredisClient } from "./ioredis-commands.js";
import { isNodeRedisClient } from "./node-redis-commands.js";
import type { RedisClient } from "./redis-commands.js";

/**
 * Runs a Lua script on one key (so it fits a cluster slot), with binary arguments; bulk-string
 * replies come back as `Buffer`s, integers as numbers, arrays as arrays.
 *
 * @internal
 */
export type ScriptRunner = (
  script: string,
  key: string,
  args: readonly (string | Buffer)[],
) => Promise<unknown>;

/**
 * The calls made on a node-redis client (v5 and later), typed here so that this package needs no
 * types from node-redis.
 */
interface NodeRedisEval {
  eval(
    script: string,
    options: { keys: string[]; arguments: (string | Buffer)[] },
  ): Promise<unknown>;
  withTypeMapping(mapping: Record<number, unknown>): NodeRedisEval;
}

/** node-redis' RESP type code of a bulk string (`$`), mapped to `Buffer`. */
const BLOB_STRING = 36;

/** The script runner of a supported client, or `undefined` for anything else. @internal */
export function scriptRunner(client: RedisClient): ScriptRunner | undefined {
  if (isIoredisClient(client)) {
    const io: Redis | Cluster = client;
    return (script, key, args) => io.callBuffer("EVAL", [script, 1, key, ...args]);
  }
  if (isNodeRedisClient(client)) {
    const binary = (client as unknown as NodeRedisEval).withTypeMapping({ [BLOB_STRING]: Buffer });
    return (script, key, args) => binary.eval(script, { keys: [key], arguments: [...args] });
  }
  return undefined;
}
