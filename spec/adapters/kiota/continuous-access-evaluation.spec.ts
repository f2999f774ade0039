import assert from "node:assert/strict";
import nock from "nock";
import { agentIdentityOption } from "../../../lib/kiota.js";
import { AGENT_B, FakeAgentEntra, mockGraph } from "../../support/agent-entra.js";
import { claimsChallengeResponse, isOnBehalfOfError } from "../../../lib/index.js";
import {
  claimsOf,
  entraError,
  mockGraphMe,
  mockOboEndpoint,
  mockTokenError,
} from "../../support/entra.js";
import { TENANT, userToken } from "../../support/tokens.js";
import { authorizationOf, kiotaGraph, oboProvider } from "./helpers.js";

const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1635527790"}}}';
const CHALLENGE = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${Buffer.from(CLAIMS).toString("base64")}"`;
const CAE_BODY = {
  error: {
    code: "InvalidAuthenticationToken",
    message:
      "Continuous access evaluation resulted in claims challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp",
  },
};

/** Graph answers `times` GETs of `path` with a CAE challenge; returns the tokens it was sent. */
function challengeOnce(path: string, times = 1): string[] {
  const stale: string[] = [];
  nock("https://graph.microsoft.com")
    .get(path)
    .times(times)
    .reply(function () {
      stale.push((authorizationOf(this.req.headers) ?? "").replace(/^Bearer /, ""));
      return [401, CAE_BODY, { "WWW-Authenticate": CHALLENGE }];
    });
  return stale;
}

/** The `access_token` claims of a token request's `claims` parameter. */
function accessTokenClaims(form: Record<string, string>): Record<string, unknown> {
  const parsed = JSON.parse(form.claims ?? "{}") as { access_token?: Record<string, unknown> };
  return parsed.access_token ?? {};
}

describe("Continuous Access Evaluation through @microsoft/msgraph-sdk", () => {
  it("retries once with a token acquired for the challenge's claims, which replaces the cached one", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const exchanges = mockOboEndpoint({ times: 2 });
    const stale = challengeOnce("/v1.0/me");
    const seen = mockGraphMe(2);
    const graph = kiotaGraph(
      oboProvider({ clientCapabilities: ["cp1"], getUserAssertion: () => alice }),
    );

    const me = await graph.me.get();
    const again = await graph.me.get();

    assert.equal(me?.id, "alice");
    assert.equal(again?.id, "alice");
    assert.equal(exchanges.length, 2);
    assert.deepEqual(accessTokenClaims(exchanges[0]?.form ?? {}).xms_cc, { values: ["cp1"] });
    const challenged = accessTokenClaims(exchanges[1]?.form ?? {});
    assert.deepEqual(challenged.nbf, { essential: true, value: "1635527790" });
    assert.deepEqual(challenged.xms_cc, { values: ["cp1"] }, "MSAL merges the capabilities in");
    const [retry, later] = seen;
    assert.ok(retry !== undefined && later !== undefined && stale[0] !== undefined);
    assert.notEqual(retry.token, stale[0], "the retry carried the new token, not the revoked one");
    assert.equal(claimsOf(retry.token).oid, "alice");
    assert.equal(later.token, retry.token, "the new token replaced the cached one");
  });

  it("keeps the request's agent identity on the retry", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    // T1 for B, OBO as B, OBO as B again with the claims (T1 from the cache)
    const entra = new FakeAgentEntra().expect(3);
    const stale = challengeOnce("/v1.0/me/manager");
    const seen = mockGraph(1);
    const graph = kiotaGraph(
      oboProvider({ clientCapabilities: ["cp1"], getUserAssertion: () => alice }),
    );

    await graph.me.manager.get({ options: [agentIdentityOption(AGENT_B)] });

    assert.deepEqual(
      entra.requests.map((r) => [r.leg, r.form.client_id, r.form.claims?.includes("1635527790")]),
      [
        ["exchange-token", entra.requests[0]?.form.client_id, undefined],
        ["obo", AGENT_B, false],
        ["obo", AGENT_B, true],
      ],
    );
    assert.equal(claimsOf(stale[0] ?? "").azp, AGENT_B);
    const [hit] = seen;
    assert.ok(hit);
    assert.equal(hit.azp, AGENT_B);
    assert.equal(hit.oid, "alice");
    assert.notEqual(hit.token, stale[0]);
  });

  it("rejects with ERR_OBO_INTERACTION_REQUIRED when Entra wants the user for those claims", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    mockOboEndpoint();
    challengeOnce("/v1.0/me");
    const demanded = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
    const refused = mockTokenError(
      400,
      entraError("interaction_required", 50079, { claims: demanded }),
    );
    const graph = kiotaGraph(
      oboProvider({ clientCapabilities: ["cp1"], getUserAssertion: () => alice }),
    );

    const error: unknown = await graph.me.get().then(
      () => assert.fail("expected a rejection"),
      (reason: unknown) => reason,
    );

    assert.ok(isOnBehalfOfError(error, "ERR_OBO_INTERACTION_REQUIRED"));
    assert.equal(error.claims, demanded);
    assert.ok(refused[0]?.form.claims?.includes("1635527790"), "Graph's claims were asked for");
    const challenge = claimsChallengeResponse(error);
    assert.ok(challenge);
    assert.equal(challenge.status, 401);
    assert.match(challenge.headers["WWW-Authenticate"], /error="insufficient_claims"/);
  });

  it("retries only once: a second challenge reaches the caller as Graph's 401", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const exchanges = mockOboEndpoint({ times: 2 });
    const stale = challengeOnce("/v1.0/me", 2);
    const graph = kiotaGraph(
      oboProvider({ clientCapabilities: ["cp1"], getUserAssertion: () => alice }),
    );

    await assert.rejects(graph.me.get(), (error: unknown) => {
      assert.equal((error as { responseStatusCode?: unknown }).responseStatusCode, 401);
      return true;
    });
    assert.equal(exchanges.length, 2);
    assert.equal(stale.length, 2);
    assert.notEqual(stale[0], stale[1]);
  });
});
