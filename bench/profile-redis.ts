/**
 * CPU profile of Redis second-level hits (memory level off), against a real `redis-server` on
 * loopback: `calls` sequential `get`s of one entry of a 1.6 KB token. Writes
 * `.bench/redis-l2.cpuprofile` (open it in Chrome DevTools) and prints the functions with the
 * most self time. Not part of `npm run bench`.
 *
 * ```
 * npx tsx bench/profile-redis.ts [calls] [ioredis|node-redis]
 * ```
 * The profiler's own overhead inflates every call; read shares, not µs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { createClient } from "@redis/client";
import { RedisTokenCache, type RedisClient } from "../lib/redis.js";
import { startRedisServer } from "../spec/support/redis-server.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const calls = Number(process.argv[2] ?? 100_000);
const flavour = process.argv[3] === "node-redis" ? "node-redis" : "ioredis";
const CACHE_KEY = `obo|login.microsoftonline.com|tenant|client|${"h".repeat(43)}|https://graph.microsoft.com/.default`;

const server = await startRedisServer();
// A failure anywhere below must not leave the redis-server running.
process.once("uncaughtException", (error) => {
  process.stderr.write(`${error.stack ?? String(error)}\n`);
  void server.stop().finally(() => process.exit(1));
});
let client: RedisClient;
let close: () => Promise<unknown>;
if (flavour === "ioredis") {
  const io = new Redis({ host: server.host, port: server.port, enableOfflineQueue: false });
  if (io.status !== "ready") await once(io, "ready");
  client = io;
  close = async () => {
    io.disconnect();
    await Promise.resolve();
  };
} else {
  const nr = createClient({ url: `redis://${server.host}:${String(server.port)}` });
  await nr.connect();
  client = nr;
  close = () => nr.close();
}
const cache = new RedisTokenCache({
  client,
  encryptionKeys: [{ id: "bench", key: Buffer.alloc(32, 7) }],
  memoryCache: false,
  timeoutMs: 1_000,
});
await cache.set(CACHE_KEY, {
  accessToken: "x".repeat(1_600),
  expiresAt: Date.now() + 3_600_000,
  refreshAt: Date.now() + 3_300_000,
});
const hit = async (): Promise<void> => {
  if ((await cache.get(CACHE_KEY)) === undefined) throw new Error("unexpected miss");
};
for (let i = 0; i < 20_000; i++) await hit();

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 100 });
await session.post("Profiler.start");
for (let i = 0; i < calls; i++) await hit();
const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile };
session.disconnect();
await close();
await server.stop();

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", ".bench");
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `redis-l2-${flavour}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
for (const sample of profile.samples) {
  const frame = byId.get(sample)?.callFrame;
  if (frame === undefined) continue;
  const where = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").slice(-2).join("/")}:${String(frame.lineNumber + 1)}`;
  self.set(where, (self.get(where) ?? 0) + 1);
}
const total = profile.samples.length;
process.stdout.write(`${flavour}, ${calls.toLocaleString("en-US")} second-level hits: self time\n`);
for (const [where, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  process.stdout.write(`${((100 * n) / total).toFixed(1).padStart(5)}%  ${where}\n`);
}
process.stdout.write(`profile: ${path.relative(process.cwd(), file)}\n`);
