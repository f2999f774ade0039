import assert from "node:assert/strict";
import { inspect } from "node:util";
import { withAgentIdentity, withAgentUser, type OnBehalfOfError } from "../../../lib/index.js";
import { AGENT_A, FakeAgentEntra, mockGraph } from "../../support/agent-entra.js";
import { entraError, mockTokenError } from "../../support/entra.js";
import { CLIENT_SECRET, TENANT, userToken } from "../../support/tokens.js";
import { agentProvider, graphFor, rejectsWithCode } from "./helpers.js";

/** Everything an error shows: message, own fields, and its cause chain as inspected. */
function rendered(error: OnBehalfOfError): string {
  return [error.message, JSON.stringify(error), inspect(error, { depth: 6 })].join("\n");
}

function assertNoSecrets(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    assert.ok(secret.length > 8 && !text.includes(secret), "a token or secret leaked");
  }
}

describe("agent identity errors", () => {
  it("a T1 failure is the exchange-token leg's error, with Entra's details, and no exchange follows", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const sent = mockTokenError(401, entraError("invalid_client", 7000215));
    const authProvider = agentProvider({ agentIdentity: AGENT_A, getUserAssertion: () => alice });
    const error = await rejectsWithCode(
      graphFor(authProvider).api("/me").get() as Promise<unknown>,
      "ERR_OBO_TOKEN_REQUEST_FAILED",
    );
    assert.equal(error.leg, "exchange-token");
    assert.equal(authProvider.agentStats().created, 0, "T1 fails before the agent's leg starts");
    assert.equal(error.error, "invalid_client");
    assert.equal(error.aadsts, 7000215);
    assert.equal(error.correlationId, sent[0]?.form["client-request-id"]);
    assert.equal(sent[0]?.form.fmi_path, AGENT_A);
    assert.match(error.message, /exchange token \(T1\)/);
    assert.equal((error.cause as { errorCode?: string }).errorCode, "invalid_client");
    assertNoSecrets(rendered(error), [alice, CLIENT_SECRET]);
  });

  it("a T1 failure is reported as such for app-only and agent-user tokens too", async () => {
    mockTokenError(400, entraError("unauthorized_client", 82001));
    mockTokenError(400, entraError("unauthorized_client", 82001));
    const authProvider = agentProvider({ agentIdentity: AGENT_A });
    for (const options of [
      { tokenKind: "app-only" as const },
      { agentUser: { upn: "agent@contoso.com" } },
    ]) {
      const error = await rejectsWithCode(
        authProvider.getAccessToken(options),
        "ERR_OBO_TOKEN_REQUEST_FAILED",
      );
      assert.equal(error.leg, "exchange-token");
      assert.equal(error.aadsts, 82001);
    }
  });

  it("an agent On-Behalf-Of failure is the obo leg's, keeps the claims, and leaves T1 cached", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const claims = '{"access_token":{"polids":{"essential":true,"values":["p1"]}}}';
    const entra = new FakeAgentEntra().expect(1); // T1
    mockTokenError(400, entraError("interaction_required", 50079, { claims }));
    entra.expect(1); // OBO again, with the cached T1
    mockGraph(1);
    const graph = graphFor(
      agentProvider({ agentIdentity: AGENT_A, getUserAssertion: () => alice }),
    );

    const error = await rejectsWithCode(
      graph.api("/me").get() as Promise<unknown>,
      "ERR_OBO_INTERACTION_REQUIRED",
    );
    assert.equal(error.leg, "obo");
    assert.equal(error.claims, claims);
    assert.equal(error.aadsts, 50079);
    assertNoSecrets(rendered(error), [alice, ...entra.issued()]);

    await graph.api("/me").get();
    assert.deepEqual(
      entra.requests.map((r) => r.leg),
      ["exchange-token", "obo"],
    );
  });

  it("an app-only failure is the app-only leg's", async () => {
    new FakeAgentEntra().expect(1);
    mockTokenError(400, entraError("invalid_scope", 1002012));
    const error = await rejectsWithCode(
      graphFor(agentProvider())
        .api("/users")
        .middlewareOptions([withAgentIdentity(AGENT_A, { tokenKind: "app-only" })])
        .get() as Promise<unknown>,
      "ERR_OBO_TOKEN_REQUEST_FAILED",
    );
    assert.equal(error.leg, "app-only");
    assert.equal(error.error, "invalid_scope");
    assert.match(error.message, /app-only token/);
  });

  it("a T2 or user_fic failure is the agent-user leg's", async () => {
    const entra = new FakeAgentEntra().expect(1); // T1
    mockTokenError(401, entraError("invalid_client", 700024)); // T2
    entra.expect(1); // T2
    mockTokenError(400, entraError("invalid_grant", 50034)); // user_fic: no such user
    const graph = graphFor(agentProvider());
    const asAgentUser = withAgentUser(AGENT_A, { upn: "nobody@contoso.com" });
    for (const aadsts of [700024, 50034]) {
      const error = await rejectsWithCode(
        graph.api("/me").middlewareOptions([asAgentUser]).get() as Promise<unknown>,
        "ERR_OBO_TOKEN_REQUEST_FAILED",
      );
      assert.equal(error.leg, "agent-user");
      assert.equal(error.aadsts, aadsts);
      assertNoSecrets(rendered(error), entra.issued());
    }
  });

  it("never hands T1, T2, an assertion, a token or the secret to the logger", async () => {
    const lines: string[] = [];
    const record = (message: string) => lines.push(message);
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const entra = new FakeAgentEntra().expect(5);
    mockTokenError(400, entraError("invalid_grant", 50013));
    const authProvider = agentProvider({
      agentIdentity: AGENT_A,
      getUserAssertion: () => alice,
      logger: { error: record, warn: record, info: record, verbose: record },
    });
    const tokens = await Promise.all([
      authProvider.getAccessToken(),
      authProvider.getAccessToken({ tokenKind: "app-only" }),
      authProvider.getAccessToken({ agentUser: { upn: "agent@contoso.com" } }),
    ]);
    const bob = await userToken({ oid: "bob", tid: TENANT });
    await rejectsWithCode(
      authProvider.getAccessToken({ userAssertion: bob }),
      "ERR_OBO_TOKEN_REQUEST_FAILED",
    );
    assert.ok(lines.some((line) => line.includes("exchange token (T1)")));
    assertNoSecrets(lines.join("\n"), [alice, bob, CLIENT_SECRET, ...tokens, ...entra.issued()]);
  });
});
