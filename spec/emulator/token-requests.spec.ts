import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  TOKEN_EXCHANGE_DEFAULT,
  GRAPH_DEFAULT,
  aadstsOf,
  cca,
  postToken,
  useEmulator,
} from "./support/emulator.js";

/** Raw requests for the rules msal-node never breaks by itself. */
describe("emulator token endpoint, raw requests", () => {
  const emulator = useEmulator();
  const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
  const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

  const apiForm = (extra: Record<string, string>) => {
    const { api } = emulator().defaults.apps;
    return { client_id: api.clientId, client_secret: api.clientSecret, ...extra };
  };

  async function expectError(
    tenant: string,
    form: Record<string, string>,
    status: number,
    error: string,
    code: number,
  ) {
    const { status: got, body } = await postToken(emulator(), tenant, form);
    assert.equal(got, status, JSON.stringify(body));
    assert.equal(body.error, error);
    assert.equal(aadstsOf(body), code);
    return body;
  }

  async function t1And2(): Promise<{ t1: string; t2: string }> {
    const { blueprint, agent } = emulator().defaults.apps;
    const bp = await postToken(emulator(), "contoso.example", {
      grant_type: "client_credentials",
      client_id: blueprint.clientId,
      client_secret: blueprint.clientSecret,
      scope: TOKEN_EXCHANGE_DEFAULT,
      fmi_path: agent.clientId,
    });
    const t1 = String(bp.body.access_token);
    const ag = await postToken(emulator(), "contoso.example", {
      grant_type: "client_credentials",
      client_id: agent.clientId,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: t1,
      scope: TOKEN_EXCHANGE_DEFAULT,
    });
    return { t1, t2: String(ag.body.access_token) };
  }

  it("checks the OBO request's own fields", async () => {
    const assertion = await emulator().signIn({ user: "alice@contoso.example" });
    await expectError(
      "contoso.example",
      apiForm({ grant_type: JWT_BEARER, assertion, scope: GRAPH_DEFAULT }),
      400,
      "invalid_request",
      900144,
    );
    await expectError(
      "contoso.example",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "other",
        assertion,
        scope: GRAPH_DEFAULT,
      }),
      400,
      "invalid_request",
      90023,
    );
    await expectError(
      "contoso.example",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "on_behalf_of",
        scope: GRAPH_DEFAULT,
      }),
      400,
      "invalid_request",
      900144,
    );
    await expectError(
      "contoso.example",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "on_behalf_of",
        assertion: "x.y",
        scope: GRAPH_DEFAULT,
      }),
      400,
      "invalid_request",
      50027,
    );
    await expectError(
      "contoso.example",
      apiForm({ grant_type: JWT_BEARER, requested_token_use: "on_behalf_of", assertion }),
      400,
      "invalid_request",
      900144,
    );
    await expectError(
      "contoso.example",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "on_behalf_of",
        assertion,
        scope: "openid profile",
      }),
      400,
      "invalid_scope",
      700023,
    );
    await expectError(
      "contoso.example",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "on_behalf_of",
        assertion,
        scope: "User.Read https://graph.microsoft.com/.default",
      }),
      400,
      "invalid_scope",
      70011,
    );
    await expectError(
      "contoso.example",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "on_behalf_of",
        assertion,
        scope: "https://graph.microsoft.com",
      }),
      400,
      "invalid_scope",
      70011,
    );
    await expectError(
      "contoso.example",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "on_behalf_of",
        assertion,
        scope: TOKEN_EXCHANGE_DEFAULT,
      }),
      400,
      "invalid_scope",
      70011,
    );
    await expectError(
      "contoso.example",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "on_behalf_of",
        assertion,
        scope: GRAPH_DEFAULT,
        claims: "{",
      }),
      400,
      "invalid_request",
      90023,
    );
    const { downstreamApi } = emulator().defaults.apps;
    await expectError(
      "contoso.example",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "on_behalf_of",
        assertion,
        scope: `${downstreamApi.clientId}/Orders.Write`,
      }),
      400,
      "invalid_scope",
      70011,
    );
    const ok = await postToken(
      emulator(),
      "contoso.example",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "on_behalf_of",
        assertion,
        scope: `${downstreamApi.clientId}/Orders.Read`,
      }),
    );
    assert.equal(ok.status, 200);
    assert.equal(ok.body.id_token, undefined, "no id_token without openid");
    assert.equal(ok.body.scope, `api://${downstreamApi.clientId}/Orders.Read`);
  });

  it("refuses an app-only token as OBO assertion (AADSTS7000114)", async () => {
    const { blueprint } = emulator().defaults.apps;
    const appOnly = await cca(emulator(), {
      clientId: blueprint.clientId,
      clientSecret: blueprint.clientSecret,
    }).acquireTokenByClientCredential({
      scopes: [`api://${emulator().defaults.apps.api.clientId}/.default`],
    });
    await expectError(
      "contoso.example",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "on_behalf_of",
        assertion: appOnly?.accessToken ?? "",
        scope: GRAPH_DEFAULT,
      }),
      400,
      "invalid_grant",
      7000114,
    );
  });

  it("routes /organizations OBO requests by the assertion's tenant, and refuses /common for other grants", async () => {
    const assertion = await emulator().signIn({ user: "erin@fabrikam.example" });
    const ok = await postToken(
      emulator(),
      "organizations",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "on_behalf_of",
        assertion,
        scope: GRAPH_DEFAULT,
      }),
    );
    assert.equal(ok.status, 200);
    await expectError(
      "organizations",
      apiForm({
        grant_type: JWT_BEARER,
        requested_token_use: "on_behalf_of",
        assertion: "garbage",
        scope: GRAPH_DEFAULT,
      }),
      400,
      "invalid_request",
      90002,
    );
    await expectError(
      "common",
      apiForm({ grant_type: "client_credentials", scope: GRAPH_DEFAULT }),
      400,
      "invalid_request",
      9001023,
    );
  });

  it("checks client credentials on the wire", async () => {
    const { api } = emulator().defaults.apps;
    await expectError(
      "contoso.example",
      { grant_type: "client_credentials", scope: GRAPH_DEFAULT },
      400,
      "invalid_request",
      900144,
    );
    await expectError(
      "contoso.example",
      apiForm({ grant_type: "client_credentials", scope: GRAPH_DEFAULT, client_assertion: "a" }),
      400,
      "invalid_request",
      90023,
    );
    await expectError(
      "contoso.example",
      {
        grant_type: "client_credentials",
        client_id: api.clientId,
        client_assertion: "a.b.c",
        scope: GRAPH_DEFAULT,
      },
      400,
      "invalid_request",
      900144,
    );
    await expectError(
      "contoso.example",
      {
        grant_type: "client_credentials",
        client_id: api.clientId,
        client_assertion_type: "saml",
        client_assertion: "a.b.c",
        scope: GRAPH_DEFAULT,
      },
      400,
      "invalid_request",
      90023,
    );
    await expectError(
      "contoso.example",
      {
        grant_type: "client_credentials",
        client_id: api.clientId,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: "not-a-jwt",
        scope: GRAPH_DEFAULT,
      },
      400,
      "invalid_request",
      50027,
    );
    await expectError(
      "contoso.example",
      apiForm({ grant_type: "client_credentials", scope: GRAPH_DEFAULT, fmi_path: randomUUID() }),
      400,
      "unauthorized_client",
      90023,
    );
    const { blueprint } = emulator().defaults.apps;
    await expectError(
      "contoso.example",
      {
        grant_type: "client_credentials",
        client_id: blueprint.clientId,
        client_secret: blueprint.clientSecret,
        scope: GRAPH_DEFAULT,
        fmi_path: randomUUID(),
      },
      400,
      "invalid_scope",
      70011,
    );
  });

  it("checks T1 and user_fic on the wire", async () => {
    const { agent, api } = emulator().defaults.apps;
    const { t1, t2 } = await t1And2();
    const agentForm = (extra: Record<string, string>) => ({
      client_id: agent.clientId,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: t1,
      ...extra,
    });
    const ficForm = (extra: Record<string, string>) =>
      agentForm({
        grant_type: "user_fic",
        scope: GRAPH_DEFAULT,
        user_federated_identity_credential: t2,
        ...extra,
      });
    const agentUser = "helper-agent@contoso.example";

    await expectError(
      "contoso.example",
      agentForm({ grant_type: "user_fic", scope: GRAPH_DEFAULT, username: agentUser }),
      400,
      "invalid_request",
      900144,
    );
    await expectError("contoso.example", ficForm({}), 400, "invalid_request", 900144);
    await expectError(
      "contoso.example",
      ficForm({ username: agentUser, user_id: randomUUID() }),
      400,
      "invalid_request",
      90023,
    );
    await expectError(
      "contoso.example",
      ficForm({ username: "ghost@contoso.example" }),
      400,
      "invalid_grant",
      50034,
    );
    await expectError(
      "contoso.example",
      ficForm({ username: agentUser, user_federated_identity_credential: t1 }),
      400,
      "invalid_grant",
      50013,
    );
    await expectError(
      "contoso.example",
      ficForm({ username: agentUser, user_federated_identity_credential: "x.y.z" }),
      400,
      "invalid_grant",
      50013,
    );
    await expectError(
      "contoso.example",
      ficForm({ username: agentUser, scope: TOKEN_EXCHANGE_DEFAULT }),
      400,
      "invalid_scope",
      70011,
    );
    const ok = await postToken(
      emulator(),
      "contoso.example",
      ficForm({ username: agentUser, scope: `${GRAPH_DEFAULT} openid profile offline_access` }),
    );
    assert.equal(ok.status, 200);
    assert.ok(ok.body.id_token);
    // user_fic is only for agent identities.
    await expectError(
      "contoso.example",
      apiForm({
        grant_type: "user_fic",
        scope: GRAPH_DEFAULT,
        username: agentUser,
        user_federated_identity_credential: t2,
      }),
      400,
      "unauthorized_client",
      90023,
    );
    // A T1 presented to another tenant's token endpoint, and a T1 used by a non-agent.
    await expectError(
      "fabrikam.example",
      agentForm({ grant_type: "client_credentials", scope: GRAPH_DEFAULT }),
      400,
      "unauthorized_client",
      700016,
    );
    await expectError(
      "contoso.example",
      {
        grant_type: "client_credentials",
        client_id: api.clientId,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: t1,
        scope: GRAPH_DEFAULT,
      },
      401,
      "invalid_client",
      700211,
    );
    // A user token as the agent's client assertion.
    const userToken = await emulator()
      .signIn({ user: "alice@contoso.example", clientId: "api://AzureADTokenExchange" })
      .catch(() => undefined);
    assert.equal(userToken, undefined, "signIn cannot mint exchange tokens");
  });

  it("answers other paths and methods like a server should", async () => {
    assert.equal((await emulator().fetch("/contoso.example/oauth2/v2.0/token")).status, 405);
    assert.equal((await emulator().fetch("/nowhere")).status, 404);
    assert.equal((await emulator().fetch(`/${randomUUID()}/discovery/v2.0/keys`)).status, 400);
    const jwks = await emulator().fetch("/common/discovery/v2.0/keys");
    assert.equal(jwks.status, 200);
    assert.equal(emulator().count({ endpoint: "jwks" }), 2);
  });
});
