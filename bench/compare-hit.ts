/**
 * Our cache hit against another version of graph-obo-auth, in one process, interleaved: how much a
 * change moved the hit path. Not part of `npm run bench`; run it with another checkout:
 *
 * ```
 * git worktree add ../before v0.1.0 && (cd ../before && npm ci)
 * npx tsx bench/compare-hit.ts ../before/lib/index.ts [users ...]     # default 1 1000 10000
 * ```
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as current from "../lib/index.js";
import { API_CLIENT_ID, TENANT, makeAssertions } from "./assertions.js";
import { CLIENT_SECRET, FakeEntra } from "./fake-entra.js";
import { median } from "./stats.js";

type Library = Pick<typeof current, "OnBehalfOfAuthenticationProvider" | "MemoryTokenCache">;

const [otherPath, ...sizeArgs] = process.argv.slice(2);
if (otherPath === undefined) {
  process.stderr.write(
    "Usage: npx tsx bench/compare-hit.ts <other checkout>/lib/index.ts [users ...]\n",
  );
  process.exit(2);
}
const other = (await import(pathToFileURL(path.resolve(otherPath)).href)) as Library;
const sizes = sizeArgs.length > 0 ? sizeArgs.map(Number) : [1, 1_000, 10_000];

function provider(library: Library, users: number): current.OnBehalfOfAuthenticationProvider {
  return new library.OnBehalfOfAuthenticationProvider({
    clientId: API_CLIENT_ID,
    tenantId: TENANT,
    clientSecret: CLIENT_SECRET,
    tokenCache: new library.MemoryTokenCache({ maxEntries: Math.max(10_000, users) }),
    msalSystemOptions: { networkClient: new FakeEntra().msalNetworkClient() },
  });
}

process.stdout.write(
  "| users cached | this checkout, µs/hit | other, µs/hit | difference, µs |\n| ---: | ---: | ---: | ---: |\n",
);
for (const users of sizes) {
  const assertions = makeAssertions(users);
  const subjects = { current: provider(current, users), other: provider(other, users) };
  for (const subject of Object.values(subjects)) {
    for (const userAssertion of assertions) await subject.getAccessToken({ userAssertion });
  }
  const rounds: Record<keyof typeof subjects, number[]> = { current: [], other: [] };
  const calls = 20_000;
  for (let round = 0; round < 30; round++) {
    const order: (keyof typeof subjects)[] =
      round % 2 === 0 ? ["current", "other"] : ["other", "current"];
    for (const name of order) {
      const subject = subjects[name];
      const started = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) {
        await subject.getAccessToken({ userAssertion: assertions[(i * 7919) % users] ?? "" });
      }
      rounds[name].push(Number(process.hrtime.bigint() - started) / 1000 / calls);
    }
  }
  const mine = median(rounds.current);
  const theirs = median(rounds.other);
  process.stdout.write(
    `| ${users.toLocaleString("en-US")} | ${mine.toFixed(2)} | ${theirs.toFixed(2)} | ${(mine - theirs).toFixed(2)} |\n`,
  );
}
