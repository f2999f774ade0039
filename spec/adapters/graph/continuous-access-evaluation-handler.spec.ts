import assert from "node:assert/strict";
import nock from "nock";
import type { AuthenticationProvider } from "@microsoft/microsoft-graph-client";
import { OnBehalfOfError } from "../../../lib/util/errors.js";
import { createGraphClient } from "../../../lib/adapters/graph/create-graph-client.js";
import type { ClaimsAuthenticationProviderOptions } from "../../../lib/adapters/graph/continuous-access-evaluation-handler.js";

const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1635527790"}}}';
const CHALLENGE = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="${Buffer.from(CLAIMS).toString("base64")}"`;
const CAE_BODY = {
  error: {
    code: "InvalidAuthenticationToken",
    message:
      "Continuous access evaluation resulted in claims challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp",
  },
};

/** A provider that records what it was asked and returns "stale" or "fresh-<n>" tokens. */
function recordingProvider(): AuthenticationProvider & {
  calls: (ClaimsAuthenticationProviderOptions | undefined)[];
} {
  const calls: (ClaimsAuthenticationProviderOptions | undefined)[] = [];
  return {
    calls,
    getAccessToken: (options?: ClaimsAuthenticationProviderOptions) => {
      calls.push(options === undefined ? undefined : { ...options });
      return Promise.resolve(options?.claims === undefined ? "stale" : `fresh-${calls.length}`);
    },
  };
}

describe("ContinuousAccessEvaluationHandler (createGraphClient)", () => {
  it("retries once with a token acquired for the claims Graph asked for", async () => {
    const seen: string[] = [];
    nock("https://graph.microsoft.com")
      .post("/v1.0/me/sendMail")
      .reply(function () {
        seen.push(String(this.req.headers.authorization));
        return [401, CAE_BODY, { "WWW-Authenticate": CHALLENGE }];
      })
      .post("/v1.0/me/sendMail", { message: { subject: "hi" } })
      .reply(function () {
        seen.push(String(this.req.headers.authorization));
        return [202, ""];
      });
    const provider = recordingProvider();
    const graph = createGraphClient({ authProvider: provider });
    await graph.api("/me/sendMail").post({ message: { subject: "hi" } });
    assert.deepEqual(
      seen,
      ["Bearer stale", "Bearer fresh-2"],
      "the stale header is replaced, not appended to",
    );
    assert.equal(provider.calls[1]?.claims, CLAIMS);
  });

  it("keeps per-request provider options on the retry", async () => {
    nock("https://graph.microsoft.com")
      .get("/v1.0/me")
      .reply(401, CAE_BODY, { "WWW-Authenticate": CHALLENGE })
      .get("/v1.0/me")
      .reply(200, { id: "alice" });
    const provider = recordingProvider();
    const { AuthenticationHandlerOptions } = await import("@microsoft/microsoft-graph-client");
    const graph = createGraphClient({ authProvider: provider });
    await graph
      .api("/me")
      .middlewareOptions([new AuthenticationHandlerOptions(undefined, { scopes: ["User.Read"] })])
      .get();
    assert.deepEqual(provider.calls, [
      { scopes: ["User.Read"] },
      { scopes: ["User.Read"], claims: CLAIMS },
    ]);
  });

  it("fails with ERR_OBO_INTERACTION_REQUIRED, carrying the claims, when the retry is challenged too", async () => {
    nock("https://graph.microsoft.com")
      .get("/v1.0/me")
      .times(2)
      .reply(401, CAE_BODY, { "WWW-Authenticate": CHALLENGE });
    const provider = recordingProvider();
    const graph = createGraphClient({ authProvider: provider });
    await assert.rejects(graph.api("/me").get(), (error: unknown) => {
      assert.ok(error instanceof OnBehalfOfError);
      assert.equal(error.code, "ERR_OBO_INTERACTION_REQUIRED");
      assert.equal(error.claims, CLAIMS);
      return true;
    });
    assert.equal(provider.calls.length, 2, "exactly one retry");
  });

  it("leaves a 401 without a claims challenge to the caller", async () => {
    nock("https://graph.microsoft.com")
      .get("/v1.0/me")
      .reply(
        401,
        { error: { code: "InvalidAuthenticationToken", message: "expired" } },
        { "WWW-Authenticate": 'Bearer error="invalid_token"' },
      );
    const provider = recordingProvider();
    await assert.rejects(createGraphClient({ authProvider: provider }).api("/me").get(), {
      statusCode: 401,
    });
    assert.equal(provider.calls.length, 1);
  });

  it("lets the provider's error through unchanged", async () => {
    const failure = new OnBehalfOfError("ERR_OBO_USER_ASSERTION_MISSING", "none");
    const graph = createGraphClient({
      authProvider: { getAccessToken: () => Promise.reject(failure) },
    });
    await assert.rejects(graph.api("/me").get(), (error: unknown) => error === failure);
  });
});
