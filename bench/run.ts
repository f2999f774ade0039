/**
 * `npm run bench`: graph-obo-auth's provider side by side with the peers, in one run on one
 * machine against one fake endpoint. Each (approach, size) runs in a fresh child process.
 *
 * ```
 * npm run bench                 # sizes 1, 1,000, 10,000 (several minutes on 2 cores)
 * npm run bench -- --quick      # smoke run, a few minutes
 * npm run bench -- --full       # adds 100,000 users (slow: the shared msal app takes ~2 s a hit)
 * npm run bench -- --only msal-shared,ms-partitioned --sections hit
 * npm run bench -- --quick --sections miss,storm
 * npm run bench -- --quick --sections api   # the sample web API under load (autocannon)
 * ```
 *
 * Markdown goes to stdout, progress to stderr, everything to `.bench/results.json`.
 */
import { execFileSync, fork } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type {
  ConcurrencyResult,
  GraphResult,
  HitResult,
  Job,
  JobResult,
  MissResult,
  StormResult,
  SuiteResult,
} from "./jobs.js";
import type { ApiResult } from "./jobs-api.js";
import { makePlan, type Mode } from "./plan.js";
import { evaluateTargets, renderMarkdown, type BenchResults } from "./report.js";
import { SUBJECTS, subjectSpec, type SubjectId } from "./subjects.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const CHILD = path.join(HERE, "child.ts");
const SECTIONS = ["hit", "miss", "concurrency", "storm", "graph", "api", "suites"] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `Usage: npm run bench -- [--quick | --full] [--only ID,...] [--sections ${SECTIONS.join(",")}] [--json FILE]

  --quick      smoke run (hit sizes 1 and 1,000, fewer reps), a few minutes
  --full       also 100,000 cached users (slow for the msal peers)
  --only       approaches besides ours and the lower bound: ${SUBJECTS.filter(
    (s) => s.role === "peer",
  )
    .map((s) => s.id)
    .join(", ")}
  --sections   what to run (default: all)
  --json       where to write the results (default: .bench/results.json)
`;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function parseCli(): {
  mode: Mode;
  only: SubjectId[] | undefined;
  sections: Set<Section>;
  json: string;
} {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      full: { type: "boolean", default: false },
      only: { type: "string" },
      sections: { type: "string" },
      json: { type: "string", default: path.join(ROOT, ".bench", "results.json") },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (values.quick && values.full) throw new Error("--quick and --full exclude each other.");
  const ids = new Set<string>(SUBJECTS.map((s) => s.id));
  const only = values.only?.split(",").map((s) => s.trim());
  for (const id of only ?? []) if (!ids.has(id)) throw new Error(`--only: unknown approach ${id}`);
  const sections = new Set(
    (values.sections?.split(",") ?? [...SECTIONS]).map((s) => s.trim()) as Section[],
  );
  for (const s of sections) {
    if (!SECTIONS.includes(s)) throw new Error(`--sections: unknown section ${s}`);
  }
  return {
    mode: values.quick ? "quick" : values.full ? "full" : "default",
    only: only as SubjectId[] | undefined,
    sections,
    json: path.resolve(values.json),
  };
}

/** Runs one job in a fresh `node --import tsx --expose-gc` process. */
function runChild(job: Job, heapMb: number, timeoutMs: number): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [JSON.stringify(job)], {
      cwd: ROOT,
      execArgv: ["--import", "tsx", "--expose-gc", `--max-old-space-size=${String(heapMb)}`],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let settled = false;
    const timer = setTimeout(() => {
      if (!settled) {
        settled = true;
        child.kill("SIGKILL");
        reject(new Error(`timed out after ${String(timeoutMs / 1000)} s`));
      }
    }, timeoutMs);
    child.on("message", (message: { ok: boolean; result?: JobResult; error?: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (message.ok && message.result !== undefined) resolve(message.result);
      else reject(new Error(message.error ?? "the child failed"));
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (!settled) {
        settled = true;
        reject(new Error(`the child exited (${String(code ?? signal)}) without a result`));
      }
    });
  });
}

/** The version of an installed package, read from its package.json under `dir`'s node_modules. */
function versionOf(pkg: string, dir = ROOT): string {
  for (let at = dir; ; at = path.dirname(at)) {
    try {
      const file = path.join(at, "node_modules", pkg, "package.json");
      return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    } catch {
      if (path.dirname(at) === at) return "?";
    }
  }
}

function identityMsalVersion(): string {
  return versionOf("@azure/msal-node", path.join(ROOT, "node_modules", "@azure", "identity"));
}

function gitCommit(): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT })
      .toString()
      .trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain", "--", "lib", "bench", "package.json"], {
        cwd: ROOT,
      })
        .toString()
        .trim() !== "";
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return "?";
  }
}

function suiteFiles(): string[] {
  const dir = path.join(HERE, "suites");
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !/^[_.]/.test(f))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

interface Task {
  readonly name: string;
  readonly job: Job;
  readonly heapMb: number;
}

async function main(): Promise<void> {
  const cli = parseCli();
  const plan = makePlan(cli.mode, cli.only);
  const started = Date.now();
  const loadAverageAtStart = os.loadavg();
  if (loadAverageAtStart[0]! > os.availableParallelism()) {
    log(
      `warning: load average ${loadAverageAtStart[0]!.toFixed(2)} exceeds ${String(os.availableParallelism())} cores; figures will be noisy`,
    );
  }

  const tasks: Task[] = [];
  if (cli.sections.has("hit")) {
    // By size, then approach: the approaches compared at a size run close together in time.
    for (const size of plan.sizes) {
      for (const id of plan.subjects) {
        const spec = subjectSpec(id);
        if (!spec.caches && size !== plan.sizes[0]) continue;
        const users = spec.caches ? size : plan.uncachedPool;
        tasks.push({
          name: `hit ${id}${spec.caches ? ` ${users.toLocaleString("en-US")} users` : ""}`,
          job: { kind: "hit", subject: id, users, budget: plan.budget },
          heapMb: users >= 100_000 ? 16_384 : 4_096,
        });
      }
    }
  }
  if (cli.sections.has("concurrency")) {
    for (const id of plan.subjects) {
      tasks.push({
        name: `concurrency ${id}`,
        job: { kind: "concurrency", subject: id, ...plan.concurrency },
        heapMb: 2_048,
      });
    }
  }
  if (cli.sections.has("miss")) {
    for (const users of plan.miss.sizes) {
      for (const id of plan.miss.subjects) {
        tasks.push({
          name: `miss ${id} ${users.toLocaleString("en-US")} users cached`,
          job: {
            kind: "miss",
            subject: id,
            users,
            reps: plan.miss.reps,
            missesPerRep: plan.miss.missesPerRep,
          },
          heapMb: 4_096,
        });
      }
    }
  }
  if (cli.sections.has("storm")) {
    for (const id of plan.subjects) {
      tasks.push({
        name: `storm ${id}`,
        job: { kind: "storm", subject: id, ...plan.storm },
        heapMb: 4_096,
      });
    }
  }
  if (cli.sections.has("graph")) {
    for (const size of plan.graph.sizes) {
      tasks.push({
        name: `graph /me ${size.toLocaleString("en-US")} users`,
        job: { kind: "graph", users: size, ...plan.graph },
        heapMb: 4_096,
      });
    }
  }
  if (cli.sections.has("api")) {
    tasks.push({
      name: `api: the sample web API under load, ${plan.api.users.toLocaleString("en-US")} users`,
      job: { kind: "api", ...plan.api },
      heapMb: 4_096,
    });
  }
  if (cli.sections.has("suites")) {
    for (const file of suiteFiles()) {
      tasks.push({
        name: `suite ${path.relative(ROOT, file)}`,
        job: { kind: "suite", file, quick: cli.mode === "quick", full: cli.mode === "full" },
        heapMb: 4_096,
      });
    }
  }

  const hit: HitResult[] = [];
  const concurrency: ConcurrencyResult[] = [];
  const graph: GraphResult[] = [];
  const suites: SuiteResult[] = [];
  const miss: MissResult[] = [];
  const storm: StormResult[] = [];
  const api: ApiResult[] = [];
  const failures: { job: string; error: string }[] = [];
  for (const [i, task] of tasks.entries()) {
    const t0 = Date.now();
    log(`[${String(i + 1)}/${String(tasks.length)}] ${task.name}`);
    try {
      const result = await runChild(task.job, task.heapMb, 45 * 60_000);
      switch (result.kind) {
        case "hit":
          hit.push(result);
          log(
            `    ${result.medianUs.toFixed(2)} µs median, p99 ${result.p99Us.toFixed(1)} µs` +
              (result.heapBytesPerUser === null
                ? ""
                : `, ${Math.round(result.heapBytesPerUser).toLocaleString("en-US")} B/user`),
          );
          break;
        case "concurrency":
          concurrency.push(result);
          log(`    ${String(result.oneUser.tokenRequests)} token request(s) for one user`);
          break;
        case "graph":
          graph.push(result);
          break;
        case "suite":
          suites.push({ ...result, file: path.relative(ROOT, result.file) });
          break;
        case "miss":
          miss.push(result);
          log(
            `    ${result.cpuUsPerMiss.toFixed(0)} µs CPU per miss (endpoint alone ${result.endpointCpuUsPerCall.toFixed(0)} µs)`,
          );
          break;
        case "api":
          api.push(result);
          log(
            `    authentication ${(result.shares.authentication * 100).toFixed(1)} % of the API's CPU (${(result.shares.authenticationWithMemo * 100).toFixed(1)} % with rememberVerifiedTokens)`,
          );
          break;
        case "storm":
          storm.push(result);
          log(
            `    ${String(result.tokenRequests)} token requests, ${result.wallMs.toFixed(0)} ms, peak heap +${(result.peakHeapGrowthBytes / 2 ** 20).toFixed(1)} MiB`,
          );
          break;
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ job: task.name, error: message });
      log(`    FAILED: ${message}`);
    }
    log(`    (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }

  const results: BenchResults = {
    tool: "graph-obo-auth bench",
    date: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    commit: gitCommit(),
    machine: {
      cpuModel: os.cpus()[0]?.model.trim() ?? "?",
      cores: os.availableParallelism(),
      memoryBytes: os.totalmem(),
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      loadAverageAtStart,
      loadAverageAtEnd: os.loadavg(),
    },
    versions: {
      "@azure/msal-node": versionOf("@azure/msal-node"),
      "@azure/identity": `${versionOf("@azure/identity")} (its msal-node ${identityMsalVersion()})`,
      "@microsoft/microsoft-graph-client": versionOf("@microsoft/microsoft-graph-client"),
      "lru-cache": versionOf("lru-cache"),
      express: versionOf("express"),
      autocannon: versionOf("autocannon"),
    },
    plan,
    hit,
    concurrency,
    graph,
    suites,
    miss,
    storm,
    api,
    failures,
    targets: evaluateTargets(plan, hit, concurrency, graph, miss, storm, api),
  };
  mkdirSync(path.dirname(cli.json), { recursive: true });
  writeFileSync(cli.json, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(renderMarkdown(results));
  log(`\nresults: ${path.relative(process.cwd(), cli.json)}`);
  if (failures.length > 0) process.exitCode = 1;
}

await main();
