/** The `api` section's targets and Markdown, and the Graph section's ratio target. */
import type { ApiMode } from "./api-server.js";
import type { ApiResult } from "./jobs-api.js";
import type { GraphResult, GraphVariant } from "./jobs.js";
import { num, ratio, table, type TargetResult } from "./report.js";

/** Authentication's share of the API's CPU per request must stay below this. */
const AUTH_SHARE_TARGET = 0.15;
/** A whole Graph `/me` through the v3 client, ours ÷ a constant-token provider, at 10,000 users. */
const GRAPH_RATIO_TARGET = 1.1;
const GRAPH_RATIO_USERS = 10_000;

const LABELS: Readonly<Record<ApiMode, string>> = {
  obo: "sample API: validation + On-Behalf-Of provider (as shipped)",
  memo: "the same with `rememberVerifiedTokens`",
  constant: "validation + a constant Graph token",
  context: "no validation, a constant Graph token, each request in `runWithUserAssertion`",
  bare: "no validation, a constant Graph token",
};

function percent(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)} %` : "–";
}

/** The targets of the `api` section and the Graph ratio. Reported, never asserted. */
export function apiTargets(
  api: readonly ApiResult[],
  graph: readonly GraphResult[],
): TargetResult[] {
  const out: TargetResult[] = [];
  const run = api[0];
  for (const mode of ["obo", "memo"] as const) {
    const share =
      run === undefined
        ? Number.NaN
        : mode === "obo"
          ? run.shares.authentication
          : run.shares.authenticationWithMemo;
    const details =
      run === undefined
        ? ""
        : mode === "obo"
          ? ` (the provider ${percent(run.shares.provider)}, validation ${percent(run.shares.validation)} of which the request context ${percent(run.shares.requestContext)})`
          : ` (the memo saves ${percent(run.shares.memoSaving)} of the API's CPU)`;
    out.push({
      id: `api-auth-share-${mode}`,
      target: `authentication (validation + On-Behalf-Of) < ${percent(AUTH_SHARE_TARGET)} of the API's CPU per request, ${mode === "obo" ? "as shipped" : "with rememberVerifiedTokens"}${run === undefined ? "" : `, ${run.users.toLocaleString("en-US")} users`}`,
      measured: run === undefined ? "–" : `${percent(share)}${details}`,
      pass: run === undefined ? null : share < AUTH_SHARE_TARGET,
    });
  }

  const parts: string[] = [];
  let pass: boolean | null = null;
  const ours: GraphVariant = "graph-obo-auth, runWithUserAssertion";
  for (const g of graph) {
    const floor = g.variants.find((v) => v.variant === "floor");
    const v = g.variants.find((x) => x.variant === ours);
    if (floor === undefined || v === undefined) continue;
    const r = v.medianUs / floor.medianUs;
    parts.push(
      `${g.users.toLocaleString("en-US")}: ${num(v.medianUs)} ÷ ${num(floor.medianUs)} µs = ${ratio(r)}`,
    );
    if (g.users === GRAPH_RATIO_USERS) pass = r <= GRAPH_RATIO_TARGET;
  }
  out.push({
    id: "graph-ratio",
    target: `whole Graph /me through the v3 client, ours ÷ a provider returning a constant token: ≤ ${ratio(GRAPH_RATIO_TARGET)} at ${GRAPH_RATIO_USERS.toLocaleString("en-US")} users`,
    measured:
      parts.length === 0
        ? "–"
        : `${parts.join(", ")}${pass === null ? " (not at 10,000 users: not in --quick)" : ""}`,
    pass,
  });
  return out;
}

/** The `api` section's table. */
export function renderApi(api: readonly ApiResult[], out: string[]): void {
  for (const run of api) {
    const reps = run.modes[0]?.reps.length ?? 0;
    out.push("");
    out.push(
      `### The sample web API under load: autocannon, ${run.users.toLocaleString("en-US")} users with a token each, ${String(run.connections)} connections, warm`,
    );
    out.push("");
    const obo = run.modes.find((m) => m.mode === "obo");
    out.push(
      table(
        [
          "configuration",
          "requests/s",
          "p50 ms",
          "p99 ms",
          "API CPU µs per request",
          "÷ as shipped",
        ],
        run.modes.map((m) => [
          LABELS[m.mode],
          num(m.requestsPerSecond),
          num(m.p50Ms),
          num(m.p99Ms),
          num(m.cpuUsPerRequest),
          obo === undefined ? "–" : ratio(m.cpuUsPerRequest / obo.cpuUsPerRequest),
        ]),
      ) +
        `\n\nShares of the as-shipped API's CPU per request: authentication ${percent(run.shares.authentication)} ` +
        `(the On-Behalf-Of provider ${percent(run.shares.provider)}, token validation ${percent(run.shares.validation)}, ` +
        `of which the request context, an \`AsyncLocalStorage\` that \`requireAccessToken\` runs the rest of the request in, ${percent(run.shares.requestContext)}); ` +
        `\`rememberVerifiedTokens\` saves ${percent(run.shares.memoSaving)}. ` +
        `Each configuration is the sample API (\`samples/express-api\`) in a child process of its own; its CPU (\`process.cpuUsage()\`, ` +
        `user + system, all threads) is read before and after each ${String(run.seconds)} s load run and divided by the requests answered, ` +
        `so the emulator (Entra and Graph, HTTPS) and autocannon, which run in another process, are not counted. ` +
        `${String(reps)} rounds, the configurations alternating in an order rotated per round; medians over rounds, shares paired per round. ` +
        `Every request carries a random user's own token; every user called once before (${run.tokenRequestsWarmup.toLocaleString("en-US")} token requests in the warm-up, ` +
        `${String(run.tokenRequestsTimed)} during the timed runs). Latencies include the emulator's time on the same machine: compare them within the run.`,
    );
  }
}
