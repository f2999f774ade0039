/** What a bench run measures, for each mode. */
import type { ApiJob } from "./jobs-api.js";
import type { Budget } from "./jobs.js";
import { SUBJECTS, type SubjectId } from "./subjects.js";

export type Mode = "quick" | "default" | "full";

export interface Plan {
  readonly mode: Mode;
  /** Cached users for the hit measurements. */
  readonly sizes: readonly number[];
  readonly budget: Budget;
  /** Approaches measured (column order). */
  readonly subjects: readonly SubjectId[];
  /** Users in the pool of an approach that caches nothing (it is measured once). */
  readonly uncachedPool: number;
  readonly concurrency: { readonly reps: number; readonly calls: number; readonly delayMs: number };
  readonly graph: {
    readonly sizes: readonly number[];
    readonly reps: number;
    readonly callsPerBlock: number;
    readonly warmupCalls: number;
  };
  /** CPU per miss: users already cached, and misses timed per rep (a fresh instance per rep). */
  readonly miss: {
    readonly subjects: readonly SubjectId[];
    readonly sizes: readonly number[];
    readonly reps: number;
    readonly missesPerRep: number;
  };
  /** Cold storm: distinct uncached users × concurrent calls each, a slow endpoint. */
  readonly storm: {
    readonly users: number;
    readonly callsPerUser: number;
    readonly delayMs: number;
    readonly reps: number;
  };
  /** The sample web API under load (autocannon): users, connections, seconds per run, rounds. */
  readonly api: Omit<ApiJob, "kind">;
}

/** The plan of a mode, optionally restricted to some approaches. */
export function makePlan(mode: Mode, only?: readonly SubjectId[]): Plan {
  const subjects = SUBJECTS.map((s) => s.id).filter(
    (id) => only === undefined || only.includes(id) || id === "ours" || id === "lower",
  );
  const concurrency = { reps: mode === "quick" ? 1 : 3, calls: 100, delayMs: 50 };
  // The miss is compared with the raw POST (the lower bound's miss) and with msal-node's own call
  // alone (what msal-node doing the protocol costs); the peers' misses are not measured here (the
  // shared msal app's grow with its size, like its hits).
  const miss = {
    subjects: ["ours", "lower", "msal-call"] as const,
    sizes: [0, 1_000, 10_000],
    reps: mode === "quick" ? 3 : 5,
    missesPerRep: mode === "quick" ? 200 : 500,
  };
  // The same storm in every mode: "exactly 1,000 token requests" is the figure that matters.
  const storm = { users: 1_000, callsPerUser: 5, delayMs: 50, reps: mode === "quick" ? 1 : 3 };
  // 10,000 users is the size; --quick keeps the method with fewer users and rounds. Many
  // short rounds rather than a few long ones: on a shared machine the load swings within a minute,
  // and the median of paired rounds rides it out better.
  const api =
    mode === "quick"
      ? { users: 1_000, connections: 16, seconds: 3, reps: 5, warmupSeconds: 2 }
      : { users: 10_000, connections: 16, seconds: 5, reps: 10, warmupSeconds: 5 };
  switch (mode) {
    case "quick":
      return {
        mode,
        sizes: [1, 1_000],
        budget: { reps: 3, repMs: 100, minCalls: 5, maxCalls: 3_000, warmupMs: 150 },
        subjects,
        uncachedPool: 1_000,
        concurrency,
        graph: { sizes: [1, 1_000], reps: 3, callsPerBlock: 1_000, warmupCalls: 1_000 },
        miss,
        storm,
        api,
      };
    case "default":
    case "full":
      return {
        mode,
        sizes: mode === "full" ? [1, 1_000, 10_000, 100_000] : [1, 1_000, 10_000],
        budget: { reps: 5, repMs: 300, minCalls: 5, maxCalls: 10_000, warmupMs: 500 },
        subjects,
        uncachedPool: 1_000,
        concurrency,
        graph: { sizes: [1, 1_000, 10_000], reps: 5, callsPerBlock: 2_000, warmupCalls: 1_000 },
        miss,
        storm,
        api,
      };
  }
}
