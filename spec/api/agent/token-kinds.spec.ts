import assert from "node:assert/strict";
import { withAgentIdentity, withAgentUser } from "../../../lib/index.js";
import {
  AGENT_A,
  AGENT_B,
  ASSERTION_TYPE,
  EXCHANGE_SCOPE,
  FakeAgentEntra,
  mockGraph,
} from "../../support/agent-entra.js";
import { OTHER_TENANT, TENANT, userToken } from "../../support/tokens.js";
import { agentProvider, graphFor, scopesOf } from "./helpers.js";

const GRAPH_DEFAULT = "https://graph.microsoft.com/.default";
const AGENT_USER_OID = "5e5e5e5e-0000-4000-8000-0000000000aa";

/** A user-assertion accessor that records being called; these token kinds must never call it. */
function watchedAccessor(): { calls: number; read: () => string } {
  const watch = {
    calls: 0,
    read: (): string => {
      watch.calls++;
      throw new Error("the user assertion must not be read");
    },
  };
  return watch;
}

describe("agent identity token kinds", () => {
  describe("app-only", () => {
    it("requests T1, then client credentials as the agent; caches it; never reads the user", async () => {
      const accessor = watchedAccessor();
      const entra = new FakeAgentEntra().expect(2);
      const seen = mockGraph(3);
      const authProvider = agentProvider({ getUserAssertion: accessor.read });
      const graph = graphFor(authProvider);
      const appOnly = withAgentIdentity(AGENT_A, { tokenKind: "app-only" });

      await graph.api("/users").middlewareOptions([appOnly]).get();
      await graph.api("/users").middlewareOptions([appOnly]).get();
      await graph
        .api("/groups")
        .middlewareOptions([withAgentIdentity(AGENT_A, { tokenKind: "app-only" })])
        .get();

      assert.equal(accessor.calls, 0);
      assert.deepEqual(
        entra.requests.map((r) => [r.leg, r.tenant]),
        [
          ["exchange-token", TENANT],
          ["app-only", TENANT],
        ],
      );
      const [t1, app] = entra.requests;
      assert.equal(t1?.form.fmi_path, AGENT_A);
      const form = app?.form ?? {};
      assert.equal(form.client_id, AGENT_A);
      assert.equal(form.grant_type, "client_credentials");
      assert.equal(form.scope, GRAPH_DEFAULT);
      assert.equal(form.client_assertion_type, ASSERTION_TYPE);
      assert.equal(form.client_assertion, t1.issued);
      assert.equal(form.fmi_path, undefined);
      assert.equal(form.assertion, undefined);
      assert.equal(form.requested_token_use, undefined);
      assert.deepEqual(
        seen.map((hit) => [hit.oid, hit.azp]),
        [
          [AGENT_A, AGENT_A],
          [AGENT_A, AGENT_A],
          [AGENT_A, AGENT_A],
        ],
      );
      assert.equal(authProvider.stats().tokenRequests, 2);
    });

    it("uses the provider's default agent identity with tokenKind alone", async () => {
      const entra = new FakeAgentEntra().expect(2);
      const token = await agentProvider({ agentIdentity: AGENT_B }).getAccessToken({
        tokenKind: "app-only",
        scopes: ["https://graph.microsoft.com/.default"],
      });
      assert.equal(entra.of("app-only")[0]?.form.client_id, AGENT_B);
      assert.equal(entra.of("app-only")[0]?.issued, token);
    });

    it("accepts the provider's own tenant, named explicitly, on a single-tenant provider", async () => {
      const entra = new FakeAgentEntra().expect(2);
      await agentProvider().getAccessToken({
        agentIdentity: AGENT_A,
        tokenKind: "app-only",
        tenantId: TENANT.toUpperCase(),
      });
      assert.deepEqual(
        entra.requests.map((r) => r.tenant),
        [TENANT, TENANT],
      );
    });

    it("goes to the given tenant on a multi-tenant provider", async () => {
      const entra = new FakeAgentEntra().expect(2);
      await agentProvider({ tenantId: "organizations" }).getAccessToken({
        agentIdentity: AGENT_A,
        tokenKind: "app-only",
        tenantId: OTHER_TENANT,
      });
      assert.deepEqual(
        entra.requests.map((r) => r.tenant),
        [OTHER_TENANT, OTHER_TENANT],
      );
    });
  });

  describe("agent user (user_fic)", () => {
    it("by UPN: T1, then T2 as the agent, then user_fic with T2; cached; never reads the user", async () => {
      const accessor = watchedAccessor();
      const entra = new FakeAgentEntra().expect(3);
      const seen = mockGraph(3);
      const authProvider = agentProvider({
        agentIdentity: AGENT_A,
        getUserAssertion: accessor.read,
      });
      const graph = graphFor(authProvider);
      const asAgentUser = withAgentUser(AGENT_A, { upn: "Agent.User@contoso.com" });

      await graph.api("/me/messages").middlewareOptions([asAgentUser]).get();
      await graph.api("/me").middlewareOptions([asAgentUser]).get();
      await graph
        .api("/me")
        .middlewareOptions([withAgentUser(AGENT_A, { upn: "agent.user@CONTOSO.com" })])
        .get();

      assert.equal(accessor.calls, 0);
      assert.deepEqual(
        entra.requests.map((r) => [r.leg, r.tenant]),
        [
          ["exchange-token", TENANT],
          ["agent-user-credential", TENANT],
          ["agent-user", TENANT],
        ],
      );
      const [t1, t2, fic] = entra.requests;
      assert.equal(t1?.form.fmi_path, AGENT_A);

      const t2Form = t2?.form ?? {};
      assert.equal(t2Form.client_id, AGENT_A);
      assert.equal(t2Form.grant_type, "client_credentials");
      assert.equal(t2Form.scope, EXCHANGE_SCOPE);
      assert.equal(t2Form.client_assertion_type, ASSERTION_TYPE);
      assert.equal(t2Form.client_assertion, t1.issued);
      assert.equal(t2Form.fmi_path, undefined, "T2 has no fmi_path");

      const ficForm = fic?.form ?? {};
      assert.equal(ficForm.client_id, AGENT_A);
      assert.equal(ficForm.grant_type, "user_fic");
      assert.equal(ficForm.username, "Agent.User@contoso.com");
      assert.equal(ficForm.user_id, undefined);
      assert.equal(ficForm.user_federated_identity_credential, t2?.issued);
      assert.equal(ficForm.client_assertion_type, ASSERTION_TYPE);
      assert.equal(ficForm.client_assertion, t1.issued);
      assert.ok(scopesOf(ficForm).includes(GRAPH_DEFAULT));
      assert.equal(ficForm.assertion, undefined);

      for (const hit of seen) assert.equal(hit.token, fic?.issued);
    });

    it("by object id, through getAccessToken, cached per agent user", async () => {
      const entra = new FakeAgentEntra().expect(4); // T1, T2 once, then user_fic per agent user
      const authProvider = agentProvider({ agentIdentity: AGENT_A });
      const other = "5e5e5e5e-0000-4000-8000-0000000000bb";
      const first = await authProvider.getAccessToken({ agentUser: { objectId: AGENT_USER_OID } });
      const again = await authProvider.getAccessToken({
        agentUser: { objectId: AGENT_USER_OID.toUpperCase() },
        tokenKind: "agent-user",
      });
      const second = await authProvider.getAccessToken({ agentUser: { objectId: other } });
      assert.equal(first, again);
      assert.notEqual(first, second);
      const fics = entra.of("agent-user");
      assert.deepEqual(
        fics.map((r) => r.form.user_id),
        [AGENT_USER_OID, other],
      );
      assert.equal(fics[0]?.form.username, undefined);
      const credentials = entra.of("agent-user-credential");
      assert.equal(credentials.length, 1, "the agent's T2 is reused by every agent user");
      assert.deepEqual(
        fics.map((r) => r.form.user_federated_identity_credential),
        [credentials[0]?.issued, credentials[0]?.issued],
      );
    });
  });

  it("serves the three kinds of one agent from one T1, each cached on its own", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const entra = new FakeAgentEntra().expect(5); // T1, OBO, app-only, T2, user_fic
    const authProvider = agentProvider({ agentIdentity: AGENT_A, getUserAssertion: () => alice });
    const calls = () =>
      Promise.all([
        authProvider.getAccessToken(),
        authProvider.getAccessToken({ tokenKind: "app-only" }),
        authProvider.getAccessToken({ agentUser: { upn: "agent@contoso.com" } }),
      ]);
    const first = await calls();
    const second = await calls();
    assert.deepEqual(second, first);
    assert.equal(new Set(first).size, 3);
    assert.equal(entra.of("exchange-token").length, 1);
    assert.deepEqual(entra.requests.map((r) => r.leg).sort(), [
      "agent-user",
      "agent-user-credential",
      "app-only",
      "exchange-token",
      "obo",
    ]);
  });
});
