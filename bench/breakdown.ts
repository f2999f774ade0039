/**
 * Where a cache hit of our provider spends its time: the lower bound, then the steps our hit
 * path adds one by one, then the provider itself, all in one process and interleaved, at each
 * size. Not part of `npm run bench`; run it when the hit ratio to the lower bound moves:
 *
 * ```
 * npx tsx bench/breakdown.ts [users ...]     # default 1 10000 100000
 * ```
 */
import { hash, randomBytes } from "node:crypto";
import { MemoryTokenCache, type CachedToken } from "../lib/index.js";
import { makeAssertions } from "./assertions.js";
import { FakeEntra, GRAPH_SCOPE } from "./fake-entra.js";
import { median, randomIndexes, usSince } from "./stats.js";
import { createOurProvider, fillByCalls } from "./subjects.js";

type Step = (assertion: string) => Promise<string>;

const PREFIX =
  "obo|login.microsoftonline.com|7f3c2a10-5b4e-4d6f-9a8b-1c2d3e4f5a6b|0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d|";
const SCOPES_KEY = GRAPH_SCOPE;

function entry(): CachedToken {
  const now = Date.now();
  return {
    accessToken: randomBytes(1_200).toString("base64url"),
    expiresAt: now + 3_599_000,
    refreshAt: now + 3_299_000,
    assertionExpiresAt: now + 4 * 3_600_000,
  };
}

async function measure(users: number): Promise<void> {
  const assertions = makeAssertions(users);
  const digests = assertions.map((a) => hash("sha256", a, "base64url"));
  const shortMap = new Map<string, CachedToken>();
  const longMap = new Map<string, CachedToken>();
  const lru = new MemoryTokenCache({ maxEntries: Math.max(10_000, users) });
  for (let i = 0; i < users; i++) {
    const e = entry();
    shortMap.set(`${digests[i]!}|${SCOPES_KEY}`, e);
    longMap.set(`${PREFIX}${digests[i]!}|${SCOPES_KEY}`, e);
    lru.set(`${PREFIX}${digests[i]!}|${SCOPES_KEY}`, e);
  }
  const entra = new FakeEntra();
  const provider = createOurProvider(entra, { users });
  await fillByCalls(
    { getToken: (a) => provider.getAccessToken({ userAssertion: a }) },
    assertions,
    () => undefined,
  );

  const serve = (e: CachedToken | undefined): string => {
    const now = Date.now();
    if (e === undefined || now >= e.expiresAt - 120_000) throw new Error("miss");
    return e.accessToken;
  };
  const asyncLayers = async (a: string): Promise<string> => {
    const assertion = await (async (v: string) => Promise.resolve(v.trim()))(a);
    const key = `${PREFIX}${hash("sha256", assertion, "base64url")}|${SCOPES_KEY}`;
    return (async (k: string) => Promise.resolve(serve(lru.get(k))))(key);
  };
  const steps: [string, Step][] = [
    [
      "lower bound: sha256 + Map.get (key: digest|scopes, 80 chars)",
      (a) =>
        Promise.resolve(serve(shortMap.get(`${hash("sha256", a, "base64url")}|${SCOPES_KEY}`))),
    ],
    [
      "+ our key (obo|host|tenant|client|digest|scopes, 192 chars)",
      (a) =>
        Promise.resolve(
          serve(longMap.get(`${PREFIX}${hash("sha256", a, "base64url")}|${SCOPES_KEY}`)),
        ),
    ],
    [
      "+ LRU move on hit (MemoryTokenCache.get: delete + set, 2nd Date.now)",
      (a) =>
        Promise.resolve(serve(lru.get(`${PREFIX}${hash("sha256", a, "base64url")}|${SCOPES_KEY}`))),
    ],
    ["+ async layers (accessor, engine): 3 async functions", asyncLayers],
    [
      "graph-obo-auth getAccessToken({ userAssertion })",
      (a) => provider.getAccessToken({ userAssertion: a }),
    ],
  ];

  const reps = 7;
  const calls = 20_000;
  const results = steps.map(() => [] as number[]);
  for (let r = -1; r < reps; r++) {
    for (let k = 0; k < steps.length; k++) {
      const s = (r + 1 + k) % steps.length;
      const run = steps[s]![1];
      const indexes = randomIndexes(users, calls);
      const samples = new Float64Array(calls);
      for (let i = 0; i < calls; i++) {
        const a = assertions[indexes[i]!]!;
        const start = process.hrtime.bigint();
        await run(a);
        samples[i] = usSince(start);
      }
      if (r >= 0) results[s]!.push(median(Array.from(samples)));
    }
  }
  process.stdout.write(
    `\n| ${users.toLocaleString("en-US")} users | µs/call (median of ${String(reps)} rep medians) | step |\n| --- | ---: | ---: |\n`,
  );
  let previous = Number.NaN;
  for (const [i, [name]] of steps.entries()) {
    const m = median(results[i]!);
    const delta = Number.isNaN(previous)
      ? ""
      : `${m - previous >= 0 ? "+" : "−"}${Math.abs(m - previous).toFixed(2)}`;
    process.stdout.write(`| ${name} | ${m.toFixed(2)} | ${delta} |\n`);
    if (i < steps.length - 1) previous = m;
  }
}

const sizes = process.argv.slice(2).map(Number);
for (const users of sizes.length > 0 ? sizes : [1, 10_000, 100_000]) await measure(users);
