import assert from "node:assert/strict";
import { OnBehalfOfError } from "../../../lib/index.js";
import {
  OnBehalfOfRequestOption,
  agentIdentityOption,
  agentUserOption,
  onBehalfOfOption,
  withoutAgentIdentityOption,
} from "../../../lib/kiota.js";
import { AGENT_A, AGENT_B, FakeAgentEntra, mockGraph } from "../../support/agent-entra.js";
import { API_CLIENT_ID, TENANT, userToken } from "../../support/tokens.js";
import { kiotaGraph, oboProvider } from "./helpers.js";

const AGENT_USER_OID = "5e5e5e5e-0000-4000-8000-0000000000aa";

describe("Kiota request options for agent identities", () => {
  it("acts as the default agent, as another agent per request, and opts out per request", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    // A: T1 + OBO; B: T1 + OBO; plain OBO as the blueprint: 1
    const entra = new FakeAgentEntra().expect(5);
    const seen = mockGraph(5);
    const graph = kiotaGraph(
      oboProvider({ agentIdentity: AGENT_A, getUserAssertion: () => alice }),
    );

    await graph.me.get();
    await graph.me.manager.get({ options: [agentIdentityOption(AGENT_B)] });
    await graph.me.get();
    await graph.me.get({ options: [withoutAgentIdentityOption()] });
    await graph.me.manager.get();

    assert.deepEqual(
      seen.map((hit) => [hit.path, hit.azp]),
      [
        ["/v1.0/me", AGENT_A],
        ["/v1.0/me/manager", AGENT_B],
        ["/v1.0/me", AGENT_A],
        ["/v1.0/me", API_CLIENT_ID],
        ["/v1.0/me/manager", AGENT_A],
      ],
    );
    for (const hit of seen) assert.equal(hit.oid, "alice");
    assert.deepEqual(
      entra.requests.map((r) => [r.leg, r.form.client_id]),
      [
        ["exchange-token", API_CLIENT_ID],
        ["obo", AGENT_A],
        ["exchange-token", API_CLIENT_ID],
        ["obo", AGENT_B],
        ["obo", API_CLIENT_ID],
      ],
    );
  });

  it("gets an agent's app-only and agent-user tokens, without reading the user", async () => {
    let reads = 0;
    // T1 once; app-only; T2 + user_fic
    const entra = new FakeAgentEntra().expect(4);
    const seen = mockGraph(3);
    const graph = kiotaGraph(
      oboProvider({
        getUserAssertion: () => {
          reads++;
          return undefined;
        },
      }),
    );

    await graph.users.get({ options: [agentIdentityOption(AGENT_A, { tokenKind: "app-only" })] });
    await graph.users.get({
      options: [agentIdentityOption(AGENT_A, { tokenKind: "app-only", tenantId: undefined })],
    });
    await graph.me.get({
      options: [agentUserOption(AGENT_A, { objectId: AGENT_USER_OID }, { scopes: undefined })],
    });

    assert.equal(reads, 0);
    assert.deepEqual(
      entra.requests.map((r) => r.leg),
      ["exchange-token", "app-only", "agent-user-credential", "agent-user"],
    );
    assert.deepEqual(
      seen.map((hit) => [hit.path, hit.oid, hit.azp]),
      [
        ["/v1.0/users", AGENT_A, AGENT_A],
        ["/v1.0/users", AGENT_A, AGENT_A],
        ["/v1.0/me", AGENT_USER_OID, AGENT_A],
      ],
    );
  });

  it("carries per-request scopes and user assertion", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const bob = await userToken({ oid: "bob", tid: TENANT });
    const entra = new FakeAgentEntra().expect(3);
    const seen = mockGraph(2);
    const graph = kiotaGraph(oboProvider({ getUserAssertion: () => alice }));

    await graph.me.get({
      options: [agentIdentityOption(AGENT_B, { userAssertion: bob, scopes: ["User.Read"] })],
    });
    await graph.me.get({ options: [onBehalfOfOption({ scopes: ["Mail.Read"] })] });

    assert.deepEqual(
      seen.map((hit) => [hit.oid, hit.azp]),
      [
        ["bob", AGENT_B],
        ["alice", API_CLIENT_ID],
      ],
    );
    const [, asAgent, plain] = entra.requests;
    assert.match(asAgent?.form.scope ?? "", /\bUser\.Read\b/);
    assert.match(plain?.form.scope ?? "", /\bMail\.Read\b/);
  });

  it("rejects a malformed option before any network call", async () => {
    const graph = kiotaGraph(oboProvider());
    await assert.rejects(
      graph.me.get({ options: [agentIdentityOption("not-a-guid")] }),
      (error: unknown) =>
        error instanceof OnBehalfOfError &&
        error.code === "ERR_OBO_CONFIGURATION" &&
        error.option === "agentIdentity",
    );
  });

  it("stores one frozen option per request under its key", () => {
    const option = agentIdentityOption(AGENT_A, { tokenKind: "app-only", scopes: undefined });
    assert.equal(option.getKey(), OnBehalfOfRequestOption.KEY);
    assert.ok(Object.isFrozen(option.tokenOptions));
    assert.deepEqual(option.tokenOptions, { tokenKind: "app-only", agentIdentity: AGENT_A });
    assert.deepEqual(withoutAgentIdentityOption().tokenOptions, { agentIdentity: null });
    assert.deepEqual(agentUserOption(AGENT_B, { upn: "agent@contoso.com" }).tokenOptions, {
      agentIdentity: AGENT_B,
      agentUser: { upn: "agent@contoso.com" },
    });
  });
});
