import assert from "node:assert/strict";
import { AuthenticationHandlerOptions } from "@microsoft/microsoft-graph-client";
import {
  OnBehalfOfAuthenticationProvider,
  withAgentIdentity,
  withAgentUser,
  withoutAgentIdentity,
  type OnBehalfOfTokenOptions,
} from "../../lib/index.js";
import { AGENT_A, AGENT_B, FakeAgentEntra, mockGraph } from "../support/agent-entra.js";
import { CLIENT_SECRET, OTHER_TENANT, TENANT, userToken } from "../support/tokens.js";
import {
  BLUEPRINT_ID,
  agentProvider,
  graphFor,
  rejectsWithCode,
  scopesOf,
} from "../api/agent/helpers.js";

describe("choosing the agent identity", () => {
  describe("per request, through the Graph client", () => {
    it("uses the default, a per-request agent for that request only, and opts out per request", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      // A: T1 + OBO; B: T1 + OBO; plain OBO as the blueprint: 1
      const entra = new FakeAgentEntra().expect(5);
      const seen = mockGraph(5);
      const graph = graphFor(
        agentProvider({ agentIdentity: AGENT_A, getUserAssertion: () => alice }),
      );

      await graph.api("/me").get();
      await graph
        .api("/me/manager")
        .middlewareOptions([withAgentIdentity(AGENT_B)])
        .get();
      await graph.api("/me").get();
      await graph.api("/me").middlewareOptions([withoutAgentIdentity()]).get();
      await graph.api("/me/manager").get();

      assert.deepEqual(
        seen.map((hit) => [hit.path, hit.azp]),
        [
          ["/v1.0/me", AGENT_A],
          ["/v1.0/me/manager", AGENT_B],
          ["/v1.0/me", AGENT_A],
          ["/v1.0/me", BLUEPRINT_ID],
          ["/v1.0/me/manager", AGENT_A],
        ],
      );
      for (const hit of seen) assert.equal(hit.oid, "alice");
      const plain = entra.of("obo").find((r) => r.form.client_id === BLUEPRINT_ID);
      assert.equal(plain?.form.client_secret, CLIENT_SECRET, "plain OBO as the blueprint app");
      assert.equal(plain.form.client_assertion, undefined);
      assert.equal(entra.of("exchange-token").length, 2);
    });

    it("acts as a per-request agent when the provider has no default, and plainly otherwise", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const entra = new FakeAgentEntra().expect(3);
      const seen = mockGraph(3);
      const graph = graphFor(agentProvider({ getUserAssertion: () => alice }));
      await graph.api("/me").get();
      await graph
        .api("/me")
        .middlewareOptions([withAgentIdentity(AGENT_B)])
        .get();
      await graph.api("/me").middlewareOptions([withoutAgentIdentity()]).get();
      assert.deepEqual(
        seen.map((hit) => hit.azp),
        [BLUEPRINT_ID, AGENT_B, BLUEPRINT_ID],
      );
      assert.deepEqual(
        entra.requests.map((r) => r.leg),
        ["obo", "exchange-token", "obo"],
      );
    });

    it("carries per-request scopes and user assertion along with the agent choice", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const bob = await userToken({ oid: "bob", tid: TENANT });
      const entra = new FakeAgentEntra().expect(3);
      const seen = mockGraph(2);
      const graph = graphFor(
        agentProvider({ agentIdentity: AGENT_A, getUserAssertion: () => alice }),
      );
      await graph
        .api("/me")
        .middlewareOptions([
          withAgentIdentity(AGENT_B, { scopes: ["User.Read"], userAssertion: bob }),
        ])
        .get();
      await graph
        .api("/me")
        .middlewareOptions([withoutAgentIdentity({ scopes: ["Mail.Read"] })])
        .get();
      const [agentObo, plainObo] = entra.of("obo");
      assert.ok(scopesOf(agentObo?.form ?? {}).includes("User.Read"));
      assert.equal(agentObo?.form.assertion, bob);
      assert.ok(scopesOf(plainObo?.form ?? {}).includes("Mail.Read"));
      assert.deepEqual(
        seen.map((hit) => [hit.oid, hit.azp]),
        [
          ["bob", AGENT_B],
          ["alice", BLUEPRINT_ID],
        ],
      );
    });
  });

  describe("per request, through getAccessToken", () => {
    it("takes agentIdentity, and null to opt out of the default", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const entra = new FakeAgentEntra().expect(5);
      const authProvider = agentProvider({ agentIdentity: AGENT_A });
      const asA = await authProvider.getAccessToken({ userAssertion: alice });
      const asB = await authProvider.getAccessToken({
        userAssertion: alice,
        agentIdentity: AGENT_B,
      });
      const plain = await authProvider.getAccessToken({
        userAssertion: alice,
        agentIdentity: null,
      });
      const upper = await authProvider.getAccessToken({
        userAssertion: alice,
        agentIdentity: AGENT_B.toUpperCase(),
      });
      assert.equal(new Set([asA, asB, plain]).size, 3);
      assert.equal(upper, asB, "agent ids are case-insensitive");
      assert.equal(entra.requests.length, 5);
    });

    it("hands the Graph client the very options object, with the agent fields", () => {
      const option = withAgentIdentity(AGENT_A, { tokenKind: "app-only", tenantId: TENANT });
      assert.ok(option instanceof AuthenticationHandlerOptions);
      assert.equal(option.authenticationProvider, undefined, "the client's provider is used");
      assert.deepEqual(option.authenticationProviderOptions, {
        tokenKind: "app-only",
        tenantId: TENANT,
        agentIdentity: AGENT_A,
      });
      assert.deepEqual(withoutAgentIdentity().authenticationProviderOptions, {
        agentIdentity: null,
      });
      assert.deepEqual(withAgentUser(AGENT_B, { objectId: TENANT }).authenticationProviderOptions, {
        agentIdentity: AGENT_B,
        agentUser: { objectId: TENANT },
      });
    });
  });

  describe("validation, before any network call", () => {
    const userAccessorCalls: string[] = [];
    const noNetwork = (extra = {}) =>
      agentProvider({
        agentIdentity: AGENT_A,
        getUserAssertion: () => {
          userAccessorCalls.push("called");
          return undefined;
        },
        ...extra,
      });

    it("ERR_OBO_CONFIGURATION for a malformed default agent identity", () => {
      for (const agentIdentity of ["not-a-guid", "", `${AGENT_A}x`, 42 as unknown as string]) {
        assert.throws(() => agentProvider({ agentIdentity }), {
          code: "ERR_OBO_CONFIGURATION",
          option: "agentIdentity",
        });
      }
    });

    it("ERR_OBO_CONFIGURATION for a bad maxAgentClients", () => {
      for (const maxAgentClients of [0, -1, 1.5, Number.NaN]) {
        assert.throws(() => agentProvider({ maxAgentClients }), {
          code: "ERR_OBO_CONFIGURATION",
          option: "maxAgentClients",
        });
      }
    });

    const cases: [string, OnBehalfOfTokenOptions, string][] = [
      ["a malformed per-request agent id", { agentIdentity: "agent-a" }, "agentIdentity"],
      ["an unknown token kind", { tokenKind: "delegated" as "obo" }, "tokenKind"],
      [
        "agentUser with an app-only token",
        { tokenKind: "app-only", agentUser: { upn: "a@b.c" } },
        "agentUser",
      ],
      [
        "app-only without any agent identity",
        { agentIdentity: null, tokenKind: "app-only" },
        "agentIdentity",
      ],
      ["agent-user without a user", { tokenKind: "agent-user" }, "agentUser"],
      [
        "agent-user with a null user",
        { agentUser: null as unknown as { upn: string } },
        "agentUser",
      ],
      ["agent-user with an empty user", { agentUser: {} as { upn: string } }, "agentUser"],
      [
        "agent-user with both upn and objectId",
        { agentUser: { upn: "agent@contoso.com", objectId: TENANT } as unknown as { upn: string } },
        "agentUser",
      ],
      ["a malformed upn", { agentUser: { upn: "agent user" } }, "agentUser.upn"],
      ["a malformed objectId", { agentUser: { objectId: "42" } }, "agentUser.objectId"],
      ["a tenantId with a user token", { tenantId: TENANT }, "tenantId"],
      ["a tenantId with a plain token", { agentIdentity: null, tenantId: TENANT }, "tenantId"],
      [
        "another tenant on a single-tenant provider",
        { tokenKind: "app-only", tenantId: OTHER_TENANT },
        "tenantId",
      ],
      ["a malformed tenantId", { tokenKind: "app-only", tenantId: "contoso" }, "tenantId"],
      [
        "a user assertion with an app-only token",
        { tokenKind: "app-only", userAssertion: "x.y.z" },
        "userAssertion",
      ],
      [
        "app-only scopes that are not /.default",
        { tokenKind: "app-only", scopes: ["User.Read.All"] },
        "scopes",
      ],
    ];
    for (const [what, options, option] of cases) {
      it(`ERR_OBO_CONFIGURATION for ${what}`, async () => {
        userAccessorCalls.length = 0;
        const error = await rejectsWithCode(
          noNetwork().getAccessToken(options),
          "ERR_OBO_CONFIGURATION",
        );
        assert.equal(error.option, option);
        assert.equal(userAccessorCalls.length, 0, "the user assertion is not read");
      });
    }

    it("ERR_OBO_CONFIGURATION through the Graph client for a malformed per-request agent id", async () => {
      const graph = graphFor(noNetwork());
      const error = await rejectsWithCode(
        graph
          .api("/me")
          .middlewareOptions([withAgentIdentity("nope")])
          .get() as Promise<unknown>,
        "ERR_OBO_CONFIGURATION",
      );
      assert.equal(error.option, "agentIdentity");
    });

    it("on a multi-tenant provider: app-only and agent-user tokens need an allowed tenantId", async () => {
      const multi = noNetwork({ tenantId: "organizations", allowedTenants: [TENANT] });
      for (const options of [
        { tokenKind: "app-only" },
        { agentUser: { upn: "agent@contoso.com" } },
        { tokenKind: "app-only", tenantId: OTHER_TENANT },
      ] as OnBehalfOfTokenOptions[]) {
        const error = await rejectsWithCode(multi.getAccessToken(options), "ERR_OBO_CONFIGURATION");
        assert.equal(error.option, "tenantId");
      }
    });

    it("the provider's own agent id is validated in the constructor, before any request", () => {
      assert.throws(
        () =>
          new OnBehalfOfAuthenticationProvider({
            clientId: BLUEPRINT_ID,
            tenantId: TENANT,
            clientSecret: CLIENT_SECRET,
            agentIdentity: "{a9e7a000-0000-4000-8000-00000000000a}",
          }),
        /agent identity's client id, a GUID/,
      );
    });
  });
});
