import assert from "node:assert/strict";
import type { AuthenticationHandlerOptions } from "@microsoft/microsoft-graph-client";
import {
  runWithUserAssertion,
  withAgentIdentity,
  withAgentUser,
  withoutAgentIdentity,
} from "../../../lib/index.js";
import { AGENT_A, AGENT_B, FakeAgentEntra, mockGraph } from "../../support/agent-entra.js";
import { TENANT, userToken } from "../../support/tokens.js";
import { BLUEPRINT_ID, agentProvider, graphFor } from "./helpers.js";

interface Call {
  readonly user: string;
  /** How the request chooses its agent; undefined = the provider's default (AGENT_A). */
  readonly choice: AuthenticationHandlerOptions | undefined;
  /** Who Graph must see: the token's user and client. */
  readonly expected: readonly [oid: string, azp: string];
  readonly path: string;
}

describe("agent identity isolation", () => {
  it("never serves one user's or one agent's token for another, under interleaved concurrency", async () => {
    const users = ["alice", "bob", "carol"];
    const tokens = new Map(
      await Promise.all(
        users.map(async (oid) => [oid, await userToken({ oid, tid: TENANT })] as const),
      ),
    );
    // 2 T1 (A, B) + 9 OBO (3 users × A, B, plain) + 2 app-only (A, B) + T2 and user_fic (A)
    const entra = new FakeAgentEntra().expect(15, { delayMs: 15 });
    const calls: Call[] = [];
    for (const path of ["/me", "/me/manager", "/me", "/me/manager"]) {
      for (const user of users) {
        calls.push({ user, choice: undefined, expected: [user, AGENT_A], path });
        calls.push({ user, choice: withAgentIdentity(AGENT_B), expected: [user, AGENT_B], path });
        calls.push({ user, choice: withoutAgentIdentity(), expected: [user, BLUEPRINT_ID], path });
      }
      calls.push({
        user: "alice",
        choice: withAgentIdentity(AGENT_A, { tokenKind: "app-only" }),
        expected: [AGENT_A, AGENT_A],
        path,
      });
      calls.push({
        user: "bob",
        choice: withAgentIdentity(AGENT_B, { tokenKind: "app-only" }),
        expected: [AGENT_B, AGENT_B],
        path,
      });
      calls.push({
        user: "carol",
        choice: withAgentUser(AGENT_A, { objectId: "5e5e5e5e-0000-4000-8000-0000000000aa" }),
        expected: ["5e5e5e5e-0000-4000-8000-0000000000aa", AGENT_A],
        path,
      });
    }
    const seen = mockGraph(calls.length);
    const authProvider = agentProvider({ agentIdentity: AGENT_A });
    const graph = graphFor(authProvider);

    const results = (await Promise.all(
      calls.map((call) =>
        runWithUserAssertion(tokens.get(call.user) ?? "", () => {
          const request = graph.api(call.path);
          if (call.choice !== undefined) request.middlewareOptions([call.choice]);
          return request.get();
        }),
      ),
    )) as { id: string; azp: string; path: string }[];

    results.forEach((result, i) => {
      const call = calls[i];
      assert.ok(call !== undefined);
      assert.deepEqual(
        [result.id, result.azp, result.path],
        [...call.expected, `/v1.0${call.path}`],
        `call ${i} (${call.user} via ${call.expected[1]})`,
      );
    });
    // Each token reached Graph for exactly one (user, client) pair.
    const owners = new Map<string, string>();
    for (const hit of seen) {
      const owner = `${hit.oid}|${hit.azp}`;
      assert.equal(owners.get(hit.token) ?? owner, owner);
      owners.set(hit.token, owner);
    }
    assert.equal(owners.size, 3 * 3 + 2 + 1);
    assert.equal(entra.of("exchange-token").length, 2, "one T1 per agent, shared by all users");
    assert.equal(authProvider.stats().tokenRequests, 15);
  });

  it("does not let a per-request choice leak into concurrent default requests", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const entra = new FakeAgentEntra().expect(4, { delayMs: 10 });
    const seen = mockGraph(20);
    const graph = graphFor(
      agentProvider({ agentIdentity: AGENT_A, getUserAssertion: () => alice }),
    );
    const override = withAgentIdentity(AGENT_B);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? graph.api("/me").get() : graph.api("/me").middlewareOptions([override]).get(),
      ),
    );
    assert.equal(seen.filter((hit) => hit.azp === AGENT_A).length, 10);
    assert.equal(seen.filter((hit) => hit.azp === AGENT_B).length, 10);
    assert.equal(entra.requests.length, 4, "concurrent misses per agent share one request");
  });
});
