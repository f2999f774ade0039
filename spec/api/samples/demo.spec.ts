import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("npm run demo (the README's first command)", function () {
  this.timeout(120_000);

  it("tells the whole story offline, prints no token and exits 0", () => {
    // The child's coverage maps differently and would corrupt c8's merge: send it elsewhere.
    const coverage = mkdtempSync(join(tmpdir(), "demo-coverage-"));
    const result = spawnSync("npm", ["run", "--silent", "demo"], {
      encoding: "utf8",
      env: { ...process.env, NODE_V8_COVERAGE: coverage, CI: "true" },
    });
    rmSync(coverage, { recursive: true, force: true });
    assert.equal(result.status, 0, `demo failed:\n${result.stdout}\n${result.stderr}`);
    for (const step of [
      "1. Users sign in",
      "2. The same, as the Microsoft Entra agent identity",
      "3. Conditional Access",
      "4. alice's session is revoked",
      // The third Graph call per user is shown, the agent identity named, the failure explained.
      "/me again → Alice Adams (Software Engineer) (its Graph token from the cache)",
      "Graph calls: 6 (3 per user)",
      "agent identity a6e00000-0000-4000-8000-000000000005 acting on behalf of the user",
      "Graph saw 4 calls whose token was issued to the agent identity",
      `"failures":1 is dan's MFA refusal in step 3, expected`,
      "5. Long-running jobs",
      "as erin → 404 (owners only)",
      "Instance B ran the queued jobs with no incoming request: 1 report(s), 2 refresh-token request(s)",
      "bob's job  → done: Bob Brown → Carol Clark → Dan Davis",
      "erin's job → ended (ERR_OBO_SESSION_REVOKED)",
      "Demo finished",
    ]) {
      assert.ok(result.stdout.includes(step), `missing "${step}" in:\n${result.stdout}`);
    }
    assert.doesNotMatch(
      result.stdout + result.stderr,
      /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/,
      "no JWT in the output",
    );
  });
});
