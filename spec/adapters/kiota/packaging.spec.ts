import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../../..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Module specifiers a file loads at run time: every import or re-export that is not type-only. */
function runtimeImports(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gms)) {
    if (match[2] === undefined) found.push(match[3] ?? "");
  }
  for (const match of text.matchAll(/import\(\s*"([^"]+)"\s*\)/g)) found.push(match[1] ?? "");
  return found;
}

describe("packaging of the Kiota adapter", () => {
  it("is the graph-obo-auth/kiota subpath export", () => {
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      exports: Record<string, unknown>;
      devDependencies: Record<string, string>;
      dependencies: Record<string, string>;
    };
    assert.deepEqual(manifest.exports["./kiota"], {
      types: "./dist/kiota.d.ts",
      default: "./dist/kiota.js",
    });
    for (const name of Object.keys(manifest.dependencies)) {
      assert.doesNotMatch(name, /kiota|msgraph-sdk/, "Kiota is never a dependency");
    }
  });

  it("loads nothing of Kiota at run time, and the main entry point never loads the adapter", () => {
    for (const file of sources(join(root, "lib"))) {
      const text = readFileSync(file, "utf8");
      for (const specifier of runtimeImports(text)) {
        assert.doesNotMatch(specifier, /^@microsoft\/(kiota|msgraph-sdk)/, relative(root, file));
      }
      if (!file.includes(join("lib", "kiota"))) {
        assert.ok(
          runtimeImports(text).every((specifier) => !specifier.includes("/kiota/")),
          `${relative(root, file)} must not load the Kiota adapter`,
        );
      }
    }
    assert.ok(runtimeImports(readFileSync(join(root, "lib/kiota.ts"), "utf8")).length > 0);
  });
});
