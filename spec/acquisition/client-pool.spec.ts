import assert from "node:assert/strict";
import { AgentClientPool } from "../../lib/acquisition/client-pool.js";

describe("AgentClientPool", () => {
  it("keeps at most maxAgentClients clients, evicting the least recently used", () => {
    const created: string[] = [];
    const pool = new AgentClientPool(2, (agentId, tenant) => {
      created.push(agentId);
      return { agentId, tenant };
    });
    const a = pool.get("a", "t");
    pool.get("b", "t");
    assert.equal(pool.get("a", "t"), a, "a hit returns the same client");
    pool.get("c", "t"); // evicts b, the least recently used
    pool.get("a", "t");
    pool.get("b", "t"); // re-created; evicts c
    assert.deepEqual(created, ["a", "b", "c", "b"]);
    assert.notEqual(pool.get("a", "u"), a, "one client per agent and tenant");
    assert.deepEqual(pool.stats(), { clients: 2, maxClients: 2, created: 5, evictions: 3 });
  });
});
