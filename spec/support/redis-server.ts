import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Starts and stops real `redis-server` processes for specs and benchmarks: on a free loopback
 * port, in a temporary directory, without persistence (`--save "" --appendonly no`).
 */

export const REDIS_INSTALL_HINT = "apt-get update && apt-get install -y redis-server";

let available: boolean | undefined;

/** Whether a `redis-server` binary is on the PATH. */
export function hasRedisServer(): boolean {
  available ??= spawnSync("redis-server", ["--version"], { stdio: "ignore" }).error === undefined;
  return available;
}

let skipped = 0;

/**
 * For a `before` hook: returns when `redis-server` is installed. Without it, fails when the `CI`
 * environment variable is set, and otherwise skips the suite, loudly (here, and again at the end
 * of the run through {@link redisSkipBanner}).
 */
export function requireRedisServer(context: Mocha.Context): void {
  if (hasRedisServer()) return;
  if (process.env.CI !== undefined && process.env.CI !== "") {
    throw new Error(
      `redis-server is not installed, and CI must run the Redis specs: ${REDIS_INSTALL_HINT}`,
    );
  }
  const first = skipped === 0;
  skipped += context.test?.parent?.total() ?? 0;
  if (first) process.stderr.write(banner("the Redis specs that follow"));
  context.skip();
}

/** The banner for the end of the run, when Redis specs were skipped. */
export function redisSkipBanner(): string | undefined {
  return skipped === 0 ? undefined : banner(`${skipped} Redis specs`);
}

function banner(what: string): string {
  return [
    "",
    "################################################################################",
    `#  SKIPPED ${what}: redis-server is not installed.`,
    `#  Install it to run them:  ${REDIS_INSTALL_HINT}`,
    "#  (With CI set, a missing redis-server fails the run instead.)",
    "################################################################################",
    "",
  ].join("\n");
}

/** A loopback TCP port nobody listens on now (and, with `withBus`, its cluster bus port too). */
export async function freePort(withBus = false): Promise<number> {
  for (;;) {
    const port = await listenOnce(0);
    if (!withBus) return port;
    if (port + 10_000 < 65_536 && (await isFree(port + 10_000))) return port;
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === "object" && address !== null ? address.port : port);
      });
    });
  });
}

async function isFree(port: number): Promise<boolean> {
  try {
    await listenOnce(port);
    return true;
  } catch {
    return false;
  }
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** More `redis-server` arguments, e.g. `["--requirepass", "pw"]`. */
  readonly args?: readonly string[];
  /** Serve TLS only, with a self-signed certificate for 127.0.0.1 made with `openssl`. */
  readonly tls?: boolean;
  /** The port; a free one by default. */
  readonly port?: number;
}

/** A running `redis-server`. */
export interface RedisServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** For TLS servers: the self-signed certificate (PEM), to trust as the CA. */
  readonly certificate: string | undefined;
  /** Kills the process at once (SIGKILL), as a crash would, and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open and commands go unanswered. */
  freeze(): void;
  /** Resumes a frozen process (SIGCONT). */
  thaw(): void;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts a `redis-server` on a free loopback port, in its own temporary directory (removed by
 * `stop()`, or at once when the server fails to start).
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "graph-obo-auth-redis-"));
  const port = options.port ?? (await freePort());
  let certificate: string | undefined;
  const tlsArgs: string[] = [];
  if (options.tls === true) {
    try {
      certificate = selfSignedCertificate(dir);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    tlsArgs.push(
      ...["--port", "0", "--tls-port", String(port)],
      ...["--tls-cert-file", join(dir, "cert.pem"), "--tls-key-file", join(dir, "key.pem")],
      ...["--tls-ca-cert-file", join(dir, "cert.pem"), "--tls-auth-clients", "no"],
    );
  }
  const args = [
    ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir],
    ...["--save", "", "--appendonly", "no", "--loglevel", "notice"],
    ...tlsArgs,
    ...(options.args ?? []),
  ];
  let child: ChildProcess;
  try {
    child = await launch(args);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const server: RedisServer = {
    host: "127.0.0.1",
    port,
    certificate,
    async kill() {
      await terminate(child, "SIGKILL");
    },
    async restart() {
      await terminate(child, "SIGKILL");
      child = await launch(args);
    },
    freeze() {
      child.kill("SIGSTOP");
    },
    thaw() {
      child.kill("SIGCONT");
    },
    async stop() {
      child.kill("SIGCONT");
      await terminate(child, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

function selfSignedCertificate(dir: string): string {
  const result = spawnSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1"],
      ...["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    ],
    { stdio: "ignore" },
  );
  if (result.status !== 0) throw new Error("openssl could not make a test certificate");
  return readFileSync(join(dir, "cert.pem"), "utf8");
}

/** Starts redis-server and resolves once it accepts connections. */
function launch(args: readonly string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-server", args, {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      if (output.includes("Ready to accept connections")) {
        child.stdout.off("data", onData);
        child.stdout.resume();
        child.stderr.resume();
        resolve(child);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("exit", (code) => {
      reject(
        new Error(
          `redis-server exited (${String(code)}) before it was ready:\n${output.slice(-2000)}`,
        ),
      );
    });
  });
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => {
      resolve();
    });
    child.kill(signal);
  });
}

/** A running Redis Cluster of masters without replicas. */
export interface RedisClusterServers {
  readonly nodes: readonly { host: "127.0.0.1"; port: number }[];
  stop(): Promise<void>;
}

/** Starts `count` cluster-enabled servers and joins them into one cluster covering every slot. */
export async function startRedisCluster(count = 3): Promise<RedisClusterServers> {
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      // A relative path is under the server's own `--dir`, which `stop()` removes.
      servers.push(
        await startRedisServerOnBusPort([
          ...["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"],
          ...["--cluster-config-file", "nodes.conf"],
        ]),
      );
    }
    const create = spawnSync(
      "redis-cli",
      [
        "--cluster",
        "create",
        ...servers.map((s) => `127.0.0.1:${s.port}`),
        ...["--cluster-replicas", "0", "--cluster-yes"],
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed:\n${create.stdout}${create.stderr}`);
    await waitFor(() => servers.every((s) => clusterInfo(s.port).includes("cluster_state:ok")));
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return {
    nodes: servers.map((s) => ({ host: "127.0.0.1", port: s.port })),
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

async function startRedisServerOnBusPort(args: readonly string[]): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort(true);
    try {
      return await startRedisServer({ port, args });
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

function clusterInfo(port: number): string {
  return spawnSync("redis-cli", ["-p", String(port), "cluster", "info"], { encoding: "utf8" })
    .stdout;
}

async function waitFor(condition: () => boolean, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the Redis cluster did not become ready");
}

const running: { stop(): Promise<void> }[] = [];

/** Registers a server (or cluster) being started, for {@link stopAll}. */
export async function started<T extends { stop(): Promise<void> }>(
  starting: Promise<T>,
): Promise<T> {
  const server = await starting;
  running.push(server);
  return server;
}

/** Stops every server registered with {@link started} (none when the suite was skipped). */
export async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((server) => server.stop()));
}
