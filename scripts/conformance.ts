/**
 * `npm run conformance`: sends the portable conformance checks (spec/conformance/checks.ts)
 * through msal-node and prints the table with what was answered. Offline against the emulator;
 * with `-- --live`, against the real tenant named by the CONFORMANCE_* variables (see
 * packages/emulator/CONFORMANCE.md, "Running the checks against a real tenant"). Exits 1 when an
 * answer differs from the table.
 */
import { startEmulator } from "graph-obo-auth-emulator";
import {
  CONFORMANCE_CHECKS,
  conformanceTable,
  conforms,
  type ConformanceTarget,
} from "../spec/conformance/checks.js";
import { LIVE_VARIABLES, emulatorTarget, liveTarget } from "../spec/conformance/targets.js";

const live = process.argv.includes("--live");
const emulator = live ? undefined : await startEmulator();
let target: ConformanceTarget;
if (emulator === undefined) {
  const found = liveTarget(process.env);
  if (Array.isArray(found)) {
    console.error("A live run needs these environment variables:");
    for (const name of found) {
      console.error(`  ${name}: ${LIVE_VARIABLES[name as keyof typeof LIVE_VARIABLES]}`);
    }
    process.exit(2);
  }
  target = found;
} else {
  target = emulatorTarget(emulator);
}
const rows = [];
for (const check of CONFORMANCE_CHECKS) {
  rows.push({ check, got: await check.run(target) });
}
console.log(`Conformance checks against ${target.name}:\n`);
console.log(conformanceTable(rows));
await emulator?.close();
process.exitCode = rows.every(({ check, got }) => conforms(check, got)) ? 0 : 1;
