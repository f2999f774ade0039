import assert from "node:assert/strict";
import { LogLevel } from "@azure/msal-node";
import { createLogger, msalLoggerOptions, redact } from "../../lib/util/logger.js";

describe("logger", () => {
  it("is silent without a logger and reports verbose as disabled", () => {
    const log = createLogger(undefined);
    log.error("x");
    assert.equal(log.verboseEnabled, false);
  });

  it("prefixes messages, drops missing levels and survives a throwing logger", () => {
    const lines: string[] = [];
    const log = createLogger({
      info: (m) => lines.push(m),
      warn: () => {
        throw new Error("logger down");
      },
    });
    log.info("hello");
    log.warn("ignored");
    log.verbose("dropped");
    assert.deepEqual(lines, ["graph-obo-auth: hello"]);
  });

  it("redacts anything shaped like a JWT", () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJ4In0.c2lnbmF0dXJl";
    assert.equal(redact(`token ${jwt} here`), "token [redacted] here");
    const lines: string[] = [];
    createLogger({ error: (m) => lines.push(m) }).error(`oops ${jwt}`);
    assert.ok(!lines.join().includes(jwt));
  });

  it("bridges MSAL's log by level, with personal data off", () => {
    const lines: string[] = [];
    const record = (level: string) => (m: string) => lines.push(`${level}:${m}`);
    const log = createLogger({
      error: record("e"),
      warn: record("w"),
      info: record("i"),
      verbose: record("v"),
    });
    const options = msalLoggerOptions(log);
    assert.equal(options.piiLoggingEnabled, false);
    assert.equal(options.logLevel, LogLevel.Verbose);
    const callback = options.loggerCallback;
    assert.ok(callback);
    callback(LogLevel.Error, "E", false);
    callback(LogLevel.Warning, "W", false);
    callback(LogLevel.Info, "I", false);
    callback(LogLevel.Verbose, "V", false);
    callback(LogLevel.Trace, "T", false);
    callback(LogLevel.Info, "personal", true);
    assert.deepEqual(lines, [
      "e:graph-obo-auth: msal: E",
      "w:graph-obo-auth: msal: W",
      "i:graph-obo-auth: msal: I",
      "v:graph-obo-auth: msal: V",
      "v:graph-obo-auth: msal: T",
    ]);
    assert.equal(msalLoggerOptions(createLogger({})).logLevel, LogLevel.Warning);
  });
});
