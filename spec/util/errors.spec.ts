import assert from "node:assert/strict";
import { GraphClientError } from "@microsoft/microsoft-graph-client";
import { OnBehalfOfError, isOnBehalfOfError } from "../../lib/index.js";

describe("OnBehalfOfError", () => {
  it("is a GraphClientError and an Error, with its own name, code and non-enumerable cause", () => {
    const cause = new Error("root");
    const error = new OnBehalfOfError("ERR_OBO_TOKEN_REQUEST_FAILED", "failed", {
      cause,
      aadsts: 50013,
    });
    assert.ok(error instanceof OnBehalfOfError);
    assert.ok(error instanceof GraphClientError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "OnBehalfOfError");
    assert.equal(error.code, "ERR_OBO_TOKEN_REQUEST_FAILED");
    assert.equal(error.cause, cause);
    assert.equal(error.aadsts, 50013);
    assert.ok(!Object.keys(error).includes("cause"));
    assert.match(String(error.stack), /OnBehalfOfError/);
  });

  it("is recognised by isOnBehalfOfError, also from another copy, and by code", () => {
    const error = new OnBehalfOfError("ERR_OBO_CONFIGURATION", "bad");
    assert.ok(isOnBehalfOfError(error));
    assert.ok(isOnBehalfOfError(error, "ERR_OBO_CONFIGURATION"));
    assert.ok(!isOnBehalfOfError(error, "ERR_OBO_TIMEOUT"));
    const foreign = { name: "OnBehalfOfError", code: "ERR_OBO_TIMEOUT", message: "x" };
    assert.ok(isOnBehalfOfError(foreign, "ERR_OBO_TIMEOUT"));
    assert.ok(!isOnBehalfOfError({ name: "Error", code: "ERR_OBO_TIMEOUT" }));
    assert.ok(!isOnBehalfOfError("ERR_OBO_TIMEOUT"));
    assert.ok(!isOnBehalfOfError(null));
  });
});
