/**
 * Packaging checks: build, `npm pack`, publint --strict, arethetypeswrong (ESM-only profile), and a
 * smoke test that installs the packed tarball into an empty folder and uses it through `import`
 * and through `require()`, as a user would.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function run(command: string, args: string[], cwd = root): string {
  process.stderr.write(`$ ${command} ${args.join(" ")}\n`);
  return execFileSync(command, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
}

run(npm, ["run", "build"]);
const packed = JSON.parse(run(npm, ["pack", "--json", "--pack-destination", tmpdir()])) as {
  filename: string;
}[];
const tarball = join(tmpdir(), packed[0]?.filename ?? "");
const work = mkdtempSync(join(tmpdir(), "graph-obo-auth-smoke-"));
try {
  process.stdout.write(run("npx", ["publint", "--strict", tarball]));
  process.stdout.write(run("npx", ["attw", tarball, "--profile", "esm-only"]));

  writeFileSync(
    join(work, "package.json"),
    JSON.stringify({ name: "smoke", private: true, version: "1.0.0" }),
  );
  run(
    npm,
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      tarball,
      "@microsoft/microsoft-graph-client@^3.0.7",
    ],
    work,
  );

  const sample = (load: string) => `
${load}
const provider = new OnBehalfOfAuthenticationProvider({
  clientId: "aaaaaaaa-0000-4000-8000-000000000001",
  tenantId: "11111111-1111-4111-8111-111111111111",
  clientSecret: "smoke-secret",
  getUserAssertion: () => undefined,
});
const graph = Client.initWithMiddleware({ authProvider: provider });
try {
  await graph.api("/me").get();
  throw new Error("expected ERR_OBO_USER_ASSERTION_MISSING");
} catch (error) {
  if (!(error instanceof OnBehalfOfError) || error.code !== "ERR_OBO_USER_ASSERTION_MISSING") throw error;
}
const kiota = await import("graph-obo-auth/kiota");
if (typeof kiota.KiotaOnBehalfOfAuthenticationProvider !== "function") throw new Error("kiota subpath");
const emulatorModule = await import("graph-obo-auth/emulator");
if (typeof emulatorModule.startEmulator !== "function") throw new Error("emulator subpath");
console.log("ok: the provider's typed error reached the caller through the Graph client; subpaths load");
`;
  writeFileSync(
    join(work, "esm.mjs"),
    sample(
      `import { OnBehalfOfAuthenticationProvider, OnBehalfOfError } from "graph-obo-auth";\nimport { Client } from "@microsoft/microsoft-graph-client";`,
    ),
  );
  writeFileSync(
    join(work, "cjs.cjs"),
    `(async () => {${sample(`const { OnBehalfOfAuthenticationProvider, OnBehalfOfError } = require("graph-obo-auth");\nconst { Client } = require("@microsoft/microsoft-graph-client");`)}})().catch((e) => { console.error(e); process.exit(1); });`,
  );
  process.stdout.write(`import: ${run(process.execPath, ["esm.mjs"], work)}`);
  process.stdout.write(`require: ${run(process.execPath, ["cjs.cjs"], work)}`);
  process.stdout.write(
    `bin: ${run("npx", ["--no-install", "graph-obo-auth", "--help"], work).split("\n")[0] ?? ""}\n`,
  );
  process.stdout.write("package checks passed\n");
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(tarball, { force: true });
}
