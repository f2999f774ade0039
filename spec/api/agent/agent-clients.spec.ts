import assert from "node:assert/strict";
import { AGENT_A, AGENT_B, AGENT_C, FakeAgentEntra } from "../../support/agent-entra.js";
import { TENANT, userToken } from "../../support/tokens.js";
import { agentProvider } from "./helpers.js";

describe("agent identity clients", () => {
  describe("the bound (LRU)", () => {
    it("bounds a provider's agent clients and T1s; tokens stay correct across evictions", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const bob = await userToken({ oid: "bob", tid: TENANT });
      const entra = new FakeAgentEntra().expect(9);
      const authProvider = agentProvider({ maxAgentClients: 2 });
      const asAgent = (userAssertion: string, agentIdentity: string) =>
        authProvider.getAccessToken({ userAssertion, agentIdentity });

      const first = [];
      for (const agent of [AGENT_A, AGENT_B, AGENT_C]) first.push(await asAgent(alice, agent));
      const none = { hits: 0, misses: 0, refreshes: 0, failures: 0, size: 0 };
      assert.deepEqual(authProvider.agentStats(), {
        clients: 2,
        maxClients: 2,
        created: 3,
        evictions: 1,
        exchangeTokens: { hits: 0, misses: 3, refreshes: 0, failures: 0, size: 2 },
        agentCredentials: none,
      });
      const again = [];
      for (const agent of [AGENT_A, AGENT_B, AGENT_C]) again.push(await asAgent(alice, agent));
      assert.deepEqual(again, first, "Graph tokens are cached apart from the clients");
      assert.equal(entra.requests.length, 6);

      await asAgent(bob, AGENT_C); // C's client and T1 are recent: the exchange only
      await asAgent(bob, AGENT_A); // A's were evicted: T1 again, then the exchange
      assert.deepEqual(
        entra.requests.slice(6).map((r) => [r.leg, r.form.fmi_path ?? r.form.client_id]),
        [
          ["obo", AGENT_C],
          ["exchange-token", AGENT_A],
          ["obo", AGENT_A],
        ],
      );
      assert.deepEqual(authProvider.agentStats(), {
        clients: 2,
        maxClients: 2,
        created: 4,
        evictions: 2,
        exchangeTokens: { hits: 1, misses: 4, refreshes: 0, failures: 0, size: 2 },
        agentCredentials: none,
      });
    });

    it("defaults to 1000 clients", () => {
      assert.equal(agentProvider().agentStats().maxClients, 1000);
    });
  });
});
