import assert from "node:assert/strict";
import { AuthenticationHandlerOptions } from "@microsoft/microsoft-graph-client";
import { withTokenOptions } from "../../../lib/index.js";
import { AGENT_A, AGENT_B, FakeAgentEntra, mockGraph } from "../../support/agent-entra.js";
import { TENANT, userToken } from "../../support/tokens.js";
import {
  BLUEPRINT_ID,
  agentProvider,
  graphFor,
  rejectsWithCode,
  scopesOf,
} from "../../api/agent/helpers.js";

describe("withTokenOptions: every per-request option, typed, through the Graph client", () => {
  it("carries the agent choice, scopes and user assertion of one request, and nothing to the next", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const bob = await userToken({ oid: "bob", tid: TENANT });
    // B for bob: T1 + OBO; A (the default) for alice: T1 + OBO; plain OBO for alice: 1
    const entra = new FakeAgentEntra().expect(5);
    const seen = mockGraph(3);
    const graph = graphFor(
      agentProvider({ agentIdentity: AGENT_A, getUserAssertion: () => alice }),
    );

    await graph
      .api("/me")
      .middlewareOptions([
        withTokenOptions({ agentIdentity: AGENT_B, scopes: ["Mail.Read"], userAssertion: bob }),
      ])
      .get();
    await graph.api("/me").get();
    await graph
      .api("/me")
      .middlewareOptions([withTokenOptions({ agentIdentity: null })])
      .get();

    assert.deepEqual(
      seen.map((hit) => [hit.oid, hit.azp]),
      [
        ["bob", AGENT_B],
        ["alice", AGENT_A],
        ["alice", BLUEPRINT_ID],
      ],
    );
    const [first] = entra.of("obo");
    assert.ok(scopesOf(first?.form ?? {}).includes("Mail.Read"));
    assert.equal(first?.form.assertion, bob);
  });

  it("is the Graph client's AuthenticationHandlerOptions, frozen, with the client's provider", () => {
    const option = withTokenOptions({ agentIdentity: AGENT_A, tokenKind: "app-only" });
    assert.ok(option instanceof AuthenticationHandlerOptions);
    assert.equal(option.authenticationProvider, undefined);
    assert.deepEqual(option.authenticationProviderOptions, {
      agentIdentity: AGENT_A,
      tokenKind: "app-only",
    });
    assert.ok(Object.isFrozen(option.authenticationProviderOptions));
  });

  it("refuses a contradictory choice before any network call, bystanders served", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const entra = new FakeAgentEntra().expect(2);
    const seen = mockGraph(1);
    const graph = graphFor(
      agentProvider({ agentIdentity: AGENT_A, getUserAssertion: () => alice }),
    );
    const [refused] = await Promise.allSettled([
      graph
        .api("/me")
        .middlewareOptions([withTokenOptions({ agentIdentity: null, tokenKind: "app-only" })])
        .get(),
      graph.api("/me").get(),
    ]);
    await rejectsWithCode(
      refused.status === "rejected" ? Promise.reject(refused.reason as Error) : Promise.resolve(),
      "ERR_OBO_CONFIGURATION",
    );
    assert.equal(seen.length, 1, "the bystander's request was served");
    assert.equal(entra.requests.length, 2);
  });
});
