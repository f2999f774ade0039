/**
 * CPU profile of cache hits of one approach: fills `users`, warms up, then profiles `calls`
 * sequential hits on random users. Writes `.bench/<approach>-<users>.cpuprofile` (open it in
 * Chrome DevTools) and prints the functions with the most self time. Not part of `npm run bench`.
 *
 * ```
 * npx tsx bench/profile.ts ours 100000 [calls]
 * ```
 * The profiler's own overhead inflates every call; read shares, not µs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeAssertions } from "./assertions.js";
import { FakeEntra } from "./fake-entra.js";
import { fillByCalls, subjectSpec, type SubjectId } from "./subjects.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const id = (process.argv[2] ?? "ours") as SubjectId;
const users = Number(process.argv[3] ?? 10_000);
const calls = Number(process.argv[4] ?? 200_000);
const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

const assertions = makeAssertions(users);
const subject = subjectSpec(id).create({ entra: new FakeEntra(), users });
await (subject.fill === undefined
  ? fillByCalls(subject, assertions, log)
  : subject.fill(assertions, log));
const pick = (): string => assertions[Math.floor(Math.random() * users)]!;
for (let i = 0; i < Math.min(calls, 50_000); i++) await subject.getToken(pick());

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 100 });
await session.post("Profiler.start");
for (let i = 0; i < calls; i++) await subject.getToken(pick());
const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile };
session.disconnect();

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", ".bench");
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${id}-${String(users)}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
for (const sample of profile.samples) {
  const frame = byId.get(sample)?.callFrame;
  if (frame === undefined) continue;
  const where = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").slice(-2).join("/")}:${String(frame.lineNumber + 1)}`;
  self.set(where, (self.get(where) ?? 0) + 1);
}
const total = profile.samples.length;
process.stdout.write(
  `${id}, ${users.toLocaleString("en-US")} users, ${calls.toLocaleString("en-US")} hits: self time\n`,
);
for (const [where, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  process.stdout.write(`${((100 * n) / total).toFixed(1).padStart(5)}%  ${where}\n`);
}
process.stdout.write(`profile: ${path.relative(process.cwd(), file)}\n`);
