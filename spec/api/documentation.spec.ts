import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const documents = [
  "README.md",
  "bench/README.md",
  "samples/README.md",
  "packages/emulator/README.md",
  "packages/emulator/CONFORMANCE.md",
];
const scripts = Object.keys(
  (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: object }).scripts,
);

describe("the README files", () => {
  for (const document of documents) {
    const text = readFileSync(join(root, document), "utf8");

    it(`${document}: every npm script it names exists`, () => {
      for (const [, name] of text.matchAll(/npm run (?:--silent )?([a-z][\w:-]*)/g)) {
        assert.ok(scripts.includes(name ?? ""), `npm run ${name ?? ""} is not a script`);
      }
    });

    it(`${document}: every file or folder it links or names exists in the repository`, () => {
      const named = [
        ...[...text.matchAll(/\]\(((?!https?:|#)[^)\s#]+)/g)].map((m) => m[1]),
        ...[...text.matchAll(/`((?:[\w.-]+\/)+[\w.-]+\.(?:md|ts|json))`/g)].map((m) => m[1]),
      ];
      for (const path of named) {
        // Outputs of a run (.bench/, dist/, docs/) are not in the repository.
        if (path === undefined || /^(?:\.bench|dist|docs)\//.test(path)) continue;
        const fromDocument = join(root, dirname(document), path);
        assert.ok(
          existsSync(fromDocument) || existsSync(join(root, path)),
          `${document} names ${path}, which is not in the repository`,
        );
      }
    });
  }

  it("README.md shows npm run soak in its benchmarks section", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Benchmarks"), readme.indexOf("## Development"));
    assert.match(section, /npm run soak/);
  });
});
