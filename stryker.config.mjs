// Mutation testing of the core (`npm run mutate`): not part of `npm test`, run on demand.

/**
 * The files Stryker mutates, in ONE place. "cache" and "acquisition" are scored separately in the
 * README; when a file moves, change its path here.
 */
const mutate = {
  cache: [
    "lib/cache/token-engine.ts",
    "lib/cache/memory-token-cache.ts",
    "lib/cache/single-flight.ts",
    "lib/cache/token-cache.ts",
  ],
  acquisition: [
    "lib/acquisition/grant-sender.ts",
    "lib/acquisition/leg-gates.ts",
    "lib/acquisition/exchange-tokens.ts",
    "lib/acquisition/agent-grants.ts",
    "lib/acquisition/client-pool.ts",
    "lib/acquisition/token-kinds.ts",
    "lib/acquisition/msal-client-factory.ts",
    "lib/acquisition/msal/network-client.ts",
    "lib/acquisition/msal/isolated-client.ts",
  ],
};

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  mutate: [...mutate.cache, ...mutate.acquisition],
  testRunner: "mocha",
  // The specs that exercise the core (see the file); mocha runs in Stryker's worker, so tsx is
  // loaded through the worker's node arguments instead of mocha's `node-option`.
  mochaOptions: { config: ".mocharc.stryker.json" },
  testRunnerNodeArgs: ["--import", "tsx"],
  coverageAnalysis: "perTest",
  concurrency: 2,
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  ignorePatterns: ["dist", "coverage", "docs", ".bench", "reports"],
};
