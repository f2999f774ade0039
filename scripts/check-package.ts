/**
 * Packaging checks of both packages of the workspace, `graph-obo-auth` (the root) and
 * `graph-obo-auth-emulator` (packages/emulator): build, `npm pack`, publint --strict,
 * arethetypeswrong (ESM-only profile), the source maps, what each tarball ships and depends on,
 * and a smoke test that installs the packed tarballs into an empty folder and uses them through
 * `import` and through `require()`, as a user would, with the Fastify plugin and the emulator.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const emulatorRoot = join(root, "packages", "emulator");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function run(command: string, args: string[], cwd = root): string {
  process.stderr.write(`$ ${command} ${args.join(" ")}\n`);
  return execFileSync(command, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
}

interface Manifest {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

interface Packed {
  /** The package's name. */
  readonly name: string;
  /** The tarball's path. */
  readonly tarball: string;
  /** The paths it ships, relative to the package's folder. */
  readonly files: readonly string[];
  /** Its package.json. */
  readonly manifest: Manifest;
}

function pack(folder: string): Packed {
  const [packed] = JSON.parse(
    run(npm, ["pack", "--json", "--pack-destination", tmpdir()], folder),
  ) as { name: string; filename: string; files: { path: string }[] }[];
  if (packed === undefined) throw new Error(`npm pack of ${folder} printed nothing`);
  return {
    name: packed.name,
    tarball: join(tmpdir(), packed.filename),
    files: packed.files.map((file) => file.path),
    manifest: JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as Manifest,
  };
}

/**
 * Source maps: the tarball ships no TypeScript sources, so each `.js.map` must embed them
 * (`inlineSources`), and there are no declaration maps (they could only point to missing files).
 */
function checkSourceMaps(packed: Packed, read: (path: string) => string): string {
  const declarationMaps = packed.files.filter((path) => path.endsWith(".d.ts.map"));
  if (declarationMaps.length > 0) {
    throw new Error(`declaration maps point to sources not shipped: ${declarationMaps.join(", ")}`);
  }
  const scripts = packed.files.filter((path) => path.endsWith(".js"));
  let count = 0;
  for (const script of scripts) {
    const mapPath = `${script}.map`;
    if (!packed.files.includes(mapPath)) throw new Error(`${script} has no source map`);
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
  if (count === 0) throw new Error(`no JavaScript in the ${packed.name} tarball`);
  return `${packed.name}: source maps: ${String(count)}, each embedding its TypeScript source; no declaration maps\n`;
}

/**
 * The packages the shipped JavaScript imports (`from`, `import()`, bare `import`), outside comments
 * (TSDoc examples import packages the code does not).
 */
function importedPackages(packed: Packed, read: (path: string) => string): Set<string> {
  const imported = new Set<string>();
  for (const script of packed.files.filter((path) => path.endsWith(".js"))) {
    const code = read(script)
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    for (const [, specifier = ""] of code.matchAll(
      /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"'./][^"']*)["']/g,
    )) {
      const [scope = "", name = ""] = specifier.split("/");
      imported.add(scope.startsWith("@") ? `${scope}/${name}` : scope);
    }
  }
  return imported;
}

/**
 * Every production dependency must be imported by the JavaScript the package ships: a dependency
 * that only another package needs (the emulator's pkijs and asn1js, for the root) would be
 * installed in every production install for nothing. And every package it imports must be a
 * dependency or a peer dependency.
 */
function checkDependencies(packed: Packed, read: (path: string) => string): string {
  const imported = importedPackages(packed, read);
  const dependencies = Object.keys(packed.manifest.dependencies ?? {});
  const unused = dependencies.filter((name) => !imported.has(name));
  if (unused.length > 0) {
    throw new Error(
      `${packed.name} depends on ${unused.join(", ")}, which its shipped code never imports`,
    );
  }
  const declared = [...dependencies, ...Object.keys(packed.manifest.peerDependencies ?? {})];
  const undeclared = [...imported].filter(
    (name) => !isBuiltin(name) && name !== packed.name && !declared.includes(name),
  );
  if (undeclared.length > 0) {
    throw new Error(`${packed.name} imports ${undeclared.join(", ")} without depending on them`);
  }
  return `${packed.name}: every dependency is imported by its shipped code (${dependencies.join(", ")}), every import declared\n`;
}

/** The root ships the deprecated `graph-obo-auth/emulator` alias, and nothing else of the emulator. */
const EMULATOR_ALIAS = ["dist/emulator.js", "dist/emulator.js.map", "dist/emulator.d.ts"];

/**
 * The root tarball holds no emulator file but the alias, and no dependency of the emulator that
 * the root's own code does not import (jose and undici, for example, both need).
 */
function checkRootHasNoEmulator(rootPacked: Packed, emulatorPacked: Packed): string {
  const emulatorFiles = rootPacked.files.filter(
    (path) => /(?:^|\/)emulator\b/i.test(path) && !EMULATOR_ALIAS.includes(path),
  );
  if (emulatorFiles.length > 0) {
    throw new Error(`the root tarball ships emulator files: ${emulatorFiles.join(", ")}`);
  }
  const rootOwn: Packed = {
    ...rootPacked,
    files: rootPacked.files.filter((path) => !EMULATOR_ALIAS.includes(path)),
  };
  const usedByRoot = importedPackages(rootOwn, (path) => readFileSync(join(root, path), "utf8"));
  const rootDependencies = Object.keys(rootPacked.manifest.dependencies ?? {});
  const emulatorOnly = Object.keys(emulatorPacked.manifest.dependencies ?? {}).filter(
    (name) => rootDependencies.includes(name) && !usedByRoot.has(name),
  );
  if (emulatorOnly.length > 0) {
    throw new Error(`the root depends on emulator-only packages: ${emulatorOnly.join(", ")}`);
  }
  return `${rootPacked.name}: ${String(rootPacked.files.length)} files, no emulator file besides the deprecated alias, no emulator-only dependency\n`;
}

run(npm, ["run", "build"]);
const rootPacked = pack(root);
const emulatorPacked = pack(emulatorRoot);
const work = mkdtempSync(join(tmpdir(), "graph-obo-auth-smoke-"));
try {
  for (const packed of [rootPacked, emulatorPacked]) {
    process.stdout.write(run("npx", ["publint", "--strict", packed.tarball]));
    process.stdout.write(run("npx", ["attw", packed.tarball, "--profile", "esm-only"]));
  }
  process.stdout.write(checkRootHasNoEmulator(rootPacked, emulatorPacked));

  writeFileSync(
    join(work, "package.json"),
    JSON.stringify({ name: "smoke", private: true, version: "1.0.0" }),
  );
  const install = (...specs: string[]) =>
    run(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", ...specs], work);

  // First the production install: the root alone, with the Graph client and Fastify.
  install(rootPacked.tarball, "@microsoft/microsoft-graph-client@^3.0.7", "fastify@^5.0.0");
  const modules = join(work, "node_modules");
  const pulled = ["graph-obo-auth-emulator", "pkijs", "asn1js"].filter((name) =>
    existsSync(join(modules, name)),
  );
  if (pulled.length > 0) {
    throw new Error(`installing graph-obo-auth installed ${pulled.join(", ")}`);
  }
  process.stdout.write("production install: no emulator, no pkijs, no asn1js\n");
  // Then the emulator, as a dev dependency.
  install("--save-dev", emulatorPacked.tarball);

  for (const packed of [rootPacked, emulatorPacked]) {
    const installed = join(modules, packed.name);
    const read = (path: string) => readFileSync(join(installed, path), "utf8");
    process.stdout.write(checkSourceMaps(packed, read));
    process.stdout.write(checkDependencies(packed, read));
    const listed = readdirSync(join(installed, "dist"), { recursive: true, encoding: "utf8" });
    if (!listed.some((path) => path.endsWith(".js.map"))) throw new Error("no maps installed");
  }

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

// The emulator package, end to end: a user's token exchanged On-Behalf-Of, then Graph's /me.
const { startEmulator } = await import("graph-obo-auth-emulator");
const emulator = await startEmulator();
try {
  const { api } = emulator.defaults.apps;
  const emulated = Client.initWithMiddleware({
    authProvider: new OnBehalfOfAuthenticationProvider({
      clientId: api.clientId,
      clientSecret: api.clientSecret,
      ...emulator.providerOptions(),
    }),
    ...emulator.graphClientOptions(),
  });
  const user = "alice@contoso.example";
  const me = await runWithUserAssertion(await emulator.signIn({ user }), () => emulated.api("/me").get());
  if (me.userPrincipalName !== user || emulator.count({ endpoint: "token", flow: "obo" }) !== 1) {
    throw new Error("emulator: /me did not answer the signed-in user through one On-Behalf-Of exchange");
  }
} finally {
  await emulator.close();
}
const alias = await import("graph-obo-auth/emulator");
if (alias.startEmulator !== startEmulator) throw new Error("graph-obo-auth/emulator is not the emulator package");
console.log("ok: the provider's typed error reached the caller through the Graph client; subpaths load; the Fastify hook refused a request without a token; the emulator served /me On-Behalf-Of; the deprecated alias re-exports it");
`;
  const load = (style: "import" | "require") =>
    style === "import"
      ? `import { OnBehalfOfAuthenticationProvider, OnBehalfOfError, runWithUserAssertion } from "graph-obo-auth";\nimport { Client } from "@microsoft/microsoft-graph-client";`
      : `const { OnBehalfOfAuthenticationProvider, OnBehalfOfError, runWithUserAssertion } = require("graph-obo-auth");\nconst { Client } = require("@microsoft/microsoft-graph-client");\nif (typeof require("graph-obo-auth-emulator").startEmulator !== "function") throw new Error("require(graph-obo-auth-emulator)");`;
  writeFileSync(join(work, "esm.mjs"), sample(load("import")));
  writeFileSync(
    join(work, "cjs.cjs"),
    `(async () => {${sample(load("require"))}})().catch((e) => { console.error(e); process.exit(1); });`,
  );
  process.stdout.write(`import: ${run(process.execPath, ["esm.mjs"], work)}`);
  process.stdout.write(`require: ${run(process.execPath, ["cjs.cjs"], work)}`);
  process.stdout.write(
    `bin: ${run("npx", ["--no-install", "graph-obo-auth", "--help"], work).split("\n")[0] ?? ""}\n`,
  );
  process.stdout.write("package checks passed\n");
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(rootPacked.tarball, { force: true });
  rmSync(emulatorPacked.tarball, { force: true });
}
