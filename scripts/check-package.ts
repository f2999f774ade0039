/**
 * Packaging checks: build, `npm pack`, publint --strict, arethetypeswrong (ESM-only profile), the
 * source maps, and a smoke test that installs the packed tarball into an empty folder and uses it
 * through `import` and through `require()`, as a user would, with the Fastify plugin.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
  files: { path: string }[];
}[];

/**
 * Source maps: the tarball ships no TypeScript sources, so each `.js.map` must embed them
 * (`inlineSources`), and there are no declaration maps (they could only point to missing files).
 */
function checkSourceMaps(paths: readonly string[], read: (path: string) => string): string {
  const declarationMaps = paths.filter((path) => path.endsWith(".d.ts.map"));
  if (declarationMaps.length > 0) {
    throw new Error(`declaration maps point to sources not shipped: ${declarationMaps.join(", ")}`);
  }
  const scripts = paths.filter((path) => path.endsWith(".js"));
  let count = 0;
  for (const script of scripts) {
    const mapPath = `${script}.map`;
    if (!paths.includes(mapPath)) throw new Error(`${script} has no source map`);
    const map = JSON.parse(read(mapPath)) as { sources: string[]; sourcesContent?: unknown[] };
    const embedded = map.sourcesContent ?? [];
    if (
      map.sources.length === 0 ||
      embedded.length !== map.sources.length ||
      embedded.some((content) => typeof content !== "string" || content === "")
    ) {
      throw new Error(`${mapPath} does not embed its sources (${map.sources.join(", ")})`);
    }
    count++;
  }
  if (count === 0) throw new Error("no JavaScript in the tarball");
  return `source maps: ${String(count)}, each embedding its TypeScript source; no declaration maps\n`;
}
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
      "fastify@^5.0.0",
    ],
    work,
  );
  const installed = join(work, "node_modules", "graph-obo-auth");
  const shipped = (packed[0]?.files ?? []).map((file) => file.path);
  process.stdout.write(
    checkSourceMaps(shipped, (path) => readFileSync(join(installed, path), "utf8")),
  );
  const listed = readdirSync(join(installed, "dist"), { recursive: true, encoding: "utf8" });
  if (!listed.some((path) => path.endsWith(".js.map"))) throw new Error("no maps installed");

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
const { fastifyOnBehalfOf, requireAccessTokenHook } = await import("graph-obo-auth/fastify");
const { default: Fastify } = await import("fastify");
const app = Fastify();
await app.register(fastifyOnBehalfOf);
const auth = requireAccessTokenHook({ clientId: "aaaaaaaa-0000-4000-8000-000000000001", tenantId: "11111111-1111-4111-8111-111111111111" });
app.get("/me", { onRequest: auth }, async () => ({ reached: true }));
const refused = await app.inject("/me");
if (refused.statusCode !== 401 || refused.headers["www-authenticate"] !== 'Bearer realm=""') {
  throw new Error("fastify subpath: expected a 401 bearer challenge, got " + refused.statusCode);
}
await app.close();
console.log("ok: the provider's typed error reached the caller through the Graph client; subpaths load; the Fastify hook refused a request without a token");
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
