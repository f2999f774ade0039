import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("samples/agent-identity (npm run sample:agent)", function () {
  this.timeout(60_000);

  it("looks up /me and /me/manager as the agent identity, offline", () => {
    // The child's coverage maps differently and would corrupt c8's merge: send it elsewhere.
    const coverage = mkdtempSync(join(tmpdir(), "agent-sample-coverage-"));
    const result = spawnSync("npm", ["run", "--silent", "sample:agent"], {
      encoding: "utf8",
      env: { ...process.env, NODE_V8_COVERAGE: coverage, BLUEPRINT_CLIENT_ID: "" },
    });
    rmSync(coverage, { recursive: true, force: true });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /\/me {9}→ Alice Adams/);
    assert.match(result.stdout, /\/me\/manager → Carol Clark/);
    assert.match(result.stdout, /token requests: 2/);
  });
});
