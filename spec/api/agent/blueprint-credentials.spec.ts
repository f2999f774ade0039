import assert from "node:assert/strict";
import nock from "nock";
import { AGENT_A, ASSERTION_TYPE, FakeAgentEntra } from "../../support/agent-entra.js";
import { entraError, mockTokenError } from "../../support/entra.js";
import { OTHER_TENANT, TENANT, userToken } from "../../support/tokens.js";
import { BLUEPRINT_ID, agentProvider, rejectsWithCode } from "./helpers.js";

describe("the blueprint's credential on the T1 leg", () => {
  it("a federated assertion callback (managed identity) is asked once per T1, for the agent's tenant", async () => {
    const asked: { clientId: string; tokenEndpoint?: string }[] = [];
    const users = await Promise.all(
      ["alice", "bob"].map((oid) => userToken({ oid, tid: OTHER_TENANT })),
    );
    const entra = new FakeAgentEntra().expect(3); // T1 + 2 OBO
    const authProvider = agentProvider({
      tenantId: "organizations",
      clientSecret: undefined,
      clientAssertion: (context) => {
        asked.push(context);
        return Promise.resolve("managed-identity-token");
      },
      agentIdentity: AGENT_A,
    });
    for (const user of users) await authProvider.getAccessToken({ userAssertion: user });

    assert.deepEqual(asked, [
      {
        clientId: BLUEPRINT_ID,
        tokenEndpoint: `https://login.microsoftonline.com/${OTHER_TENANT}/oauth2/v2.0/token`,
      },
    ]);
    const [t1, ...obos] = entra.requests;
    assert.equal(t1?.form.client_assertion, "managed-identity-token");
    assert.equal(t1.form.client_assertion_type, ASSERTION_TYPE);
    for (const obo of obos) assert.equal(obo.form.client_assertion, t1.issued);
  });

  it("a fixed assertion string is sent on the T1 leg only", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const entra = new FakeAgentEntra().expect(2);
    await agentProvider({
      clientSecret: undefined,
      clientAssertion: "workload-identity-token",
      agentIdentity: AGENT_A,
    }).getAccessToken({ userAssertion: alice });
    assert.equal(entra.requests[0]?.form.client_assertion, "workload-identity-token");
    assert.equal(entra.requests[1]?.form.client_assertion, entra.requests[0].issued);
  });

  it("a failing assertion callback fails the T1 leg, with the failure as cause", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const failure = new Error("IMDS unreachable");
    const authProvider = agentProvider({
      clientSecret: undefined,
      clientAssertion: () => Promise.reject(failure),
      agentIdentity: AGENT_A,
    });
    const error = await rejectsWithCode(
      authProvider.getAccessToken({ userAssertion: alice }),
      "ERR_OBO_TOKEN_REQUEST_FAILED",
    );
    assert.equal(error.leg, "exchange-token");
    assert.equal(error.cause, failure);
    assert.match(error.message, /exchange token \(T1\)/);
  });

  it("an empty assertion from the callback is a configuration error", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const error = await rejectsWithCode(
      agentProvider({
        clientSecret: undefined,
        clientAssertion: () => "",
        agentIdentity: AGENT_A,
      }).getAccessToken({ userAssertion: alice }),
      "ERR_OBO_CONFIGURATION",
    );
    assert.equal(error.option, "clientAssertion");
  });
});

describe("agent legs: other failures", () => {
  it("an unreachable token endpoint fails the agent's leg with MSAL's error as cause", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    new FakeAgentEntra().expect(1);
    nock("https://login.microsoftonline.com")
      .post(/\/oauth2\/v2\.0\/token/)
      .query(true)
      .replyWithError("connect ECONNREFUSED");
    const error = await rejectsWithCode(
      agentProvider({ agentIdentity: AGENT_A }).getAccessToken({ userAssertion: alice }),
      "ERR_OBO_TOKEN_REQUEST_FAILED",
    );
    assert.equal(error.leg, "obo");
    assert.match(error.message, /^MSAL failed in the On-Behalf-Of exchange/);
    assert.ok(error.cause instanceof Error);
  });

  it("consent missing for the agent identity (AADSTS82014) says an administrator must grant it, not sign in again", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    new FakeAgentEntra().expect(1);
    // Agents cannot be granted consent interactively: Entra answers AADSTS82014
    // (https://learn.microsoft.com/entra/agent-id/agent-on-behalf-of-oauth-flow), not 65001.
    mockTokenError(400, entraError("invalid_grant", 82014));
    const error = await rejectsWithCode(
      agentProvider({ agentIdentity: AGENT_A }).getAccessToken({ userAssertion: alice }),
      "ERR_OBO_TOKEN_REQUEST_FAILED",
    );
    assert.equal(error.leg, "obo");
    assert.equal(error.aadsts, 82014);
    assert.match(error.message, /administrator must grant/);
    assert.equal(error.claims, undefined);
  });
});
