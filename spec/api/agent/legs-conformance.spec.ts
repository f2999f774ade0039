import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { AGENT_A, FakeAgentEntra } from "../../support/agent-entra.js";
import { entraError, mockTokenError } from "../../support/entra.js";
import { TENANT, userToken } from "../../support/tokens.js";
import { agentProvider, rejectsWithCode } from "./helpers.js";

const AGENT_USER = "5e5e5e5e-0000-4000-8000-0000000000cc";

/** The capabilities a token request declared, from MSAL's `claims` parameter. */
function capabilitiesOf(form: Record<string, string>): unknown {
  if (form.claims === undefined) return undefined;
  const claims = JSON.parse(form.claims) as { access_token?: { xms_cc?: unknown } };
  return claims.access_token?.xms_cc;
}

describe("agent legs: correlation ids and client capabilities", () => {
  it("sends the caller's correlation id on every leg of an acquisition, and logs it", async () => {
    const lines: string[] = [];
    const entra = new FakeAgentEntra().expect(5); // T1, OBO, T2, user_fic, app-only
    const authProvider = agentProvider({
      agentIdentity: AGENT_A,
      logger: { info: (line) => lines.push(line) },
    });
    const correlationId = randomUUID();
    const alice = await userToken({ oid: "alice", tid: TENANT });
    await authProvider.getAccessToken({ userAssertion: alice, correlationId });
    await authProvider.getAccessToken({ agentUser: { objectId: AGENT_USER }, correlationId });
    const other = randomUUID();
    await authProvider.getAccessToken({ tokenKind: "app-only", correlationId: other });
    assert.deepEqual(
      entra.requests.map((r) => [r.leg, r.form["client-request-id"]]),
      [
        ["exchange-token", correlationId],
        ["obo", correlationId],
        ["agent-user-credential", correlationId],
        ["agent-user", correlationId],
        ["app-only", other],
      ],
    );
    assert.equal(lines.filter((line) => line.includes(correlationId)).length, 4);
  });

  it("sets the caller's correlation id on errors, and refuses one that is not a GUID", async () => {
    new FakeAgentEntra().expect(1); // T1
    mockTokenError(400, entraError("invalid_grant", 50013)); // the agent's On-Behalf-Of
    const authProvider = agentProvider({ agentIdentity: AGENT_A });
    const correlationId = randomUUID();
    const error = await rejectsWithCode(
      authProvider.getAccessToken({
        userAssertion: await userToken({ oid: "bob", tid: TENANT }),
        correlationId,
      }),
      "ERR_OBO_TOKEN_REQUEST_FAILED",
    );
    assert.equal(error.correlationId, correlationId);
    const refused = await rejectsWithCode(
      authProvider.getAccessToken({ correlationId: "request-42" }),
      "ERR_OBO_CONFIGURATION",
    );
    assert.equal(refused.option, "correlationId");
  });

  it("declares cp1 on the legs whose token goes to a resource, never on the credentials T1 and T2", async () => {
    const entra = new FakeAgentEntra().expect(5);
    const authProvider = agentProvider({ agentIdentity: AGENT_A, clientCapabilities: ["cp1"] });
    await authProvider.getAccessToken({
      userAssertion: await userToken({ oid: "carol", tid: TENANT }),
    });
    await authProvider.getAccessToken({ tokenKind: "app-only" });
    await authProvider.getAccessToken({ agentUser: { objectId: AGENT_USER } });
    assert.deepEqual(
      entra.requests.map((r) => [r.leg, capabilitiesOf(r.form)]),
      [
        ["exchange-token", undefined],
        ["obo", { values: ["cp1"] }],
        ["app-only", { values: ["cp1"] }],
        ["agent-user-credential", undefined],
        ["agent-user", { values: ["cp1"] }],
      ],
    );
  });

  it("reuses the agent's T2 across its users until it expires", async () => {
    const entra = new FakeAgentEntra().expect(5); // T1, T2, three user_fic
    const authProvider = agentProvider({ agentIdentity: AGENT_A });
    for (const suffix of ["d1", "d2", "d3"]) {
      await authProvider.getAccessToken({
        agentUser: { objectId: `5e5e5e5e-0000-4000-8000-0000000000${suffix}` },
      });
    }
    assert.equal(entra.of("agent-user-credential").length, 1);
    assert.equal(entra.of("agent-user").length, 3);
  });
});
