/**
 * Every package `npm ci` installs (dev dependencies included) must accept the oldest Node.js this
 * package supports: otherwise `npm ci` prints EBADENGINE on it, as it did for `@azure/core-auth`
 * 1.11 (Node 22+) through Kiota. Reads package-lock.json; the fix is an `overrides` entry.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

interface Semver {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { readonly version: string } | null;
}
const semver = createRequire(import.meta.url)("semver") as Semver;

interface LockedPackage {
  readonly version?: string;
  readonly engines?: { readonly node?: string } | readonly string[];
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
}

const root = resolve(import.meta.dirname, "..");
const manifest = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(resolve(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockedPackage>;
};
const oldest = semver.minVersion(manifest.engines.node)?.version;
if (oldest === undefined) throw new Error(`cannot read engines.node "${manifest.engines.node}"`);

const refused: string[] = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  if (path === "" || entry.engines === undefined || Array.isArray(entry.engines)) continue;
  // Platform-specific optional packages (esbuild's, for example) are skipped by npm elsewhere.
  if (entry.os !== undefined || entry.cpu !== undefined) continue;
  const range = (entry.engines as { readonly node?: string }).node;
  if (range !== undefined && !semver.satisfies(oldest, range)) {
    refused.push(`${path}@${entry.version ?? "?"} requires node ${range}`);
  }
}
if (refused.length > 0) {
  throw new Error(
    `npm ci would print EBADENGINE on Node ${oldest}:\n  ${refused.join("\n  ")}\n` +
      "Pin or override these in package.json.",
  );
}
process.stdout.write(`engines: every locked package accepts Node ${oldest}\n`);
