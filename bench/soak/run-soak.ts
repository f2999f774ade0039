/**
 * A soak and fault run against the emulator: many users making concurrent Graph calls through one
 * provider while the token endpoint and Graph fail in every way the emulator can (5xx, 429, slow
 * answers, connection resets). Every call must either return its own user's profile or fail with a
 * typed error; nothing may hang, reject unhandled, cross users, or print a secret. The canaries are
 * every user's assertion, session key and the client secret: none of them, nor anything shaped
 * like a JWT, may appear in any log line or error (message and serialised fields). Every third call
 * goes through the user's long-running session instead of the assertion (no request context), with
 * changing scopes so that refresh tokens are redeemed and rotated under the same faults; a
 * transient fault must never end a session.
 */
import { GraphError } from "@microsoft/microsoft-graph-client";
import {
  OnBehalfOfAuthenticationProvider,
  createGraphClient,
  isOnBehalfOfError,
  runWithUserAssertion,
  withTokenOptions,
} from "graph-obo-auth";
import { startEmulator, type Emulator } from "graph-obo-auth-emulator";

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
  /**
   * Per isolation scenario (one user, or everyone briefly, failing at Entra): how many unrelated
   * users' calls failed, beside the victim and after it. The goal is 0 everywhere.
   */
  readonly unrelatedFailures: Readonly<Record<string, number>>;
  /** Calls made through a long-running session (no assertion). */
  readonly sessionCalls: number;
  /** Sessions gone at the end of the run (a transient fault must never end one). */
  readonly sessionsLost: number;
}

/** The scopes session calls cycle through: each set is one refresh per session. */
const SESSION_SCOPES: readonly (readonly string[] | undefined)[] = [
  undefined,
  ["https://graph.microsoft.com/User.Read"],
  ["https://graph.microsoft.com/User.ReadBasic.All"],
];

/** A victim whose token requests fail, or a short burst of failures for everyone. */
interface IsolationScenario {
  readonly name: string;
  readonly fault: Parameters<Emulator["inject"]>[0]["fault"];
  /** One victim failing for good, or the first `burst` token requests of everyone. */
  readonly burst?: number;
}

const ISOLATION_SCENARIOS: readonly IsolationScenario[] = [
  {
    name: "one user: 503 with Retry-After",
    fault: { kind: "server_error", status: 503, retryAfterSeconds: 1 },
  },
  { name: "one user: 500", fault: { kind: "server_error", status: 500 } },
  { name: "one user: 429 with Retry-After", fault: { kind: "throttled", retryAfterSeconds: 1 } },
  { name: "one user: connection reset", fault: { kind: "connection_reset" } },
  { name: "everyone: 20 x 503 burst", fault: { kind: "server_error", status: 503 }, burst: 20 },
];

/**
 * Runs each isolation scenario on a fresh provider: the victim's call, `bystanders` other users
 * beside it (while it backs off) and as many after it; counts the bystanders that failed.
 */
async function isolationRun(
  emulator: Emulator,
  upns: readonly string[],
  bystanders: number,
): Promise<Record<string, number>> {
  const { api } = emulator.defaults.apps;
  const outcome: Record<string, number> = {};
  const [victim = "", ...others] = upns;
  for (const scenario of ISOLATION_SCENARIOS) {
    emulator.clearInjections();
    let backOff = (): void => undefined;
    const backingOff = new Promise<void>((resolve) => {
      backOff = resolve;
    });
    const provider = new OnBehalfOfAuthenticationProvider({
      clientId: api.clientId,
      clientSecret: api.clientSecret,
      ...emulator.providerOptions({ tenant: "organizations" }),
      retry: { maxRetries: 2, baseDelayMs: 20, maxDelayMs: 40 },
      logger: {
        warn: (line) => {
          if (line.includes("retrying in")) backOff();
        },
      },
    });
    const signIns = (count: number): Promise<string[]> =>
      Promise.all(
        Array.from({ length: count }, (_, i) =>
          emulator.signIn({ user: others[i % others.length] ?? victim }),
        ),
      );
    const [during, after] = [await signIns(bystanders), await signIns(bystanders)];
    let victimCall: Promise<unknown> = Promise.resolve();
    if (scenario.burst === undefined) {
      emulator.inject({ endpoint: "token", user: victim, times: Infinity, fault: scenario.fault });
      const victimToken = await emulator.signIn({ user: victim });
      victimCall = provider.getAccessToken({ userAssertion: victimToken }).catch(() => undefined);
      await Promise.race([backingOff, victimCall]);
    } else {
      emulator.inject({ endpoint: "token", times: scenario.burst, fault: scenario.fault });
    }
    const exchange = (tokens: string[]): Promise<PromiseSettledResult<string>[]> =>
      Promise.allSettled(tokens.map((userAssertion) => provider.getAccessToken({ userAssertion })));
    const beside = await exchange(during);
    await victimCall;
    const later = await exchange(after);
    outcome[scenario.name] = [...beside, ...later].filter((r) => r.status === "rejected").length;
  }
  emulator.clearInjections();
  return outcome;
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
    const unrelatedFailures = await isolationRun(emulator, upns, Math.min(100, options.users * 3));
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
    const sessions = new Map<string, string>();
    for (const upn of upns) {
      sessions.set(upn, await provider.startSession({ userAssertion: tokens.get(upn) ?? "" }));
    }
    let sessionCalls = 0;

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
        const session = n % 3 === 2 ? sessions.get(upn) : undefined;
        if (session !== undefined) sessionCalls++;
        const scopes = SESSION_SCOPES[Math.floor(n / 3) % SESSION_SCOPES.length];
        const me =
          session === undefined
            ? runWithUserAssertion(
                tokens.get(upn) ?? "",
                () => graph.api("/me").get() as Promise<{ userPrincipalName?: string }>,
              )
            : (graph
                .api("/me")
                .middlewareOptions([
                  withTokenOptions({
                    session,
                    ...(scopes === undefined ? {} : { scopes: [...scopes] }),
                  }),
                ])
                .get() as Promise<{ userPrincipalName?: string }>);
        const result = await Promise.race([me, deadline]);
        if (result === "hung") hung++;
        else if (result.userPrincipalName === upn) succeeded++;
        else crossed++;
      } catch (error) {
        const message =
          error instanceof Error ? `${error.message} ${JSON.stringify(error)}` : String(error);
        record(message);
        if (isOnBehalfOfError(error)) typed[error.code] = (typed[error.code] ?? 0) + 1;
        else if (error instanceof GraphError) {
          // -1: the Graph client's code for a request with no HTTP answer, here the injected resets.
          const label =
            error.statusCode === -1
              ? "GraphError -1 (injected Graph connection reset)"
              : `GraphError ${error.statusCode}`;
          typed[label] = (typed[label] ?? 0) + 1;
        } else untyped++;
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

    let sessionsLost = 0;
    for (const upn of upns) {
      const user = emulator.user(upn);
      const live = await provider.listSessions({ tid: user?.tenantId ?? "", oid: user?.id ?? "" });
      if (live.length === 0) sessionsLost++;
    }
    const secrets = [...tokens.values(), ...sessions.values(), api.clientSecret];
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
      unrelatedFailures,
      sessionCalls,
      sessionsLost,
    };
  } finally {
    process.off("unhandledRejection", onUnhandled);
    await emulator.close();
  }
}
