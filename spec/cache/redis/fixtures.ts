import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type { ConnectionOptions } from "node:tls";
import { createClient, createCluster } from "@redis/client";
import { Cluster, Redis, type ClusterNode } from "ioredis";
import {
  RedisTokenCache,
  type RedisClient,
  type RedisTokenCacheOptions,
} from "../../../lib/redis.js";
import {
  OnBehalfOfAuthenticationProvider,
  type OnBehalfOfAuthenticationProviderOptions,
} from "../../../lib/index.js";
import { API_CLIENT_ID, CLIENT_SECRET, TENANT, userToken } from "../../support/tokens.js";

/** Encryption keys for the specs. */
export const KEY_A = randomBytes(32);
export const KEY_B = randomBytes(32);

/** Client settings an application should use: fail fast while Redis is down. */
export const FAIL_FAST = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  retryStrategy: () => 20, // reconnect quickly in specs
};

/** The connection settings specs vary. */
export interface ClientSettings {
  readonly lazyConnect?: boolean;
  readonly enableOfflineQueue?: boolean;
  readonly maxRetriesPerRequest?: number | null;
  readonly username?: string;
  readonly password?: string;
  readonly tls?: ConnectionOptions;
}

/** Clients made by a spec, disconnected after it. */
const clients: { disconnect(): void }[] = [];

/** The client libraries the cache accepts; the Redis specs run through each. */
export type ClientKind = "ioredis" | "node-redis";
export const CLIENT_KINDS: readonly ClientKind[] = ["ioredis", "node-redis"];

/**
 * A client of the given library for the cache, made as an application should (failing fast
 * while Redis is down, unless the settings ask otherwise), and connected unless `lazyConnect`.
 */
export async function cacheClient(
  kind: ClientKind,
  port: number,
  options: ClientSettings = {},
): Promise<RedisClient> {
  if (kind === "ioredis") return redisClient(port, options);
  const { tls, lazyConnect, enableOfflineQueue, username, password } = options;
  const socket = { host: "127.0.0.1", port, reconnectStrategy: () => 20 };
  const client = createClient({
    socket:
      tls === undefined
        ? socket
        : { ...socket, tls: true, ca: tls.ca as string, servername: tls.servername ?? "" },
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    disableOfflineQueue: enableOfflineQueue !== true,
  });
  client.on("error", ignore);
  clients.push({
    disconnect: () => {
      client.destroy();
    },
  });
  if (lazyConnect !== true) await client.connect();
  return client;
}

/** A connected cluster client of the given library for the cache. */
export async function cacheClusterClient(
  kind: ClientKind,
  nodes: readonly ClusterNode[],
): Promise<RedisClient> {
  if (kind === "ioredis") return clusterClient(nodes);
  const cluster = createCluster({
    rootNodes: nodes.map((node) => ({ socket: node as { host: string; port: number } })),
    defaults: { disableOfflineQueue: true, socket: { reconnectStrategy: () => 20 } },
  });
  cluster.on("error", ignore);
  clients.push({
    disconnect: () => {
      cluster.destroy();
    },
  });
  await cluster.connect();
  return cluster;
}

/** A connected ioredis client for a server on the loopback. */
export async function redisClient(port: number, options: ClientSettings = {}): Promise<Redis> {
  const client = new Redis({ host: "127.0.0.1", port, ...FAIL_FAST, ...options });
  client.on("error", ignore); // an application logs these; the specs expect them
  clients.push(client);
  if (options.lazyConnect !== true && client.status !== "ready") await once(client, "ready");
  return client;
}

/** A connected ioredis cluster client. */
export async function clusterClient(nodes: readonly ClusterNode[]): Promise<Cluster> {
  const client = new Cluster([...nodes], {
    enableOfflineQueue: false,
    redisOptions: { maxRetriesPerRequest: 1 },
  });
  client.on("error", ignore);
  clients.push(client);
  if (client.status !== "ready") await once(client, "ready");
  return client;
}

function ignore(): void {
  // Connection errors are expected while a spec kills Redis.
}

/** Disconnects every client made since the last call. */
export function disconnectClients(): void {
  for (const client of clients.splice(0)) client.disconnect();
}

/** Log lines, by level. */
export interface LogLines {
  readonly warn: string[];
  readonly info: string[];
  readonly all: string[];
}

/** A logger that records every line. */
export function recordingLogger(): LogLines & {
  logger: Required<NonNullable<RedisTokenCacheOptions["logger"]>>;
} {
  const lines = { warn: [] as string[], info: [] as string[], all: [] as string[] };
  const record = (level: "warn" | "info" | "error" | "verbose") => (message: string) => {
    if (level === "warn" || level === "info") lines[level].push(message);
    lines.all.push(message);
  };
  return {
    ...lines,
    logger: {
      error: record("error"),
      warn: record("warn"),
      info: record("info"),
      verbose: record("verbose"),
    },
  };
}

/**
 * A Redis token cache with spec-friendly defaults: a short cool-down, and a time-out long enough
 * that a loaded CI machine does not turn exact counts into fallbacks (failure specs shorten it).
 */
export function redisCache(
  client: RedisClient,
  options: Partial<RedisTokenCacheOptions> = {},
): RedisTokenCache {
  return new RedisTokenCache({
    client,
    encryptionKeys: [{ id: "a", key: KEY_A }],
    timeoutMs: 1_000,
    circuitBreaker: { cooldownMs: 50 },
    ...options,
  });
}

/** A provider, as each instance of an API would have it, with the given cache. */
export function providerWith(
  tokenCache: RedisTokenCache,
  extra: Partial<ConstructorParameters<typeof OnBehalfOfAuthenticationProvider>[0]> = {},
): OnBehalfOfAuthenticationProvider {
  return new OnBehalfOfAuthenticationProvider({
    clientId: API_CLIENT_ID,
    tenantId: TENANT,
    clientSecret: CLIENT_SECRET,
    tokenCache,
    ...extra,
  } as OnBehalfOfAuthenticationProviderOptions);
}

/** A user with a GUID oid, as Entra issues them, and their incoming access token. */
export async function newUser(): Promise<{ oid: string; assertion: string }> {
  const oid = randomUUID();
  return { oid, assertion: await userToken({ oid, tid: TENANT }) };
}

/** Every key and value in a Redis database. */
export async function dump(client: Redis): Promise<{ key: string; value: Buffer }[]> {
  const keys = await client.keys("*");
  const values = await Promise.all(keys.map((key) => client.getBuffer(key)));
  return keys.map((key, i) => ({ key, value: values[i] ?? Buffer.alloc(0) }));
}

/** Calls `check` until it answers true, pausing between calls; fails after `attempts`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  attempts = 200,
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`never happened: ${what}`);
}

/**
 * Lets the current work reach its first I/O wait, then holds the event loop with a synchronous
 * busy loop for `ms`, as a CPU-bound task or a starved core would.
 */
export async function blockEventLoop(ms: number): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: no timer, no I/O callback runs meanwhile
  }
}

/** Waits for the single-flight locks to be gone: they are released in the background. */
export async function locksReleased(admin: Redis): Promise<void> {
  await eventually(async () => (await admin.keys("*l:*")).length === 0, "the locks are released");
}
