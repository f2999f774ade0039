/**
 * The miss and cold-storm measurements, each run by `bench/child.ts` in a fresh process.
 *
 * - Miss: CPU per token request. Each rep builds a fresh instance of the approach, caches
 *   `users` users in it, forces a GC, then makes `missesPerRep` sequential awaited calls for
 *   users it has never seen, the endpoint answering at once. CPU is `process.cpuUsage()` (user +
 *   system of the whole process, so GC threads count) over the timed misses ÷ misses.
 * - Storm: `users` distinct users none of whom is cached, `callsPerUser` concurrent calls each,
 *   all started at once, the endpoint answering after `delayMs`: token requests, wall time and
 *   the highest `heapUsed` sampled while the storm runs.
 */
import {
  API_CLIENT_ID,
  claimOf,
  freshCopy,
  makeAssertion,
  makeAssertions,
  userOid,
} from "./assertions.js";
import { AUTHORITY, CLIENT_SECRET, FakeEntra, GRAPH_SCOPE } from "./fake-entra.js";
import type { MissJob, MissRep, MissResult, StormJob, StormRep, StormResult } from "./jobs.js";
import { forceGc, median, usSince } from "./stats.js";
import { fillByCalls, subjectSpec, type Subject, type SubjectId } from "./subjects.js";

/** User numbers of the warm-up instance (never among the measured users). */
const WARM_USER_BASE = 60_000_000;
/** User numbers of the timed misses (never among the cached users). */
const MISS_USER_BASE = 20_000_000;
const WARM_MISSES = 300;

function cpuUs(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}

/** Loads and compiles the approach's miss path in a throwaway instance. */
async function warmMisses(id: SubjectId): Promise<void> {
  const throwaway = subjectSpec(id).create({ entra: new FakeEntra(), users: WARM_MISSES });
  for (let i = 0; i < WARM_MISSES; i++) await throwaway.getToken(makeAssertion(WARM_USER_BASE + i));
}

/** CPU µs the fake endpoint spends on one OBO answer, on its own (no client around it). */
async function endpointCpuUs(calls: number): Promise<number> {
  const entra = new FakeEntra();
  const url = `${AUTHORITY}/oauth2/v2.0/token`;
  const bodies = Array.from({ length: calls }, (_, i) =>
    new URLSearchParams({
      client_id: API_CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      requested_token_use: "on_behalf_of",
      assertion: makeAssertion(WARM_USER_BASE + i),
      scope: GRAPH_SCOPE,
    }).toString(),
  );
  for (const body of bodies.slice(0, Math.min(100, calls))) await entra.post(url, body);
  forceGc();
  const start = process.cpuUsage();
  for (const body of bodies) await entra.post(url, body);
  return cpuUs(process.cpuUsage(start)) / calls;
}

/** CPU per miss with `users` users already cached. */
export async function runMiss(job: MissJob, log: (message: string) => void): Promise<MissResult> {
  const spec = subjectSpec(job.subject);
  await warmMisses(job.subject);
  const cached = makeAssertions(job.users);
  const reps: MissRep[] = [];
  let verified = true;
  let tokenRequests = 0;
  for (let r = 0; r < job.reps; r++) {
    const entra = new FakeEntra();
    const subject: Subject = spec.create({ entra, users: job.users + job.missesPerRep });
    if (job.users > 0) {
      await (subject.fill === undefined
        ? fillByCalls(subject, cached, log)
        : subject.fill(cached, log));
    }
    const first = MISS_USER_BASE + r * job.missesPerRep;
    const fresh = Array.from({ length: job.missesPerRep }, (_, i) => makeAssertion(first + i));
    const tokens = new Array<string>(fresh.length);
    const before = entra.counters.tokenRequests;
    forceGc();
    const wallStart = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < fresh.length; i++) tokens[i] = await subject.getToken(fresh[i]!);
    const cpu = cpuUs(process.cpuUsage(cpuStart));
    const wall = usSince(wallStart);
    tokenRequests += entra.counters.tokenRequests - before;
    for (let i = 0; i < tokens.length; i++) {
      if (claimOf(tokens[i]!, "oid") !== userOid(first + i)) verified = false;
    }
    reps.push({
      misses: fresh.length,
      cpuUsPerMiss: cpu / fresh.length,
      wallUsPerMiss: wall / fresh.length,
    });
    log(`  rep ${String(r + 1)}: ${(cpu / fresh.length).toFixed(0)} µs CPU per miss`);
  }
  const cpus = reps.map((r) => r.cpuUsPerMiss);
  return {
    kind: "miss",
    subject: job.subject,
    users: job.users,
    reps,
    cpuUsPerMiss: median(cpus),
    minCpuUsPerMiss: Math.min(...cpus),
    maxCpuUsPerMiss: Math.max(...cpus),
    wallUsPerMiss: median(reps.map((r) => r.wallUsPerMiss)),
    endpointCpuUsPerCall: await endpointCpuUs(job.missesPerRep),
    tokenRequestsPerMiss: tokenRequests / (job.reps * job.missesPerRep),
    verified,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * One storm against a fresh instance; `assertions` are the incoming tokens of users `first`,
 * `first + 1`, and so on.
 */
async function storm(
  job: StormJob,
  assertions: readonly string[],
  first: number,
): Promise<StormRep> {
  const entra = new FakeEntra({ delayMs: job.delayMs });
  const subject = subjectSpec(job.subject).create({ entra, users: assertions.length });
  const total = assertions.length * job.callsPerUser;
  // Each call carries its own copy of the header, as separate incoming requests would.
  const incoming = Array.from({ length: total }, (_, k) =>
    freshCopy(assertions[k % assertions.length]!),
  );
  forceGc();
  const baselineHeapBytes = process.memoryUsage().heapUsed;
  let peakHeapBytes = baselineHeapBytes;
  let samples = 0;
  const sample = (): void => {
    const used = process.memoryUsage().heapUsed;
    samples++;
    if (used > peakHeapBytes) peakHeapBytes = used;
  };
  const sampler = setInterval(sample, 1);
  const start = process.hrtime.bigint();
  let tokens: string[];
  try {
    // Call k is for user k mod users: every user's calls are spread over the storm.
    tokens = await Promise.all(incoming.map((assertion) => subject.getToken(assertion)));
  } finally {
    clearInterval(sampler);
  }
  const wallMs = usSince(start) / 1000;
  sample();
  let distinctTokensPerUser = 0;
  const perUser = new Map<number, Set<string>>();
  for (let k = 0; k < tokens.length; k++) {
    const u = k % assertions.length;
    if (claimOf(tokens[k]!, "oid") !== userOid(first + u))
      throw new Error("a call got another user's token");
    let mine = perUser.get(u);
    if (mine === undefined) perUser.set(u, (mine = new Set()));
    mine.add(tokens[k]!);
    distinctTokensPerUser = Math.max(distinctTokensPerUser, mine.size);
  }
  return {
    tokenRequests: entra.counters.tokenRequests,
    wallMs,
    peakHeapBytes,
    baselineHeapBytes,
    samples,
    distinctTokensPerUser,
  };
}

/** Cold storm: many distinct uncached users, several concurrent calls each, a slow endpoint. */
export async function runStorm(
  job: StormJob,
  log: (message: string) => void,
): Promise<StormResult> {
  // Load and compile the code paths once, on other users, with the endpoint answering at once.
  const warm = Array.from({ length: 50 }, (_, i) => makeAssertion(WARM_USER_BASE + i));
  await storm({ ...job, delayMs: 0, callsPerUser: 2 }, warm, WARM_USER_BASE);
  const assertions = makeAssertions(job.users);
  const reps: StormRep[] = [];
  for (let r = 0; r < job.reps; r++) {
    const rep = await storm(job, assertions, 0);
    log(
      `  rep ${String(r + 1)}: ${String(rep.tokenRequests)} token requests, ${rep.wallMs.toFixed(0)} ms`,
    );
    // The single-flight promise of the library: one token request per user, whatever the load.
    if (job.subject === "ours" && rep.tokenRequests !== job.users) {
      throw new Error(
        `ours sent ${String(rep.tokenRequests)} token requests for ${String(job.users)} users (expected exactly ${String(job.users)})`,
      );
    }
    reps.push(rep);
  }
  return {
    kind: "storm",
    subject: job.subject,
    users: job.users,
    callsPerUser: job.callsPerUser,
    delayMs: job.delayMs,
    reps,
    tokenRequests: median(reps.map((r) => r.tokenRequests)),
    wallMs: median(reps.map((r) => r.wallMs)),
    peakHeapBytes: median(reps.map((r) => r.peakHeapBytes)),
    peakHeapGrowthBytes: median(reps.map((r) => r.peakHeapBytes - r.baselineHeapBytes)),
    distinctTokensPerUser: median(reps.map((r) => r.distinctTokensPerUser)),
  };
}
