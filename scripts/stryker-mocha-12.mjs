// Lets @stryker-mutator/mocha-runner 9 load mocha 12, whose CLI helpers are `.cjs` files.
//
// The runner requires `mocha/lib/cli/run-helpers`, `options` and `collect-files` without an
// extension, as mocha <= 11 shipped them (`.js`); mocha 12 renamed them to `.cjs`, which `require`
// does not try. StrykerJS 10's runner has the same require, and StrykerJS 10 needs Node.js 22
// (this package supports 20.19). Loaded with `NODE_OPTIONS=--import` by `npm run mutate` only,
// for Stryker's own process and its test runner workers; drop it once the runner handles `.cjs`.
import Module from "node:module";

const mochaCli = /[\\/]mocha[\\/]lib[\\/]cli[\\/][\w-]+$/;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  try {
    return resolve.call(this, request, ...rest);
  } catch (error) {
    if (!mochaCli.test(request)) throw error;
    return resolve.call(this, `${request}.cjs`, ...rest);
  }
};
