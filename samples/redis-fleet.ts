/**
 * `npm run sample:fleet`: two instances of the sample API share one encrypted Redis token cache. A user's
 * first call lands on instance A (one token request); the next lands on instance B, which is served from
 * Redis without a token request. Then a long-running job: alice asks instance A for the report of her
 * manager chain (`202`), and instance B builds it two hours later (the emulator's clock) with the
 * session A started, read from Redis; a job of erin's, whose sessions are revoked, ends cleanly.
 * Uses REDIS_URL when set, otherwise starts a local `redis-server` on a free loopback port (Debian:
 * `apt-get install -y redis-server`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { RedisTokenCache } from "graph-obo-auth/redis";
import { startEmulator } from "graph-obo-auth-emulator";
import { createSampleApi } from "./express-api/app.js";
import { emulatorConfig } from "./express-api/emulator-config.js";
import { JobBoard, type JobView } from "./express-api/manager-chain-jobs.js";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

async function localRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.once("error", () => {
      reject(
        new Error(
          "redis-server is not installed: set REDIS_URL, or apt-get install -y redis-server",
        ),
      );
    });
    setTimeout(resolve, 300);
  });
  return { url: `redis://127.0.0.1:${port}`, child };
}

const redisProcess = process.env.REDIS_URL === undefined ? await localRedis() : undefined;
const url = process.env.REDIS_URL ?? redisProcess?.url ?? "";
const emulator = await startEmulator();
const servers: Server[] = [];
const clients: Redis[] = [];
// One key ring for the fleet: in production, a secret from your key vault (openssl rand -base64 32).
const encryptionKeys = [{ id: "sample", key: randomBytes(32).toString("base64") }];
// The jobs' queue, shared by the instances (a durable queue in production).
const jobs = new JobBoard();
try {
  const instances = [];
  for (const name of ["A", "B"]) {
    const client = new Redis(url, {
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      lazyConnect: false,
    });
    clients.push(client);
    await new Promise((resolve) => client.once("ready", resolve));
    const config = emulatorConfig(emulator);
    const api = createSampleApi({
      ...config,
      api: { ...config.api, tokenCache: new RedisTokenCache({ client, encryptionKeys }) },
      jobs,
    });
    const server = await new Promise<Server>((resolve) => {
      const s = api.app.listen(0, "127.0.0.1", () => {
        resolve(s);
      });
    });
    servers.push(server);
    instances.push({
      name,
      api,
      base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
  }
  console.log(`two sample API instances sharing Redis at ${url}`);
  for (const user of [emulator.defaults.users.alice, emulator.defaults.users.erin]) {
    const token = await emulator.signIn({ user });
    for (const instance of instances) {
      const before = emulator.count({ endpoint: "token" });
      const response = await fetch(`${instance.base}/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const me = (await response.json()) as { displayName?: string };
      const sent = emulator.count({ endpoint: "token" }) - before;
      console.log(
        `  ${user.padEnd(22)} → instance ${instance.name}: ${response.status} ${me.displayName ?? ""}; token requests: ${sent}`,
      );
      if (response.status !== 200)
        throw new Error(`instance ${instance.name} answered ${response.status}`);
      if (instance.name === "B" && sent !== 0)
        throw new Error("instance B should have been served from Redis");
    }
  }
  console.log(
    "instance B never asked Entra: it decrypted the token instance A had stored in Redis.",
  );

  const [a, b] = instances;
  if (a === undefined || b === undefined) throw new Error("two instances expected");
  const { alice, erin } = emulator.defaults.users;
  const started = new Map<string, string>();
  for (const user of [alice, erin]) {
    const response = await fetch(`${a.base}/jobs/manager-chain`, {
      method: "POST",
      headers: { authorization: `Bearer ${await emulator.signIn({ user })}` },
    });
    const job = (await response.json()) as JobView;
    console.log(`  ${user.padEnd(22)} → POST /jobs/manager-chain on A: ${response.status}`);
    if (response.status !== 202) throw new Error(`instance A answered ${response.status}`);
    started.set(user, job.id);
  }
  emulator.advanceClock(2 * 60 * 60 * 1000);
  emulator.revokeSessions(erin);
  const done = (await b.api.jobWorker?.runQueued()) ?? 0;
  for (const user of [alice, erin]) {
    const directory = emulator.user(user);
    const view = jobs.view(
      started.get(user) ?? "",
      `${directory?.tenantId ?? ""}/${directory?.id ?? ""}`,
    );
    console.log(
      `  ${user.padEnd(22)} → job on B, two hours later: ${view?.status ?? "?"} ${view?.chain?.join(" → ") ?? view?.reason ?? ""}`,
    );
  }
  if (done !== 1) throw new Error("expected alice's report from instance B");
  console.log(
    "instance B ran alice's job with the session instance A started (kept encrypted in Redis); erin's ended when her sessions were revoked.",
  );
} catch (error) {
  console.error(`fleet sample failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  for (const client of clients) client.disconnect();
  await emulator.close();
  redisProcess?.child.kill();
}
