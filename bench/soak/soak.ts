/** `npm run soak`: a longer soak and fault run against the emulator; prints its figures. */
import { runSoak } from "./run-soak.js";

const full = process.argv.includes("--long");
const report = await runSoak({
  users: full ? 500 : 200,
  calls: full ? 20_000 : 5_000,
  concurrency: 50,
  faultEvery: 25,
  callDeadlineMs: 30_000,
});
process.stdout.write("| figure | value |\n| --- | --- |\n");
for (const [name, value] of Object.entries(report)) {
  process.stdout.write(
    `| ${name} | ${typeof value === "object" ? JSON.stringify(value) : String(value)} |\n`,
  );
}
const ok =
  report.crossedUsers === 0 &&
  report.hung === 0 &&
  report.untypedFailures === 0 &&
  report.unhandledRejections === 0 &&
  report.secretsInOutput === 0 &&
  report.sessionsLost === 0 &&
  Object.values(report.unrelatedFailures).every((failed) => failed === 0);
process.stdout.write(ok ? "\nsoak passed\n" : "\nsoak FAILED\n");
process.exitCode = ok ? 0 : 1;
