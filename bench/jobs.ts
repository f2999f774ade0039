/**
 * The measurements, each run by `bench/child.ts` in a fresh process (so heaps and JIT state of
 * one approach never affect another). Job and result shapes travel over IPC as JSON.
 */
import { Client, type AuthenticationProvider } from "@microsoft/microsoft-graph-client";
import { MemoryTokenCache, runWithUserAssertion } from "../lib/index.js";
import type { ApiJob, ApiResult } from "./jobs-api.js";
import { claimOf, makeAssertion, makeAssertions, userOid } from "./assertions.js";
import { FakeEntra, GRAPH_SCOPE } from "./fake-entra.js";
import { heapAfterGc, forceGc, median, percentile, randomIndexes, usSince } from "./stats.js";
import {
  ReferenceCache,
  createOurProvider,
  fillByCalls,
  subjectSpec,
  type Subject,
  type SubjectId,
} from "./subjects.js";

/** How long and how often to measure. */
export interface Budget {
  /** Repetitions; each yields one median and one p99. */
  readonly reps: number;
  /** Time aimed at per repetition, in milliseconds (sets the calls per repetition). */
  readonly repMs: number;
  readonly minCalls: number;
  readonly maxCalls: number;
  /** Warm-up time before the repetitions, in milliseconds. */
  readonly warmupMs: number;
}

export interface HitJob {
  readonly kind: "hit";
  readonly subject: SubjectId;
  readonly users: number;
  readonly budget: Budget;
}

export interface ConcurrencyJob {
  readonly kind: "concurrency";
  readonly subject: SubjectId;
  readonly reps: number;
  readonly calls: number;
  readonly delayMs: number;
}

export interface GraphJob {
  readonly kind: "graph";
  readonly users: number;
  readonly reps: number;
  readonly callsPerBlock: number;
  readonly warmupCalls: number;
}

export interface SuiteJob {
  readonly kind: "suite";
  /** Absolute path of the suite module. */
  readonly file: string;
  readonly quick: boolean;
  readonly full: boolean;
}

export interface MissJob {
  readonly kind: "miss";
  readonly subject: SubjectId;
  /** Users already cached before the timed misses. */
  readonly users: number;
  readonly reps: number;
  /** Misses (users never seen) per repetition. */
  readonly missesPerRep: number;
}

export interface StormJob {
  readonly kind: "storm";
  readonly subject: SubjectId;
  /** Distinct users, none cached. */
  readonly users: number;
  /** Concurrent calls per user. */
  readonly callsPerUser: number;
  /** The endpoint's answer delay, ms. */
  readonly delayMs: number;
  readonly reps: number;
}

export type Job = HitJob | ConcurrencyJob | GraphJob | SuiteJob | MissJob | StormJob | ApiJob;

/** One repetition of a timed loop. */
export interface RepFigures {
  readonly calls: number;
  readonly medianUs: number;
  readonly p99Us: number;
}

export interface HitResult {
  readonly kind: "hit";
  readonly subject: SubjectId;
  readonly users: number;
  readonly fillMs: number;
  readonly fillTokenRequests: number;
  readonly heapBaseline: number;
  readonly heapFilled: number;
  /** Heap bytes per cached user after a forced GC; null for approaches that cache nothing. */
  readonly heapBytesPerUser: number | null;
  readonly warmupCalls: number;
  readonly reps: RepFigures[];
  /** Median of the per-rep medians. */
  readonly medianUs: number;
  /** Median of the per-rep p99s. */
  readonly p99Us: number;
  readonly minRepMedianUs: number;
  readonly maxRepMedianUs: number;
  /** Token requests during the timed repetitions (0 for a true hit). */
  readonly tokenRequestsPerCall: number;
  /** GET requests (discovery, metadata) the approach made in the whole job. */
  readonly getRequests: number;
  /** Whether sampled answers carried the right user's token. */
  readonly verified: boolean;
}

export interface ConcurrencyResult {
  readonly kind: "concurrency";
  readonly subject: SubjectId;
  readonly calls: number;
  readonly delayMs: number;
  /** 100 calls of one user. */
  readonly oneUser: ConcurrencyFigures;
  /** 100 calls spread over 10 users. */
  readonly tenUsers: ConcurrencyFigures;
}

export interface ConcurrencyFigures {
  /** Token requests sent (median over reps). */
  readonly tokenRequests: number;
  /** Wall time of the burst, ms (median over reps). */
  readonly wallMs: number;
  /** Most different tokens one user received in a burst (median over reps). */
  readonly distinctTokensPerUser: number;
  readonly perRep: { tokenRequests: number; wallMs: number; distinctTokensPerUser: number }[];
}

export interface GraphVariantFigures {
  readonly variant: GraphVariant;
  readonly medianUs: number;
  readonly p99Us: number;
  /** Median over reps of (this variant's rep median − the floor's rep median). */
  readonly overFloorUs: number;
  readonly reps: RepFigures[];
}

export interface GraphResult {
  readonly kind: "graph";
  readonly users: number;
  readonly variants: GraphVariantFigures[];
  /** Token requests per Graph request in the timed blocks. */
  readonly tokenRequestsPerCall: number;
}

export interface SuiteResult {
  readonly kind: "suite";
  readonly file: string;
  readonly suites: { name: string; rows: unknown[]; error?: string }[];
}

/** One repetition of sequential misses. */
export interface MissRep {
  readonly misses: number;
  /** `process.cpuUsage()` user + system of the whole process ÷ misses, µs. */
  readonly cpuUsPerMiss: number;
  /** Wall time ÷ misses, µs (the endpoint answers at once, so close to the CPU figure). */
  readonly wallUsPerMiss: number;
}

export interface MissResult {
  readonly kind: "miss";
  readonly subject: SubjectId;
  readonly users: number;
  readonly reps: MissRep[];
  /** Median over reps of the CPU µs per miss. */
  readonly cpuUsPerMiss: number;
  readonly minCpuUsPerMiss: number;
  readonly maxCpuUsPerMiss: number;
  readonly wallUsPerMiss: number;
  /**
   * CPU µs the fake endpoint itself spends on one answer (parsing the form, building and
   * stringifying the tokens), measured in the same process: part of every figure above.
   */
  readonly endpointCpuUsPerCall: number;
  /** Token requests per timed miss (1 expected). */
  readonly tokenRequestsPerMiss: number;
  /** Whether every timed miss returned the right user's token. */
  readonly verified: boolean;
}

export interface StormRep {
  readonly tokenRequests: number;
  readonly wallMs: number;
  /** Highest `heapUsed` sampled during the storm, bytes. */
  readonly peakHeapBytes: number;
  /** `heapUsed` after a forced GC just before the storm, bytes. */
  readonly baselineHeapBytes: number;
  /** Heap samples taken during the storm. */
  readonly samples: number;
  /** Most different tokens one user received (1 is ideal). */
  readonly distinctTokensPerUser: number;
}

export interface StormResult {
  readonly kind: "storm";
  readonly subject: SubjectId;
  readonly users: number;
  readonly callsPerUser: number;
  readonly delayMs: number;
  readonly reps: StormRep[];
  /** Medians over reps. */
  readonly tokenRequests: number;
  readonly wallMs: number;
  readonly peakHeapBytes: number;
  /** Median over reps of (peak − baseline). */
  readonly peakHeapGrowthBytes: number;
  /** Every call's token is checked to be its user's (the job fails otherwise). */
  readonly distinctTokensPerUser: number;
}

export type JobResult =
  HitResult | ConcurrencyResult | GraphResult | SuiteResult | MissResult | StormResult | ApiResult;

// ---------------------------------------------------------------------------------------------

function sum(reps: readonly RepFigures[]): { medianUs: number; p99Us: number } {
  return {
    medianUs: median(reps.map((r) => r.medianUs)),
    p99Us: median(reps.map((r) => r.p99Us)),
  };
}

/** Sequential awaited calls on random users, timed one by one. */
async function timedCalls(
  subject: Subject,
  assertions: readonly string[],
  calls: number,
): Promise<Float64Array> {
  const indexes = randomIndexes(assertions.length, calls);
  const samples = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const assertion = assertions[indexes[i]!]!;
    const start = process.hrtime.bigint();
    await subject.getToken(assertion);
    samples[i] = usSince(start);
  }
  return samples;
}

function figures(samples: Float64Array): RepFigures {
  const values = Array.from(samples);
  return { calls: values.length, medianUs: median(values), p99Us: percentile(values, 99) };
}

/** Users served by the throwaway instance before the heap baseline. */
const WARM_USERS = 200;

/**
 * Serves `users` other users (misses, then hits) with a throwaway instance of the approach, so
 * that its modules are loaded and its code compiled before the heap baseline: what is left to
 * count is what the cache holds per user, not code.
 */
async function warmThrowaway(
  id: SubjectId,
  users: number,
  log: (message: string) => void,
): Promise<void> {
  const entra = new FakeEntra();
  const throwaway = subjectSpec(id).create({ entra, users });
  const assertions = Array.from({ length: users }, (_, i) => makeAssertion(WARM_USER_BASE + i));
  await fillByCalls(throwaway, assertions, log);
  for (let round = 0; round < 3; round++) {
    for (const assertion of assertions) await throwaway.getToken(assertion);
  }
}

/** User numbers of the throwaway instance (never among the measured users). */
const WARM_USER_BASE = 50_000_000;

/** Cache-hit latency at a cache size, and heap per cached user. */
export async function runHit(job: HitJob, log: (message: string) => void): Promise<HitResult> {
  const spec = subjectSpec(job.subject);
  const { budget } = job;
  // Approaches without a cache rotate over a pool of users, with nothing to fill.
  const assertions = makeAssertions(job.users);
  if (spec.caches) await warmThrowaway(job.subject, Math.min(WARM_USERS, job.users), log);
  const entra = new FakeEntra();
  const subject = spec.create({ entra, users: job.users });

  const heapBaseline = heapAfterGc();
  const fillStart = process.hrtime.bigint();
  if (spec.caches) {
    await (subject.fill === undefined
      ? fillByCalls(subject, assertions, log)
      : subject.fill(assertions, log));
  }
  const fillMs = usSince(fillStart) / 1000;
  const fillTokenRequests = entra.counters.tokenRequests;
  const heapFilled = heapAfterGc();
  const heapBytesPerUser = spec.caches ? (heapFilled - heapBaseline) / job.users : null;

  // Warm up, and estimate the cost of a call to size the repetitions.
  let warmupCalls = 0;
  const warmStart = process.hrtime.bigint();
  while (
    warmupCalls < 3 ||
    (usSince(warmStart) < budget.warmupMs * 1000 && warmupCalls < budget.maxCalls * 2)
  ) {
    await subject.getToken(assertions[warmupCalls % assertions.length]!);
    warmupCalls++;
  }
  const perCallUs = usSince(warmStart) / warmupCalls;
  const calls = Math.round(
    Math.min(budget.maxCalls, Math.max(budget.minCalls, (budget.repMs * 1000) / perCallUs)),
  );

  const before = entra.counters.tokenRequests;
  const reps: RepFigures[] = [];
  for (let r = 0; r < budget.reps; r++) {
    forceGc();
    reps.push(figures(await timedCalls(subject, assertions, calls)));
  }
  const timedRequests = entra.counters.tokenRequests - before;

  let verified = true;
  for (const index of randomIndexes(assertions.length, 5)) {
    const token = await subject.getToken(assertions[index]!);
    if (claimOf(token, "oid") !== userOid(index)) verified = false;
  }
  const medians = reps.map((r) => r.medianUs);
  return {
    kind: "hit",
    subject: job.subject,
    users: job.users,
    fillMs,
    fillTokenRequests,
    heapBaseline,
    heapFilled,
    heapBytesPerUser,
    warmupCalls,
    reps,
    ...sum(reps),
    minRepMedianUs: Math.min(...medians),
    maxRepMedianUs: Math.max(...medians),
    tokenRequestsPerCall: timedRequests / (calls * budget.reps),
    getRequests: entra.counters.getRequests,
    verified,
  };
}

// ---------------------------------------------------------------------------------------------

async function burst(
  job: ConcurrencyJob,
  users: number,
): Promise<{ tokenRequests: number; wallMs: number; distinctTokensPerUser: number }> {
  const assertions = makeAssertions(users);
  const entra = new FakeEntra({ delayMs: job.delayMs });
  const subject = subjectSpec(job.subject).create({ entra, users });
  const start = process.hrtime.bigint();
  const tokens = await Promise.all(
    Array.from({ length: job.calls }, (_, i) => subject.getToken(assertions[i % users]!)),
  );
  const wallMs = usSince(start) / 1000;
  let distinctTokensPerUser = 0;
  for (let u = 0; u < users; u++) {
    const mine = new Set(tokens.filter((_, i) => i % users === u));
    distinctTokensPerUser = Math.max(distinctTokensPerUser, mine.size);
  }
  return { tokenRequests: entra.counters.tokenRequests, wallMs, distinctTokensPerUser };
}

function summarize(perRep: ConcurrencyFigures["perRep"]): ConcurrencyFigures {
  return {
    tokenRequests: median(perRep.map((r) => r.tokenRequests)),
    wallMs: median(perRep.map((r) => r.wallMs)),
    distinctTokensPerUser: median(perRep.map((r) => r.distinctTokensPerUser)),
    perRep,
  };
}

/** K concurrent calls on an empty cache, the endpoint answering after a delay. */
export async function runConcurrency(job: ConcurrencyJob): Promise<ConcurrencyResult> {
  await burst({ ...job, delayMs: 0 }, 1); // load and JIT the code paths once
  const one: ConcurrencyFigures["perRep"] = [];
  const ten: ConcurrencyFigures["perRep"] = [];
  for (let r = 0; r < job.reps; r++) {
    one.push(await burst(job, 1));
    ten.push(await burst(job, 10));
  }
  return {
    kind: "concurrency",
    subject: job.subject,
    calls: job.calls,
    delayMs: job.delayMs,
    oneUser: summarize(one),
    tenUsers: summarize(ten),
  };
}

// ---------------------------------------------------------------------------------------------

/** The providers behind the Graph client in the Graph job. */
export type GraphVariant =
  | "floor"
  | "floor in runWithUserAssertion"
  | "lower bound"
  | "graph-obo-auth, getUserAssertion"
  | "graph-obo-auth, runWithUserAssertion";

const ME_BODY = JSON.stringify({
  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
  businessPhones: [],
  displayName: "Bench User",
  givenName: "Bench",
  jobTitle: null,
  mail: "user@contoso.example",
  mobilePhone: null,
  officeLocation: null,
  preferredLanguage: "en-US",
  surname: "User",
  userPrincipalName: "user@contoso.example",
  id: "00000000-0000-4000-8000-000000000000",
});

/** Answers every `fetch` in-process with Graph's `/me`, and checks a bearer token came along. */
function installFakeGraphFetch(): { restore: () => void; unauthenticated: () => number } {
  const original = globalThis.fetch;
  let missing = 0;
  globalThis.fetch = (_input: unknown, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    if (!(headers.get("authorization") ?? "").startsWith("Bearer ey")) missing++;
    return Promise.resolve(
      new Response(ME_BODY, {
        status: 200,
        headers: { "content-type": "application/json; odata.metadata=minimal" },
      }),
    );
  };
  return {
    restore: () => {
      globalThis.fetch = original;
    },
    unauthenticated: () => missing,
  };
}

/**
 * A whole Graph `/me` call through `Client.initWithMiddleware` (a client per incoming request),
 * with our provider and with a provider returning a constant token, interleaved in one process.
 */
export async function runGraph(
  job: GraphJob,
  log: (message: string) => void,
): Promise<GraphResult> {
  const fake = installFakeGraphFetch();
  try {
    const assertions = makeAssertions(job.users);
    const entra = new FakeEntra();
    let current = assertions[0]!;
    const tokenCache = new MemoryTokenCache({ maxEntries: Math.max(10_000, job.users) });
    const viaContext = createOurProvider(entra, { users: job.users, tokenCache });
    const viaAccessor = createOurProvider(entra, {
      users: job.users,
      tokenCache,
      getUserAssertion: () => current,
    });
    const reference = new ReferenceCache(entra);
    const constantToken = (await entra.rawObo(makeAssertion(999_999), GRAPH_SCOPE)).accessToken;
    const floorProvider: AuthenticationProvider = {
      getAccessToken: () => Promise.resolve(constantToken),
    };
    const referenceProvider: AuthenticationProvider = {
      getAccessToken: () => reference.getToken(current),
    };
    const oursFill: Subject = {
      getToken: (assertion) => viaContext.getAccessToken({ userAssertion: assertion }),
    };
    await fillByCalls(oursFill, assertions, log);
    await fillByCalls(reference, assertions, log);

    const me = (provider: AuthenticationProvider): Promise<unknown> =>
      Client.initWithMiddleware({ authProvider: provider }).api("/me").get() as Promise<unknown>;
    const call: Record<GraphVariant, (assertion: string) => Promise<unknown>> = {
      floor: () => me(floorProvider),
      "floor in runWithUserAssertion": (assertion) =>
        runWithUserAssertion(assertion, () => me(floorProvider)),
      "lower bound": (assertion) => {
        current = assertion;
        return me(referenceProvider);
      },
      "graph-obo-auth, getUserAssertion": (assertion) => {
        current = assertion;
        return me(viaAccessor);
      },
      "graph-obo-auth, runWithUserAssertion": (assertion) =>
        runWithUserAssertion(assertion, () => me(viaContext)),
    };
    const variants = Object.keys(call) as GraphVariant[];

    // One rep: `calls` rounds, each calling every variant once for the same random user, in an
    // order rotated per round, so machine noise and GC fall on all variants alike.
    const rep = async (calls: number): Promise<Map<GraphVariant, Float64Array>> => {
      const samples = new Map(variants.map((v) => [v, new Float64Array(calls)]));
      const runs = variants.map((v) => call[v]);
      const into = variants.map((v) => samples.get(v)!);
      const indexes = randomIndexes(assertions.length, calls);
      for (let i = 0; i < calls; i++) {
        const assertion = assertions[indexes[i]!]!;
        for (let k = 0; k < runs.length; k++) {
          const v = (i + k) % runs.length;
          const start = process.hrtime.bigint();
          await runs[v]!(assertion);
          into[v]![i] = usSince(start);
        }
      }
      return samples;
    };

    await rep(job.warmupCalls);
    const before = entra.counters.tokenRequests;
    const perVariant = new Map<GraphVariant, RepFigures[]>(variants.map((v) => [v, []]));
    for (let r = 0; r < job.reps; r++) {
      forceGc();
      for (const [variant, samples] of await rep(job.callsPerBlock)) {
        perVariant.get(variant)!.push(figures(samples));
      }
    }
    const timedRequests = entra.counters.tokenRequests - before;
    if (fake.unauthenticated() > 0) throw new Error("a Graph request went out without a token");
    const floorReps = perVariant.get("floor")!;
    return {
      kind: "graph",
      users: job.users,
      tokenRequestsPerCall: timedRequests / (job.reps * job.callsPerBlock * variants.length),
      variants: variants.map((variant) => {
        const reps = perVariant.get(variant)!;
        return {
          variant,
          ...sum(reps),
          overFloorUs: median(reps.map((rep, i) => rep.medianUs - floorReps[i]!.medianUs)),
          reps,
        };
      }),
    };
  } finally {
    fake.restore();
  }
}

// ---------------------------------------------------------------------------------------------

/** Whether a module export looks like a `BenchSuite`. */
function isSuite(value: unknown): value is { name: string; run: (o: unknown) => Promise<unknown> } {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { name?: unknown; run?: unknown };
  return typeof candidate.name === "string" && typeof candidate.run === "function";
}

/** Runs every `BenchSuite` a module in `bench/suites/` exports. */
export async function runSuite(
  job: SuiteJob,
  log: (message: string) => void,
): Promise<SuiteResult> {
  const module = (await import(job.file)) as Record<string, unknown>;
  const suites = [...new Set(Object.values(module).filter(isSuite))];
  const out: SuiteResult["suites"] = [];
  for (const suite of suites) {
    log(`suite ${suite.name}`);
    try {
      const rows = await suite.run({ quick: job.quick, full: job.full, log });
      out.push({ name: suite.name, rows: Array.isArray(rows) ? (rows as unknown[]) : [] });
    } catch (error) {
      out.push({
        name: suite.name,
        rows: [],
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
  return { kind: "suite", file: job.file, suites: out };
}
