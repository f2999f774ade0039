import assert from "node:assert/strict";
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { once } from "node:events";

interface Started {
  readonly child: ChildProcessByStdio<null, Readable, null>;
  readonly tries: { readonly file: string; readonly url: string }[];
}

/** Starts a sample server as `npm run sample` does, and reads the `try:` lines it prints. */
async function startServer(script: string, coverage: string): Promise<Started> {
  // The child's coverage maps differently and would corrupt c8's merge: send it elsewhere.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", NODE_V8_COVERAGE: coverage };
  delete env.API_CLIENT_ID;
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  const tries = await new Promise<Started["tries"]>((resolve, reject) => {
    child.on("exit", (code) => {
      reject(new Error(`${script} exited with ${String(code)}: ${output}`));
    });
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const found = [...output.matchAll(/try: curl .*\$\(cat (\S+)\)" (\S+)/g)].map((m) => ({
        file: m[1] ?? "",
        url: m[2] ?? "",
      }));
      if (found.length === 2) resolve(found);
    });
  });
  return { child, tries };
}

for (const script of ["samples/express-api/server.ts", "samples/fastify-api/server.ts"]) {
  describe(`${script} against the emulator`, function () {
    this.timeout(30_000);

    it("offers a working token for /me and for /agent/*, and deletes them when stopped", async () => {
      const coverage = mkdtempSync(join(tmpdir(), "sample-coverage-"));
      after(() => {
        rmSync(coverage, { recursive: true, force: true });
      });
      const { child, tries } = await startServer(script, coverage);
      try {
        assert.deepEqual(
          tries.map(({ url }) => new URL(url).pathname),
          ["/me", "/agent/me"],
        );
        for (const { file, url } of tries) {
          assert.equal(statSync(file).mode & 0o777, 0o600, "private token file");
          const response = await fetch(url, {
            headers: { authorization: `Bearer ${readFileSync(file, "utf8")}` },
          });
          assert.equal(response.status, 200, url);
          const me = (await response.json()) as { userPrincipalName?: string };
          assert.equal(me.userPrincipalName, "alice@contoso.example");
        }
      } finally {
        const exited = once(child, "exit");
        child.kill("SIGINT");
        await exited;
      }
      for (const { file } of tries) {
        assert.ok(!existsSync(file), "token file removed");
        assert.ok(!existsSync(dirname(file)), "token folder removed");
      }
    });
  });
}
