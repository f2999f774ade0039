import nock from "nock";
import type { RootHookObject } from "mocha";

/** Root hooks: no real network, and a mock left unused fails its test. */
const tally = { passed: 0, failed: 0, skipped: 0 };

export const mochaHooks: RootHookObject = {
  beforeAll() {
    nock.disableNetConnect();
    nock.enableNetConnect(
      (host) =>
        host.startsWith("127.0.0.1") || host.startsWith("localhost") || host.startsWith("[::1]"),
    );
  },
  afterEach(this: Mocha.Context) {
    const state = this.currentTest?.state;
    if (state === "passed") tally.passed++;
    else if (state === "failed") tally.failed++;
    else tally.skipped++;
    const pending = nock.pendingMocks();
    nock.cleanAll();
    if (pending.length > 0) throw new Error(`Unconsumed HTTP mocks: ${pending.join(", ")}`);
  },
  afterAll() {
    nock.enableNetConnect();
    // The plain closing line CI reads, besides mocha's own summary.
    process.stdout.write(
      `\n${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped\n`,
    );
  },
};
