import nock from "nock";
import type { RootHookObject } from "mocha";
import { redisSkipBanner } from "./redis-server.js";

/**
 * Root hooks: no real network, and a mock left unused fails its own test.
 *
 * The unused-mock check runs inside the test (its function is wrapped before it runs), not in a
 * root `afterEach`: mocha abandons the rest of the run when a root hook fails, so one forgotten
 * mock would hide every test after it.
 */
export const mochaHooks: RootHookObject = {
  beforeAll() {
    nock.disableNetConnect();
    nock.enableNetConnect(
      (host) =>
        host.startsWith("127.0.0.1") || host.startsWith("localhost") || host.startsWith("[::1]"),
    );
  },
  beforeEach(this: Mocha.Context) {
    const test = this.currentTest;
    if (test?.fn !== undefined) test.fn = checkingMocks(test.fn);
  },
  afterEach() {
    nock.cleanAll();
  },
  afterAll(this: Mocha.Context) {
    nock.enableNetConnect();
    const root = this.test?.parent;
    if (root === undefined) return;
    const tally = count(root);
    // The plain closing line CI reads, besides mocha's own summary. Tests skipped from a `before`
    // hook (`this.skip()`) run no `afterEach`, so the tree is counted, not the hooks' calls.
    const notRun = tally.notRun > 0 ? `, ${tally.notRun} not run` : "";
    process.stdout.write(
      `\n${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped${notRun}\n`,
    );
    const banner = redisSkipBanner();
    if (banner !== undefined) {
      // Again after mocha's own summary, where the reader looks last.
      process.once("exit", () => {
        process.stderr.write(banner);
      });
    }
  },
};

function count(suite: Mocha.Suite): {
  passed: number;
  failed: number;
  skipped: number;
  notRun: number;
} {
  const tally = { passed: 0, failed: 0, skipped: 0, notRun: 0 };
  const visit = (current: Mocha.Suite): void => {
    for (const test of current.tests) {
      if (test.state === "passed") tally.passed++;
      else if (test.state === "failed") tally.failed++;
      else if (test.isPending()) tally.skipped++;
      else tally.notRun++; // its suite's hook failed
    }
    for (const child of current.suites) visit(child);
  };
  visit(suite);
  return tally;
}

/**
 * What a failing test's output must never show, even from a fake: a JWT (any token or assertion),
 * and the value of a secret or token field in a form body, a query or JSON (nock's "no match"
 * error prints the whole request body, client secret and assertion included).
 */
const SECRET_FIELDS =
  "client_secret|client_assertion|assertion|refresh_token|access_token|id_token|user_federated_identity_credential";
const SECRETS: readonly [RegExp, string][] = [
  [/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, "[jwt]"],
  [new RegExp(`((?:${SECRET_FIELDS})=)[^&"\\s]+`, "g"), "$1[redacted]"],
  [new RegExp(`("(?:${SECRET_FIELDS})"\\s*:\\s*")[^"]*`, "g"), "$1[redacted]"],
];

function scrub(text: string): string {
  return SECRETS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/** A test's failure with tokens and secrets scrubbed from what the reporter prints. */
function scrubbed(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  error.message = scrub(error.message);
  if (error.stack !== undefined) error.stack = scrub(error.stack);
  // An assertion's actual and expected values are printed as a diff.
  const values = error as Error & { actual?: unknown; expected?: unknown };
  if (typeof values.actual === "string") values.actual = scrub(values.actual);
  if (typeof values.expected === "string") values.expected = scrub(values.expected);
  return error;
}

/**
 * Wraps a test so that, once it has passed, mocks it left unused fail it; and so that its failure
 * shows no token or secret.
 */
function checkingMocks(fn: Mocha.Func | Mocha.AsyncFunc): Mocha.Func | Mocha.AsyncFunc {
  if (fn.length > 0) {
    const callbackTest = fn as Mocha.Func;
    return function (this: Mocha.Context, done: Mocha.Done) {
      callbackTest.call(this, (error?: unknown) => {
        if (error !== undefined && error !== null) {
          done(scrubbed(error));
          return;
        }
        try {
          assertMocksUsed();
        } catch (unused) {
          done(unused);
          return;
        }
        done();
      });
    };
  }
  const asyncTest = fn as Mocha.AsyncFunc;
  return async function (this: Mocha.Context) {
    try {
      await asyncTest.call(this);
    } catch (error) {
      throw scrubbed(error);
    }
    assertMocksUsed();
  };
}

function assertMocksUsed(): void {
  const pending = nock.pendingMocks();
  if (pending.length > 0) throw new Error(`Unconsumed HTTP mocks: ${pending.join(", ")}`);
}
