/**
 * CPU profile of cache hits or misses of one approach: fills `users`, warms up, then profiles
 * `calls` sequential hits on random cached users, or (`miss`) `calls` sequential misses on users
 * never seen, the fake endpoint answering at once. Writes
 * `.bench/<approach>-<users>[-miss].cpuprofile` (open it in Chrome DevTools) and prints the
 * functions with the most self time, then self time by origin (this library, each package,
 * Node's internals, the bench's fake endpoint, GC). Not part of `npm run bench`.
 *
 * ```
 * npx tsx bench/profile.ts ours 100000 [calls]
 * npx tsx bench/profile.ts ours 1000 2000 miss
 * ```
 * The profiler's own overhead inflates every call; read shares, not µs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeAssertion, makeAssertions } from "./assertions.js";
import { FakeEntra } from "./fake-entra.js";
import { fillByCalls, subjectSpec, type SubjectId } from "./subjects.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const id = (process.argv[2] ?? "ours") as SubjectId;
const users = Number(process.argv[3] ?? 10_000);
const miss = process.argv[5] === "miss";
const calls = Number(process.argv[4] ?? (miss ? 2_000 : 200_000));
const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

const assertions = makeAssertions(users);
const subject = subjectSpec(id).create({ entra: new FakeEntra(), users });
await (subject.fill === undefined
  ? fillByCalls(subject, assertions, log)
  : subject.fill(assertions, log));
/** Users never seen, for misses: numbers far above the cached ones. */
let nextNewUser = 30_000_000;
const pick = miss
  ? (): string => makeAssertion(nextNewUser++)
  : (): string => assertions[Math.floor(Math.random() * users)]!;
for (let i = 0; i < Math.min(calls, miss ? 500 : 50_000); i++) await subject.getToken(pick());
// Misses: the incoming tokens are made before the profile, as requests would bring them.
const incoming = miss ? Array.from({ length: calls }, pick) : [];

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 100 });
await session.post("Profiler.start");
if (miss) for (const assertion of incoming) await subject.getToken(assertion);
else for (let i = 0; i < calls; i++) await subject.getToken(pick());
const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile };
session.disconnect();

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", ".bench");
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${id}-${String(users)}${miss ? "-miss" : ""}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
/** Where a frame's code comes from: this library, a package, Node, the bench, or V8 itself. */
function origin(url: string, functionName: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) {
    // @azure/identity bundles its own msal-node: name the nested package.
    const nested = [...url.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].at(-1);
    return nested?.[1] ?? pkg[1]!;
  }
  if (url.includes("/lib/")) return "graph-obo-auth (lib/)";
  if (url.includes("/bench/")) return "bench (fake endpoint, assertions, loop)";
  if (url.startsWith("node:")) return "Node internals";
  return url === "" ? functionName || "(native)" : url;
}

const parentOf = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node.id);
/**
 * The origin a sample is charged to: its frame's, or for native code (builtins, `JSON.parse`,
 * crypto bindings) and Node's own JavaScript (`URLSearchParams`, `AbortSignal`, `randomBytes`)
 * that of the nearest caller in this library, a package or the bench.
 */
function chargedOrigin(nodeId: number): string {
  const frame = byId.get(nodeId)?.callFrame;
  if (frame === undefined) return "?";
  if (frame.functionName.startsWith("(")) return frame.functionName; // (garbage collector), (program)
  for (let at: number | undefined = nodeId; at !== undefined; at = parentOf.get(at)) {
    const url = byId.get(at)?.callFrame.url ?? "";
    if (url !== "" && !url.startsWith("node:")) return origin(url, "");
  }
  return "Node internals (event loop, promise hooks)";
}

const self = new Map<string, number>();
const byOrigin = new Map<string, number>();
for (const sample of profile.samples) {
  const frame = byId.get(sample)?.callFrame;
  if (frame === undefined) continue;
  const where = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").slice(-2).join("/")}:${String(frame.lineNumber + 1)}`;
  self.set(where, (self.get(where) ?? 0) + 1);
  const from = chargedOrigin(sample);
  byOrigin.set(from, (byOrigin.get(from) ?? 0) + 1);
}
const total = profile.samples.length;
const share = (n: number): string => `${((100 * n) / total).toFixed(1).padStart(5)}%`;
process.stdout.write(
  `${id}, ${users.toLocaleString("en-US")} users, ${calls.toLocaleString("en-US")} ${miss ? "misses" : "hits"}: self time\n`,
);
for (const [where, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  process.stdout.write(`${share(n)}  ${where}\n`);
}
process.stdout.write(
  "\nself time by origin (native code and Node internals charged to their caller)\n",
);
for (const [from, n] of [...byOrigin].sort((a, b) => b[1] - a[1])) {
  process.stdout.write(`${share(n)}  ${from}\n`);
}
process.stdout.write(`profile: ${path.relative(process.cwd(), file)}\n`);
