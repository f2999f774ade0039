import assert from "node:assert/strict";
import { runSoak } from "../../../bench/soak/run-soak.js";

describe("soak and faults against the emulator (bounded)", function () {
  this.timeout(60_000);

  it("keeps every user's calls their own under 5xx, 429, delays and connection resets, with no hang or leak, sessions included", async () => {
    const report = await runSoak({
      users: 30,
      calls: 300,
      concurrency: 20,
      faultEvery: 5,
      callDeadlineMs: 20_000,
    });
    assert.equal(report.crossedUsers, 0, "no token crossed users");
    assert.equal(report.hung, 0, "nothing hung");
    assert.equal(report.untypedFailures, 0, "every failure is typed");
    assert.equal(report.unhandledRejections, 0);
    assert.equal(report.secretsInOutput, 0, "no token or secret in errors or logs");
    assert.ok(report.faultsInjected >= 50);
    assert.equal(report.sessionCalls, 100, "every third call through the user's session");
    assert.equal(report.sessionsLost, 0, "no transient fault ends a session");
    assert.equal(Object.keys(report.unrelatedFailures).length, 5);
    for (const [scenario, failed] of Object.entries(report.unrelatedFailures)) {
      assert.equal(failed, 0, `${scenario}: no unrelated user fails`);
    }
    assert.ok(report.succeeded > report.calls / 2, JSON.stringify(report));
    assert.equal(
      report.succeeded + Object.values(report.typedFailures).reduce((a, b) => a + b, 0),
      report.calls,
    );
  });
});
