import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startEmulator, type Emulator } from "graph-obo-auth-emulator";
import {
  GRAPH_DEFAULT,
  TOKEN_EXCHANGE_DEFAULT,
  cca,
  claimsOf,
  rejectsWithEntra,
  useEmulator,
} from "../emulator/support/emulator.js";
import { agentClient, agentExchangeToken, blueprintClient, graphGet } from "./support.js";

// The agent rules of packages/emulator/CONFORMANCE.md: each test sends the violating request through
// the real msal-node and asserts Entra's error; its id is the table's.

const MAIL_READ = "https://graph.microsoft.com/Mail.Read";

describe("Entra conformance: agent identities", () => {
  const emulator = useEmulator();
  const ids = () => emulator().defaults.apps;

  it("A1: a blueprint's exchange token without fmi_path is refused (AADSTS82008); with it, served", async () => {
    const blueprint = blueprintClient(emulator());
    await rejectsWithEntra(
      blueprint.acquireTokenByClientCredential({ scopes: [TOKEN_EXCHANGE_DEFAULT] }),
      { errorCode: "invalid_request", aadsts: 82008 },
    );
    const t1 = await blueprint.acquireTokenByClientCredential({
      scopes: [TOKEN_EXCHANGE_DEFAULT],
      fmiPath: ids().agent.clientId,
    });
    assert.ok(t1?.accessToken, "the bystander request with fmi_path is served");
  });

  it("A2: an agent's own exchange token (T2, no fmi_path) is served", async () => {
    const t2 = await agentExchangeToken(agentClient(emulator()));
    const claims = claimsOf(t2);
    assert.equal(claims.aud, "api://AzureADTokenExchange");
    assert.equal(claims.azp, ids().agent.clientId);
    assert.equal(claims.idtyp, "app");
  });

  it("A3: user_id carrying a UPN is refused (AADSTS50000); the same user by object id or username is served", async () => {
    const agent = agentClient(emulator());
    const t2 = await agentExchangeToken(agent);
    const upn = emulator().defaults.users.agentUser;
    await rejectsWithEntra(
      agent.acquireTokenByUserFederatedIdentityCredential({
        scopes: [GRAPH_DEFAULT],
        assertion: t2,
        userObjectId: upn,
      }),
      { errorCode: "server_error", aadsts: 50000 },
    );
    const byId = await agent.acquireTokenByUserFederatedIdentityCredential({
      scopes: [GRAPH_DEFAULT],
      assertion: t2,
      userObjectId: emulator().user(upn)?.id ?? "",
    });
    const byName = await agent.acquireTokenByUserFederatedIdentityCredential({
      scopes: [GRAPH_DEFAULT],
      assertion: t2,
      username: upn,
    });
    assert.equal(claimsOf(byId?.accessToken ?? "").oid, emulator().user(upn)?.id);
    assert.equal(claimsOf(byName?.accessToken ?? "").oid, emulator().user(upn)?.id);
  });

  it("A4: username carrying an object id is not looked up as one (AADSTS50034)", async () => {
    const agent = agentClient(emulator());
    await rejectsWithEntra(
      agent.acquireTokenByUserFederatedIdentityCredential({
        scopes: [GRAPH_DEFAULT],
        assertion: await agentExchangeToken(agent),
        username: emulator().user(emulator().defaults.users.agentUser)?.id ?? "",
      }),
      { errorCode: "invalid_grant", aadsts: 50034 },
    );
  });

  it("A5: an agent's missing delegated grant is AADSTS82014, not an interaction-required challenge", async () => {
    const agent = agentClient(emulator());
    const alice = await emulator().signIn({
      user: "alice@contoso.example",
      clientId: ids().blueprint.clientId,
      scopes: ["access_agent"],
    });
    const bob = await emulator().signIn({
      user: "bob@contoso.example",
      clientId: ids().blueprint.clientId,
      scopes: ["access_agent"],
    });
    const refused = rejectsWithEntra(
      agent.acquireTokenOnBehalfOf({ oboAssertion: alice, scopes: [MAIL_READ] }),
      { errorCode: "invalid_grant", aadsts: 82014 },
    );
    const served = agent.acquireTokenOnBehalfOf({ oboAssertion: bob, scopes: [GRAPH_DEFAULT] });
    const [failure, bystander] = await Promise.all([refused, served]);
    assert.equal(failure.name, "ServerError", "not InteractionRequiredAuthError");
    assert.ok(bystander?.accessToken, "the bystander's request is served");
  });

  it("A6: grants for an agent's user account are per user", async () => {
    const agentId = ids().agent.clientId;
    const granted = emulator().addUser({
      userPrincipalName: `mail-agent-${randomUUID().slice(0, 8)}@contoso.example`,
      agentIdentity: agentId,
      agentGraphScopes: ["Mail.Read"],
    });
    const other = emulator().addUser({
      userPrincipalName: `plain-agent-${randomUUID().slice(0, 8)}@contoso.example`,
      agentIdentity: agentId,
    });
    const agent = agentClient(emulator());
    const t2 = await agentExchangeToken(agent);
    const mail = await agent.acquireTokenByUserFederatedIdentityCredential({
      scopes: [MAIL_READ],
      assertion: t2,
      userObjectId: granted.id,
    });
    assert.equal(claimsOf(mail?.accessToken ?? "").scp, "Mail.Read");
    const messages = await graphGet(emulator(), mail?.accessToken ?? "", "/me/messages");
    assert.equal(messages.status, 200);
    await rejectsWithEntra(
      agent.acquireTokenByUserFederatedIdentityCredential({
        scopes: [MAIL_READ],
        assertion: t2,
        userObjectId: other.id,
      }),
      { errorCode: "invalid_grant", aadsts: 82014 },
    );
  });

  it("A7: a blueprint does not get delegated tokens for itself, by default", async () => {
    const { blueprint } = ids();
    const assertion = await emulator().signIn({
      user: "alice@contoso.example",
      clientId: blueprint.clientId,
      scopes: ["access_agent"],
    });
    await rejectsWithEntra(
      blueprintClient(emulator()).acquireTokenOnBehalfOf({
        oboAssertion: assertion,
        scopes: [GRAPH_DEFAULT],
      }),
      { errorCode: "unauthorized_client", aadsts: 90023 },
    );
    const asAgent = await agentClient(emulator()).acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: [GRAPH_DEFAULT],
    });
    assert.equal(claimsOf(asAgent?.accessToken ?? "").appid, ids().agent.clientId);
  });

  it("A8: T2 is reusable across users of the agent until it expires, by default", async () => {
    const agent = agentClient(emulator());
    const t2 = await agentExchangeToken(agent);
    const second = emulator().addUser({
      userPrincipalName: `second-agent-${randomUUID().slice(0, 8)}@contoso.example`,
      agentIdentity: ids().agent.clientId,
    });
    for (const user of [
      emulator().user(emulator().defaults.users.agentUser)?.id ?? "",
      second.id,
    ]) {
      const result = await agent.acquireTokenByUserFederatedIdentityCredential({
        scopes: [GRAPH_DEFAULT],
        assertion: t2,
        userObjectId: user,
      });
      assert.equal(claimsOf(result?.accessToken ?? "").oid, user);
    }
  });

  it("A9: agent tokens carry the facet claims production writes", async () => {
    const agent = agentClient(emulator());
    const appOnly = claimsOf(
      (await agent.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }))?.accessToken ?? "",
    );
    assert.ok(String(appOnly.xms_act_fct).split(" ").includes("11"));
    assert.ok(String(appOnly.xms_sub_fct).split(" ").includes("11"));
    assert.equal(appOnly.xms_par_app_azp, ids().blueprint.clientId);
  });

  it("A10: an exchange token for another cloud's audience is refused as the agent's credential (AADSTS70022204)", async () => {
    const blueprint = blueprintClient(emulator());
    const agent = cca(emulator(), {
      clientId: ids().agent.clientId,
      clientAssertion: async ({ clientId }) =>
        (
          await blueprint.acquireTokenByClientCredential({
            scopes: ["api://AzureADTokenExchangeUSGov/.default"],
            fmiPath: clientId,
          })
        )?.accessToken ?? "",
    });
    await rejectsWithEntra(agent.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }), {
      errorCode: "invalid_client",
      aadsts: 70022204,
    });
    const bystander = await agentClient(emulator()).acquireTokenByClientCredential({
      scopes: [GRAPH_DEFAULT],
    });
    assert.ok(bystander?.accessToken, "the public cloud's audience is served");
  });

  it("G3: an app-only agent token lists the tenant's users at /users; /me is Graph's 400", async () => {
    const token =
      (await agentClient(emulator()).acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }))
        ?.accessToken ?? "";
    const users = await graphGet(emulator(), token, "/users?$select=displayName&$top=2");
    assert.equal(users.status, 200);
    const value = users.body.value as Record<string, unknown>[];
    assert.equal(value.length, 2);
    assert.deepEqual(Object.keys(value[0] ?? {}).sort(), ["displayName", "id"]);
    const me = await graphGet(emulator(), token, "/me");
    assert.equal(me.status, 400);
  });
});

describe("Entra conformance: the switches for what the sources leave open", () => {
  let emulator: Emulator | undefined;
  before(async () => {
    emulator = await startEmulator({
      entra: {
        blueprintOnBehalfOf: "allow",
        userFicCredential: "single-use",
        agentFacetClaims: false,
      },
    });
  });
  after(async () => {
    await emulator?.close();
  });
  const em = (): Emulator => {
    assert.ok(emulator);
    return emulator;
  };

  it("S1: blueprintOnBehalfOf 'allow' serves a blueprint's On-Behalf-Of for itself", async () => {
    const { blueprint } = em().defaults.apps;
    const assertion = await em().signIn({
      user: "alice@contoso.example",
      clientId: blueprint.clientId,
      scopes: ["access_agent"],
    });
    const result = await blueprintClient(em()).acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: [GRAPH_DEFAULT],
    });
    assert.equal(claimsOf(result?.accessToken ?? "").appid, blueprint.clientId);
  });

  it("S2: userFicCredential 'single-use' refuses a T2 presented again (AADSTS50013)", async () => {
    const agent = agentClient(em());
    const t2 = await agentExchangeToken(agent);
    const user = em().user(em().defaults.users.agentUser)?.id ?? "";
    await agent.acquireTokenByUserFederatedIdentityCredential({
      scopes: [GRAPH_DEFAULT],
      assertion: t2,
      userObjectId: user,
    });
    await rejectsWithEntra(
      agent.acquireTokenByUserFederatedIdentityCredential({
        scopes: [GRAPH_DEFAULT],
        assertion: t2,
        userObjectId: user,
      }),
      { errorCode: "invalid_grant", aadsts: 50013 },
    );
    const fresh = await agent.acquireTokenByUserFederatedIdentityCredential({
      scopes: [GRAPH_DEFAULT],
      assertion: await agentExchangeToken(agent),
      userObjectId: user,
    });
    assert.ok(fresh?.accessToken, "a new T2 is served");
  });

  it("S3: agentFacetClaims false omits the facet claims from every agent token", async () => {
    const agent = agentClient(em());
    const appOnly = claimsOf(
      (await agent.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }))?.accessToken ?? "",
    );
    const onBehalf = claimsOf(
      (
        await agent.acquireTokenOnBehalfOf({
          oboAssertion: await em().signIn({
            user: "bob@contoso.example",
            clientId: em().defaults.apps.blueprint.clientId,
            scopes: ["access_agent"],
          }),
          scopes: [GRAPH_DEFAULT],
        })
      )?.accessToken ?? "",
    );
    for (const claims of [appOnly, onBehalf]) {
      for (const name of ["xms_act_fct", "xms_sub_fct", "xms_tnt_fct", "xms_par_app_azp"]) {
        assert.equal(claims[name], undefined, name);
      }
      assert.equal(claims.appid, em().defaults.apps.agent.clientId);
    }
  });

  it("S4: unknown switch values are refused when the emulator starts", async () => {
    await assert.rejects(
      startEmulator({ entra: { userFicCredential: "twice" as "single-use" } }),
      /userFicCredential/,
    );
  });
});

// Kept here so the table's "plain app" rows have a bystander: an ordinary app's missing grant is
// still AADSTS65001 with consent_required.
describe("Entra conformance: ordinary apps keep Entra's consent error", () => {
  const emulator = useEmulator();
  it("O5: a missing grant for an ordinary app is AADSTS65001 consent_required", async () => {
    const { api } = emulator().defaults.apps;
    const app = cca(emulator(), { clientId: api.clientId, clientSecret: api.clientSecret });
    await rejectsWithEntra(
      app.acquireTokenOnBehalfOf({
        oboAssertion: await emulator().signIn({ user: "alice@contoso.example" }),
        scopes: [MAIL_READ],
      }),
      { errorCode: "invalid_grant", aadsts: 65001, subError: "consent_required" },
    );
  });
});
