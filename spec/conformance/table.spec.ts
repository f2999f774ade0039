import assert from "node:assert/strict";
import { useEmulator } from "../emulator/support/emulator.js";
import { CONFORMANCE_CHECKS, conformanceTable, conforms } from "./checks.js";
import { emulatorTarget, liveTarget } from "./targets.js";

// The portable checks `npm run conformance -- --live` sends to a real tenant, run here against
// the emulator: each must answer what packages/emulator/CONFORMANCE.md says Entra answers.
describe("Entra conformance: the portable table, against the emulator", () => {
  const emulator = useEmulator();

  for (const check of CONFORMANCE_CHECKS) {
    it(`${check.id}: ${check.rule} → ${check.expected}`, async () => {
      const got = await check.run(emulatorTarget(emulator()));
      assert.ok(conforms(check, got), `expected ${check.expected}, got ${got}`);
    });
  }

  it("prints the table with what was answered, marking differences", () => {
    const [first, second] = CONFORMANCE_CHECKS;
    assert.ok(first !== undefined && second !== undefined);
    const table = conformanceTable([
      { check: first, got: first.expected },
      { check: second, got: "AADSTS1" },
    ]);
    assert.match(table, new RegExp(`\\| ${first.id} \\|.*\\| ok \\|`));
    assert.match(table, new RegExp(`\\| ${second.id} \\|.*\\| AADSTS1 \\| DIFFERS \\|`));
  });

  it("names the missing variables of a live run instead of guessing", () => {
    const missing = liveTarget({ CONFORMANCE_TENANT_ID: "t" });
    assert.ok(Array.isArray(missing));
    assert.ok(missing.includes("CONFORMANCE_BLUEPRINT_CLIENT_ID"));
    assert.ok(!missing.includes("CONFORMANCE_TENANT_ID"));
  });
});
