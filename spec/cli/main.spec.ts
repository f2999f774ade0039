import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../lib/cli/main.js";
import { API_CLIENT_ID, TENANT, userToken } from "../support/tokens.js";

function run(argv: string[], stdin = "") {
  let out = "";
  let err = "";
  const code = main(argv, { out: (s) => (out += s), err: (s) => (err += s), stdin: () => stdin });
  return { code, out, err };
}

describe("graph-obo-auth command line", () => {
  it("diagnose exits 0 for a usable token and never prints it", async () => {
    const token = await userToken({ oid: "alice", tid: TENANT });
    const result = run(["diagnose", token, "--client-id", API_CLIENT_ID]);
    assert.equal(result.code, 0);
    assert.match(result.out, /can work/);
    for (const part of token.split(".")) assert.ok(!result.out.includes(part));
  });

  it("diagnose --stdin exits 1 on a problem and explains it", async () => {
    const token = await userToken({
      oid: "alice",
      tid: TENANT,
      aud: "https://graph.microsoft.com",
    });
    const result = run(["diagnose", "--stdin"], `${token}\n`);
    assert.equal(result.code, 1);
    assert.match(result.out, /✘ .*Microsoft Graph/);
  });

  it("exits 2 on a usage error", () => {
    assert.equal(run([]).code, 2);
    assert.equal(run(["frobnicate", "x"]).code, 2);
    assert.equal(run(["diagnose"]).code, 2);
    assert.equal(run(["diagnose", "a", "--stdin"]).code, 2);
    assert.equal(run(["diagnose", "a", "--nope"]).code, 2);
    assert.equal(run(["--help"]).code, 0);
  });

  it("runs as a program, reading the token from standard input", async () => {
    const token = await userToken({ oid: "alice", tid: TENANT, expSeconds: -3600 });
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", "lib/cli/bin.ts", "diagnose", "--stdin"],
      {
        input: token,
        encoding: "utf8",
      },
    );
    assert.equal(child.status, 1, child.stderr);
    assert.match(child.stdout, /expired/);
    assert.ok(!child.stdout.includes(token));
  });

  it("runs inside a clone as `npm run diagnose --`, where npx finds no installed bin", async () => {
    const coverage = mkdtempSync(join(tmpdir(), "diagnose-coverage-"));
    const token = await userToken({ oid: "alice", tid: TENANT, expSeconds: -3600 });
    const child = spawnSync(
      process.platform === "win32" ? "npm.cmd" : "npm",
      ["run", "--silent", "diagnose", "--", "--stdin", "--client-id", API_CLIENT_ID],
      // The child's coverage maps differently and would corrupt c8's merge: send it elsewhere.
      { input: token, encoding: "utf8", env: { ...process.env, NODE_V8_COVERAGE: coverage } },
    );
    rmSync(coverage, { recursive: true, force: true });
    assert.equal(child.status, 1, child.stderr);
    assert.match(child.stdout, /expired/);
    assert.ok(!child.stdout.includes(token));
  });
});
