/**
 * The whole API under load: the sample web API (`samples/express-api`: `requireAccessToken`, the
 * On-Behalf-Of provider, the Graph v3 client) driven by `autocannon` with a distinct incoming
 * token per user, against the same API with a constant Graph token, with and without validation.
 *
 * Processes: this job runs the emulator (Entra and Graph) and autocannon; each API configuration
 * is a child process of its own (`bench/api-server.ts`) whose `process.cpuUsage()` is read
 * before and after every load run. So the CPU per request is the API's alone: the emulator
 * (token exchanges, signing, Graph answers) and the load generator are never counted.
 *
 * Warm: before anything is measured every user calls `/me` once per configuration (the
 * On-Behalf-Of one sends exactly one token request per user, checked), then a short load run
 * compiles the hot paths; during the timed runs the emulator must see no token request at all.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { OnBehalfOfAuthenticationProvider, runWithUserAssertion } from "../lib/index.js";
import { EMULATOR_DEFAULTS, startEmulator } from "graph-obo-auth-emulator";
import { emulatorConfig } from "../samples/express-api/emulator-config.js";
import type {
  ApiMode,
  ApiServerMessage,
  ApiServerReply,
  PortableProviderOptions,
} from "./api-server.js";
import { median } from "./stats.js";

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "api-server.ts");

/** The API under load (`--sections api`). */
export interface ApiJob {
  readonly kind: "api";
  /** Distinct users, each with its own incoming token. */
  readonly users: number;
  /** autocannon connections (concurrent requests in flight). */
  readonly connections: number;
  /** Seconds per timed load run. */
  readonly seconds: number;
  /** Timed runs per configuration, configurations alternating. */
  readonly reps: number;
  /** Seconds of untimed load per configuration after the warm-up calls. */
  readonly warmupSeconds: number;
}

/** One timed load run of one configuration. */
export interface ApiRep {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** User + system CPU µs of the API process ÷ requests answered. */
  readonly cpuUsPerRequest: number;
  /** Answers other than 2xx, connection errors and timeouts (all must be 0). */
  readonly failures: number;
}

/** A configuration's figures: medians over its reps. */
export interface ApiModeFigures {
  readonly mode: ApiMode;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerRequest: number;
  /** The API process's heap after the timed runs. */
  readonly heapUsedBytes: number;
  readonly reps: readonly ApiRep[];
}

export interface ApiResult {
  readonly kind: "api";
  readonly users: number;
  readonly connections: number;
  readonly seconds: number;
  readonly modes: readonly ApiModeFigures[];
  /**
   * Shares of the On-Behalf-Of API's CPU per request, each the median over reps of the paired
   * figures of one round: authentication (obo − bare), the provider (obo − constant), the
   * validation (constant − bare), each ÷ obo.
   */
  readonly shares: {
    readonly authentication: number;
    readonly provider: number;
    readonly validation: number;
    /** What `rememberVerifiedTokens` saves: (obo − memo) ÷ obo. */
    readonly memoSaving: number;
    /** Authentication with `rememberVerifiedTokens`: (memo − bare) ÷ memo. */
    readonly authenticationWithMemo: number;
    /** The request context (`runWithUserAssertion`) alone: (context − bare) ÷ obo. */
    readonly requestContext: number;
  };
  /** Token requests the emulator received during the timed runs (must be 0: warm). */
  readonly tokenRequestsTimed: number;
  /** Token requests of the On-Behalf-Of configurations' warm-up (must be one per user each). */
  readonly tokenRequestsWarmup: number;
}

const MODES: readonly ApiMode[] = ["obo", "memo", "constant", "context", "bare"];

/** A running API server child. */
class ApiServer {
  readonly #child: ChildProcess;
  #waiting: ((reply: ApiServerReply) => void) | undefined;
  public readonly mode: ApiMode;
  public url = "";

  public constructor(mode: ApiMode) {
    this.mode = mode;
    // BENCH_API_PROFILE=<dir>: each API configuration writes a V8 CPU profile there when it exits.
    const profileDir = process.env.BENCH_API_PROFILE;
    this.#child = fork(SERVER, [], {
      execArgv: [
        "--import",
        "tsx",
        ...(profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]),
      ],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#child.on("message", (reply: ApiServerReply) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.(reply);
    });
  }

  #ask(message: ApiServerMessage): Promise<ApiServerReply> {
    return new Promise((resolve, reject) => {
      this.#waiting = (reply) => {
        if (reply.type === "error") reject(new Error(`api server ${this.mode}: ${reply.message}`));
        else resolve(reply);
      };
      this.#child.send(message);
    });
  }

  public async start(message: Extract<ApiServerMessage, { type: "start" }>): Promise<void> {
    const reply = await this.#ask(message);
    if (reply.type !== "ready") throw new Error(`api server ${this.mode}: no ready`);
    this.url = reply.url;
  }

  public async cpu(): Promise<Extract<ApiServerReply, { type: "cpu" }>> {
    const reply = await this.#ask({ type: "cpu" });
    if (reply.type !== "cpu") throw new Error(`api server ${this.mode}: no cpu`);
    return reply;
  }

  public stop(): void {
    if (this.#child.connected) this.#child.send({ type: "stop" });
    setTimeout(() => this.#child.kill("SIGKILL"), 2_000).unref();
  }
}

function userPrincipalName(i: number): string {
  return `bench${String(i)}@${EMULATOR_DEFAULTS.tenants.contoso.domain}`;
}

/** Calls `/me` once per user (`concurrency` at a time) and checks each answer is that user's. */
async function callEveryUser(
  server: ApiServer,
  tokens: readonly string[],
  expectedUser: (i: number) => string,
  concurrency: number,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < tokens.length; i = next++) {
      const response = await fetch(`${server.url}/me`, {
        headers: { authorization: `Bearer ${tokens[i]!}` },
      });
      const body = (await response.json()) as { userPrincipalName?: string; error?: string };
      if (response.status !== 200 || body.userPrincipalName !== expectedUser(i)) {
        throw new Error(
          `${server.mode}: user ${String(i)} got ${String(response.status)} ${body.error ?? "(another user's profile)"}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** One autocannon run on `/me`, every request with a random user's token. */
function load(
  url: string,
  tokens: readonly string[],
  connections: number,
  seconds: number,
): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: "GET",
        path: "/me",
        setupRequest: (request) => ({
          ...request,
          headers: {
            authorization: `Bearer ${tokens[Math.floor(Math.random() * tokens.length)]!}`,
          },
        }),
      },
    ],
  });
}

/** Token requests the servers' On-Behalf-Of providers have sent so far, all together. */
async function tokenRequests(servers: readonly ApiServer[]): Promise<number> {
  let sum = 0;
  for (const server of servers) sum += (await server.cpu()).tokenRequests;
  return sum;
}

/** Runs the job (see the module comment). */
export async function runApi(job: ApiJob, log: (message: string) => void): Promise<ApiResult> {
  const users = Array.from({ length: job.users }, (_, i) => ({
    userPrincipalName: userPrincipalName(i),
  }));
  const emulator = await startEmulator({ users });
  const servers = MODES.map((mode) => new ApiServer(mode));
  try {
    log(`  signing in ${job.users.toLocaleString("en-US")} users`);
    const tokens: string[] = [];
    for (let i = 0; i < job.users; i++) {
      tokens.push(await emulator.signIn({ user: userPrincipalName(i) }));
    }
    // The constant token: one real On-Behalf-Of token, user 0's, exchanged here.
    const config = emulatorConfig(emulator);
    const exchange = new OnBehalfOfAuthenticationProvider(config.api);
    const constantToken = await runWithUserAssertion(tokens[0]!, () => exchange.getAccessToken());
    const contoso = EMULATOR_DEFAULTS.tenants.contoso.id;
    const portable = (tenant: string): PortableProviderOptions => {
      const { msalSystemOptions: _, ...rest } = emulator.providerOptions({ tenant });
      return rest;
    };
    for (const server of servers) {
      await server.start({
        type: "start",
        mode: server.mode,
        origin: emulator.origin,
        caPem: emulator.caPem,
        providerOptions: { organizations: portable("organizations"), [contoso]: portable(contoso) },
        constantToken,
        users: job.users,
      });
    }

    // Warm: every user once per configuration; On-Behalf-Of exchanges exactly one token each.
    let tokenRequestsWarmup = 0;
    for (const server of servers) {
      log(`  warming ${server.mode}: every user once`);
      const exchanges = server.mode === "obo" || server.mode === "memo";
      await callEveryUser(
        server,
        tokens,
        exchanges ? userPrincipalName : () => userPrincipalName(0),
        16,
      );
      const sent = (await server.cpu()).tokenRequests;
      if (sent !== (exchanges ? job.users : 0)) {
        throw new Error(
          `${server.mode}: the warm-up sent ${String(sent)} token requests for ${String(job.users)} users`,
        );
      }
      tokenRequestsWarmup += sent;
      await load(server.url, tokens, job.connections, job.warmupSeconds);
    }

    const before = await tokenRequests(servers);
    const reps = new Map<ApiMode, ApiRep[]>(MODES.map((m) => [m, []]));
    for (let r = 0; r < job.reps; r++) {
      // Configurations alternate, the order rotated per round: noise falls on all alike.
      for (let k = 0; k < servers.length; k++) {
        const server = servers[(r + k) % servers.length]!;
        const cpuBefore = await server.cpu();
        const result = await load(server.url, tokens, job.connections, job.seconds);
        const cpuAfter = await server.cpu();
        const answered = result["2xx"];
        const cpuUs = cpuAfter.userUs + cpuAfter.systemUs - (cpuBefore.userUs + cpuBefore.systemUs);
        const rep: ApiRep = {
          requests: answered,
          requestsPerSecond: answered / result.duration,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          cpuUsPerRequest: cpuUs / answered,
          failures: result.non2xx + result.errors + result.timeouts,
        };
        if (rep.failures > 0) {
          throw new Error(`${server.mode}: ${String(rep.failures)} failed requests under load`);
        }
        reps.get(server.mode)!.push(rep);
        log(
          `  ${server.mode.padEnd(8)} ${rep.requestsPerSecond.toFixed(0)} req/s, p50 ${String(rep.p50Ms)} ms, p99 ${String(rep.p99Ms)} ms, ${rep.cpuUsPerRequest.toFixed(0)} µs CPU/request`,
        );
      }
    }
    const tokenRequestsTimed = (await tokenRequests(servers)) - before;

    const modes: ApiModeFigures[] = [];
    for (const server of servers) {
      const list = reps.get(server.mode)!;
      modes.push({
        mode: server.mode,
        requestsPerSecond: median(list.map((x) => x.requestsPerSecond)),
        p50Ms: median(list.map((x) => x.p50Ms)),
        p99Ms: median(list.map((x) => x.p99Ms)),
        cpuUsPerRequest: median(list.map((x) => x.cpuUsPerRequest)),
        heapUsedBytes: (await server.cpu()).heapUsed,
        reps: list,
      });
    }
    // Each share is the median over rounds of the figures of one round (paired).
    const cpu = (mode: ApiMode, i: number): number => reps.get(mode)![i]!.cpuUsPerRequest;
    const share = (a: ApiMode, b: ApiMode, of: ApiMode = "obo"): number =>
      median(reps.get(of)!.map((o, i) => (cpu(a, i) - cpu(b, i)) / o.cpuUsPerRequest));
    return {
      kind: "api",
      users: job.users,
      connections: job.connections,
      seconds: job.seconds,
      modes,
      shares: {
        authentication: share("obo", "bare"),
        provider: share("obo", "constant"),
        validation: share("constant", "bare"),
        memoSaving: share("obo", "memo"),
        authenticationWithMemo: share("memo", "bare", "memo"),
        requestContext: share("context", "bare"),
      },
      tokenRequestsTimed,
      tokenRequestsWarmup,
    };
  } finally {
    for (const server of servers) server.stop();
    await emulator.close();
  }
}
