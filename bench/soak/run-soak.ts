/**
 * A soak and fault run against the emulator: many users making concurrent Graph calls through one
 * provider while the token endpoint and Graph fail in every way the emulator can (5xx, 429, slow
 * answers, connection resets). Every call must either return its own user's profile or fail with a
 * typed error; nothing may hang, reject unhandled, cross users, or print a secret. The canaries are
 * every user's assertion and the client secret: none of them, nor anything shaped like a JWT, may
 * appear in any log line or error (message and serialised fields).
 */
import { GraphError } from "@microsoft/microsoft-graph-client";
import {
  OnBehalfOfAuthenticationProvider,
  createGraphClient,
  isOnBehalfOfError,
  runWithUserAssertion,
} from "graph-obo-auth";
import { startEmulator, type Emulator } from "graph-obo-auth/emulator";

/** How big the run is. */
export interface SoakOptions {
  readonly users: number;
  readonly calls: number;
  readonly concurrency: number;
  /** Every this many calls, a fault is injected somewhere. */
  readonly faultEvery: number;
  /** A call that takes longer than this counts as hung. */
  readonly callDeadlineMs: number;
}

/** What happened. */
export interface SoakReport {
  readonly calls: number;
  readonly succeeded: number;
  readonly typedFailures: Readonly<Record<string, number>>;
  readonly untypedFailures: number;
  readonly crossedUsers: number;
  readonly hung: number;
  readonly unhandledRejections: number;
  readonly faultsInjected: number;
  readonly tokenRequests: number;
  readonly graphRequests: number;
  readonly secretsInOutput: number;
  readonly wallMs: number;
  readonly callsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

type Fault = Parameters<Emulator["inject"]>[0];

function faultFor(n: number, user: string): Fault {
  switch (n % 6) {
    case 0:
      return { endpoint: "token", user, fault: { kind: "server_error", status: 503 } };
    case 1:
      return { endpoint: "token", user, fault: { kind: "throttled", retryAfterSeconds: 0 } };
    case 2:
      return { endpoint: "token", user, fault: { kind: "connection_reset" } };
    case 3:
      return { endpoint: "token", user, fault: { kind: "delay", ms: 50 } };
    case 4:
      return { endpoint: "graph", user, fault: { kind: "delay", ms: 50 } };
    default:
      return { endpoint: "graph", user, fault: { kind: "connection_reset" } };
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Runs the soak and returns its figures. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const emulator = await startEmulator();
  const output: string[] = [];
  const record = (line: string): void => {
    output.push(line);
  };
  let unhandled = 0;
  const onUnhandled = (): void => {
    unhandled++;
  };
  process.on("unhandledRejection", onUnhandled);
  try {
    const domain = emulator.defaults.tenants.contoso.domain;
    const upns = Array.from({ length: options.users }, (_, i) => `soak-user-${i}@${domain}`);
    for (const upn of upns) emulator.addUser({ userPrincipalName: upn });
    const tokens = new Map<string, string>();
    for (const upn of upns) tokens.set(upn, await emulator.signIn({ user: upn }));

    const { api } = emulator.defaults.apps;
    const provider = new OnBehalfOfAuthenticationProvider({
      clientId: api.clientId,
      clientSecret: api.clientSecret,
      ...emulator.providerOptions({ tenant: "organizations" }),
      timeoutMs: 5_000,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      logger: { error: record, warn: record, info: record, verbose: record },
    });
    const graph = createGraphClient({ authProvider: provider, ...emulator.graphClientOptions() });

    let succeeded = 0;
    let crossed = 0;
    let hung = 0;
    let untyped = 0;
    let faults = 0;
    const typed: Record<string, number> = {};
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();

    const one = async (n: number): Promise<void> => {
      const upn = upns[n % upns.length] ?? "";
      if (n % options.faultEvery === 0) {
        emulator.inject(faultFor(n / options.faultEvery, upn));
        faults++;
      }
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"hung">((resolve) => {
        timer = setTimeout(() => {
          resolve("hung");
        }, options.callDeadlineMs);
      });
      try {
        const result = await Promise.race([
          runWithUserAssertion(
            tokens.get(upn) ?? "",
            () => graph.api("/me").get() as Promise<{ userPrincipalName?: string }>,
          ),
          deadline,
        ]);
        if (result === "hung") hung++;
        else if (result.userPrincipalName === upn) succeeded++;
        else crossed++;
      } catch (error) {
        const message =
          error instanceof Error ? `${error.message} ${JSON.stringify(error)}` : String(error);
        record(message);
        if (isOnBehalfOfError(error)) typed[error.code] = (typed[error.code] ?? 0) + 1;
        else if (error instanceof GraphError)
          typed[`GraphError ${error.statusCode}`] =
            (typed[`GraphError ${error.statusCode}`] ?? 0) + 1;
        else untyped++;
      } finally {
        clearTimeout(timer);
        latencies.push(performance.now() - t0);
      }
    };

    const worker = async (): Promise<void> => {
      while (next < options.calls) await one(next++);
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const wallMs = performance.now() - started;
    await new Promise((resolve) => setImmediate(resolve));

    const secrets = [...tokens.values(), api.clientSecret];
    const secretsInOutput = output.filter(
      (line) => JWT.test(line) || secrets.some((secret) => line.includes(secret)),
    ).length;
    latencies.sort((a, b) => a - b);
    return {
      calls: options.calls,
      succeeded,
      typedFailures: typed,
      untypedFailures: untyped,
      crossedUsers: crossed,
      hung,
      unhandledRejections: unhandled,
      faultsInjected: faults,
      tokenRequests: emulator.count({ endpoint: "token" }),
      graphRequests: emulator.count({ endpoint: "graph" }),
      secretsInOutput,
      wallMs: Math.round(wallMs),
      callsPerSecond: Math.round((options.calls / wallMs) * 1000),
      p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
      p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
    };
  } finally {
    process.off("unhandledRejection", onUnhandled);
    await emulator.close();
  }
}
