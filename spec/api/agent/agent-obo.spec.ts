import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { decodeProtectedHeader } from "jose";
import { runWithUserAssertion } from "../../../lib/index.js";
import {
  AGENT_A,
  AGENT_B,
  ASSERTION_TYPE,
  EXCHANGE_SCOPE,
  FakeAgentEntra,
  JWT_BEARER,
  mockGraph,
} from "../../support/agent-entra.js";
import { claimsOf } from "../../support/entra.js";
import { CLIENT_SECRET, OTHER_TENANT, TENANT, userToken } from "../../support/tokens.js";
import { BLUEPRINT_ID, agentProvider, graphFor, scopesOf } from "./helpers.js";

const GRAPH_DEFAULT = "https://graph.microsoft.com/.default";

describe("agent identity On-Behalf-Of", () => {
  describe("on the wire", () => {
    it("requests T1 as the blueprint with fmi_path, then On-Behalf-Of as the agent with T1", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const entra = new FakeAgentEntra().expect(2);
      const seen = mockGraph(1);
      const graph = graphFor(
        agentProvider({ agentIdentity: AGENT_A, getUserAssertion: () => alice }),
      );

      const me = (await graph.api("/me").get()) as { id: string; azp: string };
      assert.deepEqual(me, { path: "/v1.0/me", id: "alice", azp: AGENT_A });
      assert.deepEqual(
        entra.requests.map((r) => [r.leg, r.tenant]),
        [
          ["exchange-token", TENANT],
          ["obo", TENANT],
        ],
      );

      const [t1, obo] = entra.requests;
      const t1Form = t1?.form ?? {};
      assert.equal(t1Form.client_id, BLUEPRINT_ID);
      assert.equal(t1Form.grant_type, "client_credentials");
      assert.equal(t1Form.scope, EXCHANGE_SCOPE);
      assert.equal(t1Form.fmi_path, AGENT_A);
      assert.equal(t1Form.client_secret, CLIENT_SECRET, "the blueprint's credential");
      assert.equal(t1Form.assertion, undefined, "T1 carries no user token");

      const oboForm = obo?.form ?? {};
      assert.equal(oboForm.client_id, AGENT_A);
      assert.equal(oboForm.client_assertion_type, ASSERTION_TYPE);
      assert.equal(oboForm.client_assertion, t1?.issued, "T1 is the agent's client assertion");
      assert.equal(oboForm.grant_type, JWT_BEARER);
      assert.equal(oboForm.requested_token_use, "on_behalf_of");
      assert.equal(oboForm.assertion, alice);
      assert.ok(scopesOf(oboForm).includes(GRAPH_DEFAULT));
      assert.equal(oboForm.client_secret, undefined, "the blueprint's secret stays on leg 1");
      assert.equal(oboForm.fmi_path, undefined);
      assert.equal(seen[0]?.token, obo?.issued);
    });

    it("signs T1's request with the blueprint's certificate, and sends T1 (not a certificate JWT) as the agent", async () => {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const entra = new FakeAgentEntra().expect(2);
      const authProvider = agentProvider({
        clientSecret: undefined,
        clientCertificate: {
          thumbprintSha256: "cd".repeat(32),
          privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        },
        agentIdentity: AGENT_A,
      });

      await authProvider.getAccessToken({ userAssertion: alice });
      const [t1, obo] = entra.requests;
      const certificateJwt = t1?.form.client_assertion ?? "";
      assert.equal(t1?.form.client_assertion_type, ASSERTION_TYPE);
      assert.ok(decodeProtectedHeader(certificateJwt)["x5t#S256"] !== undefined);
      assert.equal(claimsOf(certificateJwt).sub, BLUEPRINT_ID);
      assert.equal(obo?.form.client_assertion, t1.issued);
    });
  });

  describe("caching", () => {
    it("reuses T1 across users and calls; a warm cache sends no token request at all", async () => {
      const users = await Promise.all(
        ["alice", "bob", "carol"].map((oid) => userToken({ oid, tid: TENANT })),
      );
      const entra = new FakeAgentEntra().expect(4); // 1 T1 + 3 OBO, and nothing more
      const seen = mockGraph(9);
      const authProvider = agentProvider({ agentIdentity: AGENT_A });
      const graph = graphFor(authProvider);

      for (const path of ["/me", "/me/manager", "/me"]) {
        for (const user of users) await runWithUserAssertion(user, () => graph.api(path).get());
      }

      assert.equal(entra.of("exchange-token").length, 1, "one T1 for every user");
      assert.equal(entra.of("obo").length, 3, "one exchange per user");
      const t1 = entra.of("exchange-token")[0]?.issued;
      for (const obo of entra.of("obo")) assert.equal(obo.form.client_assertion, t1);
      assert.deepEqual(
        seen.map((hit) => hit.oid),
        ["alice", "bob", "carol", "alice", "bob", "carol", "alice", "bob", "carol"],
      );
      const stats = authProvider.stats();
      assert.equal(stats.tokenRequests, 4);
      assert.equal(stats.misses, 3);
      assert.equal(stats.hits, 6);
    });

    it("keeps one T1 per agent identity", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const entra = new FakeAgentEntra().expect(4);
      const authProvider = agentProvider({ agentIdentity: AGENT_A });
      await authProvider.getAccessToken({ userAssertion: alice });
      await authProvider.getAccessToken({ userAssertion: alice, agentIdentity: AGENT_B });
      await authProvider.getAccessToken({ userAssertion: alice });
      await authProvider.getAccessToken({ userAssertion: alice, agentIdentity: AGENT_B });
      assert.deepEqual(
        entra.of("exchange-token").map((r) => r.form.fmi_path),
        [AGENT_A, AGENT_B],
      );
      assert.deepEqual(
        entra.of("obo").map((r) => r.form.client_id),
        [AGENT_A, AGENT_B],
      );
    });

    it("does not serve a T1 close to its expiry, and fetches it once per exchange", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const bob = await userToken({ oid: "bob", tid: TENANT });
      const entra = new FakeAgentEntra();
      entra.credentialLifetime = 100; // within the default 120 s expiry margin
      entra.expect(4);
      const authProvider = agentProvider({ agentIdentity: AGENT_A });
      await authProvider.getAccessToken({ userAssertion: alice });
      await authProvider.getAccessToken({ userAssertion: bob });
      assert.deepEqual(
        entra.requests.map((r) => r.leg),
        ["exchange-token", "obo", "exchange-token", "obo"],
      );
      const [t1a, oboA, t1b, oboB] = entra.requests;
      assert.notEqual(t1a?.issued, t1b?.issued);
      assert.equal(oboA?.form.client_assertion, t1a?.issued);
      assert.equal(oboB?.form.client_assertion, t1b?.issued);
    });
  });

  describe("tenants and clouds", () => {
    it("sends both legs to the user's tenant on a multi-tenant provider, with a T1 per tenant", async () => {
      const inOther = await userToken({ oid: "carol", tid: OTHER_TENANT });
      const inHome = await userToken({ oid: "alice", tid: TENANT });
      const entra = new FakeAgentEntra().expect(4);
      mockGraph(2);
      const graph = graphFor(agentProvider({ tenantId: "organizations", agentIdentity: AGENT_A }));
      await runWithUserAssertion(inOther, () => graph.api("/me").get());
      await runWithUserAssertion(inHome, () => graph.api("/me").get());
      assert.deepEqual(
        entra.requests.map((r) => [r.leg, r.tenant]),
        [
          ["exchange-token", OTHER_TENANT],
          ["obo", OTHER_TENANT],
          ["exchange-token", TENANT],
          ["obo", TENANT],
        ],
      );
    });

    it("refuses a tenant outside allowedTenants before requesting T1", async () => {
      const foreign = await userToken({ oid: "mallory", tid: OTHER_TENANT });
      const authProvider = agentProvider({
        tenantId: "organizations",
        allowedTenants: [TENANT],
        agentIdentity: AGENT_A,
      });
      await assert.rejects(authProvider.getAccessToken({ userAssertion: foreign }), {
        code: "ERR_OBO_TENANT_NOT_ALLOWED",
      });
    });

    it("uses the cloud's token-exchange scope (US Government)", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const entra = new FakeAgentEntra().expect(2, { host: "https://login.microsoftonline.us" });
      const authProvider = agentProvider({
        tenantId: undefined,
        authority: `https://login.microsoftonline.us/${TENANT}`,
        agentIdentity: AGENT_A,
      });
      await authProvider.getAccessToken({ userAssertion: alice });
      const [t1, obo] = entra.requests;
      assert.equal(t1?.form.scope, "api://AzureADTokenExchangeUSGov/.default");
      assert.equal(t1.form.fmi_path, AGENT_A);
      assert.ok(scopesOf(obo?.form ?? {}).includes("https://graph.microsoft.us/.default"));
      assert.equal(obo?.form.client_assertion, t1.issued);
    });
  });
});
