import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const mocha = createRequire(import.meta.url).resolve("mocha/bin/mocha.js");

/** Runs mocha with the root hooks on one fixture, stdout and stderr interleaved as a user sees them. */
function runMocha(
  fixtures: string | readonly string[],
  env: NodeJS.ProcessEnv,
): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "graph-obo-auth-mocha-"));
  try {
    const file = join(dir, "output.txt");
    const fd = openSync(file, "w");
    let status: number | null;
    try {
      status = spawnSync(
        process.execPath,
        [
          ...["--import", "tsx", mocha, "--no-config", "--reporter", "dot"],
          ...["--require", "spec/support/hooks.ts"],
          ...[fixtures].flat().map((fixture) => `spec/support/fixtures/${fixture}`),
        ],
        { stdio: ["ignore", fd, fd], env, timeout: 60_000 },
      ).status;
    } finally {
      closeSync(fd);
    }
    return { status, output: readFileSync(file, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The environment without CI, and, with `withoutRedis`, with no redis-server on the PATH. */
function environment(withoutRedis: boolean, ci?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CI;
  if (ci !== undefined) env.CI = ci;
  if (withoutRedis) env.PATH = join(tmpdir(), "graph-obo-auth-no-such-dir");
  return env;
}

describe("the root hooks (spec/support/hooks.ts)", function () {
  this.timeout(60_000);

  it("fail a test that leaves a mock unused, and run every test after it", () => {
    const { status, output } = runMocha("unconsumed-mock.fixture.ts", environment(false));
    assert.equal(status, 1, output);
    assert.match(output, /2 passing/);
    assert.match(output, /1 failing/);
    assert.match(
      output,
      /leaves a mock unused:\s+Error: Unconsumed HTTP mocks: GET https:\/\/graph\.microsoft\.com:443\/v1\.0\/me/,
    );
    assert.doesNotMatch(output, /"after each" hook/, "the test failed, not a hook");
    assert.match(output, /2 passed, 1 failed, 0 skipped\n/);
  });

  it("show no token or secret in a failing test's output, and still say why it failed", () => {
    const { status, output } = runMocha("secret-in-failure.fixture.ts", environment(false));
    assert.equal(status, 3, output);
    assert.match(output, /3 failing/);
    for (const secret of [
      "fixture-secret-Zq9",
      "eyJvaWQi",
      "c2lnbmF0dXJl",
      "fixture-access-token-Xy7",
    ]) {
      assert.ok(!output.includes(secret), `${secret.slice(0, 6)}… in the output`);
    }
    assert.match(
      output,
      /No match for request: client_id=x&client_secret=\[redacted\]&assertion=\[redacted\]&scope=y/,
    );
    assert.match(output, /"access_token":"\[redacted\]"/);
    assert.match(output, /Bearer \[jwt\]/);
  });

  it("report every good test of a run whose middle file has bad ones", () => {
    const files = ["a-good", "b-bad", "c-good"].map(
      (name) => `one-bad-among-good/${name}.fixture.ts`,
    );
    const { status, output } = runMocha(files, environment(false));
    assert.equal(status, 3, output); // mocha exits with the number of failures
    assert.match(output, /5 passing/);
    assert.match(output, /3 failing/);
    for (const bad of [
      "bad 1: a synchronous test leaves a mock unused",
      "bad 2: an async test leaves a mock unused",
      "bad 3: a callback test leaves a mock unused",
    ]) {
      assert.match(output, new RegExp(`${bad}:\\s+Error: Unconsumed HTTP mocks: GET`));
    }
    assert.doesNotMatch(output, /"after each" hook|"before each" hook/, "no hook failed");
    assert.match(output, /5 passed, 3 failed, 0 skipped\n/);
  });

  it("count specs skipped for a missing redis-server as skipped, and say why at the end", () => {
    const { status, output } = runMocha("redis-skip.fixture.ts", environment(true));
    assert.equal(status, 0, output);
    assert.match(output, /1 passed, 0 failed, 3 skipped\n/);
    const summary = output.indexOf("3 pending");
    assert.ok(summary > 0, output);
    const lastBanner = output.lastIndexOf("SKIPPED 3 Redis specs: redis-server is not installed.");
    assert.ok(lastBanner > summary, "the banner comes after mocha's summary");
    assert.match(output.slice(lastBanner), /apt-get install -y redis-server/);
  });

  it("fail the run under CI when redis-server is missing", () => {
    const { status, output } = runMocha("redis-skip.fixture.ts", environment(true, "true"));
    assert.equal(status, 1, output);
    assert.match(output, /redis-server is not installed, and CI must run the Redis specs/);
  });

  it("run the Redis specs when redis-server is installed", function () {
    const { status, output } = runMocha("redis-skip.fixture.ts", environment(false));
    if (output.includes("SKIPPED")) this.skip(); // this machine has no redis-server
    assert.equal(status, 0, output);
    assert.match(output, /4 passed, 0 failed, 0 skipped\n/);
  });
});
