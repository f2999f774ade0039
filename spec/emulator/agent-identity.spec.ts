import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { ConfidentialClientApplication } from "@azure/msal-node";
import { Client } from "@microsoft/microsoft-graph-client";
import { EmulatorError } from "graph-obo-auth-emulator";
import {
  GRAPH_DEFAULT,
  TOKEN_EXCHANGE_DEFAULT,
  cca,
  claimsOf,
  rejectsWithEntra,
  useEmulator,
} from "./support/emulator.js";

/** The values of a facet claim, which production writes space-separated in no set order. */
function facets(claim: unknown): string[] {
  return typeof claim === "string" ? claim.split(" ") : [];
}

describe("emulator agent identities (protocol.md Appendix A, with msal-node)", () => {
  const emulator = useEmulator();
  const ids = () => emulator().defaults.apps;

  function blueprintClient(): ConfidentialClientApplication {
    const { blueprint } = ids();
    return cca(emulator(), { clientId: blueprint.clientId, clientSecret: blueprint.clientSecret });
  }

  /** An agent CCA whose client assertion is T1 from the blueprint, for the callback's tenant. */
  function agentClient(
    agentId = ids().agent.clientId,
    fmiPath: (clientId: string) => string | undefined = (clientId) => clientId,
  ): ConfidentialClientApplication {
    const blueprint = blueprintClient();
    return cca(emulator(), {
      clientId: agentId,
      clientAssertion: async ({ clientId, tokenEndpoint }) => {
        const authority = (tokenEndpoint ?? "").replace(/\/oauth2\/v2\.0\/token$/, "");
        const path = fmiPath(clientId);
        const t1 = await blueprint.acquireTokenByClientCredential({
          scopes: [TOKEN_EXCHANGE_DEFAULT],
          authority,
          ...(path === undefined ? {} : { fmiPath: path }),
        });
        return t1?.accessToken ?? "";
      },
    });
  }

  async function graphGet(token: string, path: string): Promise<Record<string, unknown>> {
    const graph = Client.initWithMiddleware({
      authProvider: { getAccessToken: () => Promise.resolve(token) },
      ...emulator().graphClientOptions(),
    });
    return (await graph.api(path).get()) as Record<string, unknown>;
  }

  it("gives the blueprint an exchange token (T1) for an agent with fmi_path", async () => {
    const { blueprint, agent } = ids();
    const t1 = await blueprintClient().acquireTokenByClientCredential({
      scopes: [TOKEN_EXCHANGE_DEFAULT],
      fmiPath: agent.clientId,
    });
    const claims = claimsOf(t1?.accessToken ?? "");
    assert.equal(claims.aud, "api://AzureADTokenExchange");
    assert.equal(claims.azp, blueprint.clientId);
    assert.equal(claims.idtyp, "app");
    assert.equal(emulator().count({ flow: "exchange_token", clientId: blueprint.clientId }), 1);
  });

  it("exchanges a user's token for the blueprint on behalf of the user, as the agent (T1 as client assertion)", async () => {
    const { blueprint, agent } = ids();
    const userToken = await emulator().signIn({
      user: "alice@contoso.example",
      clientId: blueprint.clientId,
      scopes: ["access_agent"],
    });
    const result = await agentClient().acquireTokenOnBehalfOf({
      oboAssertion: userToken,
      scopes: [GRAPH_DEFAULT],
    });
    const claims = claimsOf(result?.accessToken ?? "");
    assert.equal(claims.appid, agent.clientId);
    assert.equal(claims.oid, emulator().user("alice@contoso.example")?.id);
    assert.equal(claims.idtyp, "user");
    assert.ok(facets(claims.xms_act_fct).includes("11"));
    assert.equal(claims.xms_par_app_azp, blueprint.clientId);
    assert.equal(claims.scp, "User.Read User.ReadBasic.All", "inherited from the blueprint");
    assert.equal(result?.account?.username, "alice@contoso.example");
    const me = await graphGet(result.accessToken, "/me");
    assert.equal(me.displayName, "Alice Adams");
    assert.equal(emulator().count({ flow: "exchange_token" }), 1);
    assert.equal(emulator().count({ flow: "obo", clientId: agent.clientId }), 1);
  });

  it("gives the agent app-only tokens (T1 as client assertion) with its application permissions", async () => {
    const { blueprint, agent } = ids();
    const result = await agentClient().acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
    const claims = claimsOf(result?.accessToken ?? "");
    assert.equal(claims.idtyp, "app");
    assert.equal(claims.appid, agent.clientId);
    assert.deepEqual(claims.roles, ["User.Read.All"]);
    assert.ok(facets(claims.xms_act_fct).includes("11"));
    assert.ok(facets(claims.xms_sub_fct).includes("11"));
    assert.equal(claims.xms_par_app_azp, blueprint.clientId);
    const bob = await graphGet(result?.accessToken ?? "", "/users/bob@contoso.example");
    assert.equal(bob.displayName, "Bob Brown");
    await assert.rejects(graphGet(result?.accessToken ?? "", "/me"), {
      statusCode: 400,
      code: "BadRequest",
    });
  });

  it("gets a token for the agent's user account with user_fic (T2 as credential)", async () => {
    const agentCca = agentClient();
    const t2 = await agentCca.acquireTokenByClientCredential({ scopes: [TOKEN_EXCHANGE_DEFAULT] });
    const agentUser = emulator().user("helper-agent@contoso.example");
    const byName = await agentCca.acquireTokenByUserFederatedIdentityCredential({
      scopes: [GRAPH_DEFAULT],
      assertion: t2?.accessToken ?? "",
      username: "helper-agent@contoso.example",
    });
    const byId = await agentCca.acquireTokenByUserFederatedIdentityCredential({
      scopes: [GRAPH_DEFAULT],
      assertion: t2?.accessToken ?? "",
      userObjectId: agentUser?.id ?? "",
    });
    for (const result of [byName, byId]) {
      const claims = claimsOf(result?.accessToken ?? "");
      assert.equal(claims.oid, agentUser?.id);
      assert.equal(claims.idtyp, "user");
      assert.ok(facets(claims.xms_act_fct).includes("11"));
      assert.ok(facets(claims.xms_sub_fct).includes("13"));
      assert.equal(result?.account?.homeAccountId, `${agentUser?.id}.${agentUser?.tenantId}`);
    }
    const me = await graphGet(byName?.accessToken ?? "", "/me/manager");
    assert.equal(me.displayName, "Carol Clark");
    assert.equal(emulator().count({ flow: "user_fic", user: "helper-agent@contoso.example" }), 2);
  });

  describe("rules", () => {
    it("refuses a user token whose audience is not the blueprint (AADSTS50013)", async () => {
      const forApi = await emulator().signIn({ user: "alice@contoso.example" });
      await rejectsWithEntra(
        agentClient().acquireTokenOnBehalfOf({ oboAssertion: forApi, scopes: [GRAPH_DEFAULT] }),
        { errorCode: "invalid_grant", aadsts: 50013 },
      );
    });

    it("refuses a T1 issued for another agent (fmi_path) (AADSTS700213)", async () => {
      const other = randomUUID();
      emulator().registerApp({
        clientId: other,
        kind: "agent",
        blueprint: ids().blueprint.clientId,
      });
      await rejectsWithEntra(
        agentClient(ids().agent.clientId, () => other).acquireTokenByClientCredential({
          scopes: [GRAPH_DEFAULT],
        }),
        { errorCode: "invalid_client", aadsts: 700213 },
      );
    });

    it("refuses the blueprint an exchange token without fmi_path (AADSTS82008)", async () => {
      await rejectsWithEntra(
        agentClient(ids().agent.clientId, () => undefined).acquireTokenByClientCredential({
          scopes: [GRAPH_DEFAULT],
        }),
        { errorCode: "invalid_request", aadsts: 82008 },
      );
    });

    it("refuses another token as the agent's client assertion (AADSTS700212)", async () => {
      const graphToken = (
        await blueprintClient().acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] })
      )?.accessToken;
      await rejectsWithEntra(
        cca(emulator(), {
          clientId: ids().agent.clientId,
          clientAssertion: graphToken ?? "",
        }).acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }),
        { errorCode: "invalid_client", aadsts: 700212 },
      );
    });

    it("refuses a T1 from an app that is not a blueprint, and fmi_path from such an app", async () => {
      const { api, agent } = ids();
      await rejectsWithEntra(
        cca(emulator(), {
          clientId: api.clientId,
          clientSecret: api.clientSecret,
        }).acquireTokenByClientCredential({
          scopes: [TOKEN_EXCHANGE_DEFAULT],
          fmiPath: agent.clientId,
        }),
        { errorCode: "unauthorized_client" },
      );
    });

    it("refuses user_fic for a user that is not the agent's user account (AADSTS50034)", async () => {
      const agentCca = agentClient();
      const t2 = await agentCca.acquireTokenByClientCredential({
        scopes: [TOKEN_EXCHANGE_DEFAULT],
      });
      await rejectsWithEntra(
        agentCca.acquireTokenByUserFederatedIdentityCredential({
          scopes: [GRAPH_DEFAULT],
          assertion: t2?.accessToken ?? "",
          username: "alice@contoso.example",
        }),
        { errorCode: "invalid_grant", aadsts: 50034 },
      );
    });

    it("refuses a client secret for an agent, which has none (AADSTS7000215), and registering one", async () => {
      await rejectsWithEntra(
        cca(emulator(), {
          clientId: ids().agent.clientId,
          clientSecret: "guess",
        }).acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }),
        { errorCode: "invalid_client", aadsts: 7000215 },
      );
      assert.throws(
        () =>
          emulator().registerApp({
            kind: "agent",
            blueprint: ids().blueprint.clientId,
            clientSecret: "nope",
          }),
        EmulatorError,
      );
    });
  });
});
