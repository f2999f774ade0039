import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireRedisServer } from "../../support/redis-server.js";

describe("samples/redis-fleet (npm run sample:fleet)", function () {
  this.timeout(60_000);
  before(function () {
    requireRedisServer(this);
  });

  it("serves the second instance from Redis without a token request, and runs a job there with the first one's session", () => {
    // The child's coverage maps differently and would corrupt c8's merge: send it elsewhere.
    const coverage = mkdtempSync(join(tmpdir(), "fleet-sample-coverage-"));
    const { REDIS_URL: _url, ...env } = process.env;
    const result = spawnSync("npm", ["run", "--silent", "sample:fleet"], {
      encoding: "utf8",
      env: { ...env, NODE_V8_COVERAGE: coverage },
    });
    rmSync(coverage, { recursive: true, force: true });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(
      result.stdout,
      /alice@contoso\.example\s+→ instance A: 200 Alice Adams; token requests: 1/,
    );
    assert.match(
      result.stdout,
      /alice@contoso\.example\s+→ instance B: 200 Alice Adams; token requests: 0/,
    );
    assert.match(
      result.stdout,
      /alice@contoso\.example\s+→ job on B, two hours later: done Alice Adams → Carol Clark → Dan Davis/,
    );
    assert.match(
      result.stdout,
      /erin@fabrikam\.example\s+→ job on B, two hours later: ended ERR_OBO_SESSION_REVOKED/,
    );
  });
});
