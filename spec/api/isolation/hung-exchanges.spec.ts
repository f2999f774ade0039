import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("hung exchanges (a user network client with a socket limit)", function () {
  this.timeout(60_000);

  it("24 hung exchanges time out alone: the network client frees their sockets for 100 bystanders", () => {
    // The child's coverage maps differently and would corrupt c8's merge: send it elsewhere.
    const coverage = mkdtempSync(join(tmpdir(), "hung-coverage-"));
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", "spec/api/isolation/fixtures/hung-exchanges.ts"],
      { encoding: "utf8", env: { ...process.env, NODE_V8_COVERAGE: coverage } },
    );
    rmSync(coverage, { recursive: true, force: true });
    assert.equal(result.status, 0, result.stderr.slice(0, 2000));
    assert.deepEqual(JSON.parse(result.stdout), { victimsTimedOut: 24, bystandersFailed: 0 });
    assert.doesNotMatch(
      result.stderr,
      /MaxListenersExceededWarning/,
      "24 delayed answers are no leak",
    );
  });
});
