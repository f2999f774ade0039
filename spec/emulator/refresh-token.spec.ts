import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { ConfidentialClientApplication } from "@azure/msal-node";
import {
  GRAPH_DEFAULT,
  TOKEN_EXCHANGE_DEFAULT,
  aadstsOf,
  cca,
  claimsOf,
  postToken,
  rejectsWithEntra,
  useEmulator,
} from "./support/emulator.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** The refresh token msal-node keeps in a client's cache after a token response (one account). */
function refreshTokenIn(client: ConfidentialClientApplication): string {
  const cache = JSON.parse(client.getTokenCache().serialize()) as {
    RefreshToken?: Record<string, { secret: string }>;
  };
  const secrets = Object.values(cache.RefreshToken ?? {}).map((entry) => entry.secret);
  assert.equal(secrets.length, 1, "msal-node keeps exactly one refresh token");
  return secrets[0] ?? "";
}

describe("emulator refresh tokens (with msal-node)", () => {
  const emulator = useEmulator();
  const apps = () => emulator().defaults.apps;

  function apiClient(): ConfidentialClientApplication {
    const { api } = apps();
    return cca(emulator(), { clientId: api.clientId, clientSecret: api.clientSecret });
  }

  /** On-Behalf-Of through msal-node (which asks for `openid profile offline_access`): its refresh token. */
  async function oboRefreshToken(user: string): Promise<string> {
    const client = apiClient();
    await client.acquireTokenOnBehalfOf({
      oboAssertion: await emulator().signIn({ user }),
      scopes: [GRAPH_DEFAULT],
    });
    return refreshTokenIn(client);
  }

  async function redeem(refreshToken: string, scopes = [GRAPH_DEFAULT]) {
    const client = apiClient();
    // forceCache: keep the answer in this fresh client's cache, whose refresh token is read below.
    const result = await client.acquireTokenByRefreshToken({
      refreshToken,
      scopes,
      forceCache: true,
    });
    assert.ok(result);
    return { result, rotated: refreshTokenIn(client) };
  }

  async function me(token: string): Promise<Record<string, unknown>> {
    const response = await emulator().fetch("/v1.0/me", {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.status, 200);
    return (await response.json()) as Record<string, unknown>;
  }

  it("returns a refresh token from On-Behalf-Of with offline_access, redeemable for the same user and client, rotated on every use", async () => {
    const refreshToken = await oboRefreshToken("alice@contoso.example");
    const { result, rotated } = await redeem(refreshToken);
    const claims = claimsOf(result.accessToken);
    const alice = emulator().user("alice@contoso.example");
    assert.equal(claims.oid, alice?.id);
    assert.equal(claims.appid, apps().api.clientId, "Graph tokens are v1.0: appid");
    assert.equal(result.account?.homeAccountId, `${alice?.id ?? ""}.${alice?.tenantId ?? ""}`);
    assert.equal((await me(result.accessToken)).userPrincipalName, "alice@contoso.example");
    assert.notEqual(rotated, refreshToken, "a new refresh token with every use");
    // The old one is not revoked by its use (Learn refresh-tokens).
    const again = await redeem(refreshToken);
    assert.equal(claimsOf(again.result.accessToken).oid, alice?.id);
    const fromRotated = await redeem(rotated);
    assert.equal(claimsOf(fromRotated.result.accessToken).oid, alice?.id);
    assert.equal(emulator().count({ flow: "refresh_token", user: "alice@contoso.example" }), 3);
  });

  it("never records a refresh token in the request log", async () => {
    const refreshToken = await oboRefreshToken("bob@contoso.example");
    const { rotated } = await redeem(refreshToken);
    const log = JSON.stringify(emulator().requests());
    assert.ok(!log.includes(refreshToken) && !log.includes(rotated));
    assert.ok(
      emulator()
        .requests({ flow: "refresh_token" })
        .every((r) => r.userPrincipalName === "bob@contoso.example" && r.status === 200),
    );
  });

  it("checks consent on refresh as on On-Behalf-Of (AADSTS65001)", async () => {
    const refreshToken = await oboRefreshToken("alice@contoso.example");
    await rejectsWithEntra(
      apiClient().acquireTokenByRefreshToken({
        refreshToken,
        scopes: ["https://graph.microsoft.com/Mail.Send"],
      }),
      { errorCode: "invalid_grant", aadsts: 65001, subError: "consent_required" },
    );
  });

  it("refuses a refresh token of another client (AADSTS70000) and one it never issued (AADSTS9002313)", async () => {
    const refreshToken = await oboRefreshToken("alice@contoso.example");
    const other = emulator().registerApp({
      clientId: randomUUID(),
      tenant: "contoso.example",
      clientSecret: "other-secret",
      graphScopes: ["User.Read"],
    });
    await rejectsWithEntra(
      cca(emulator(), {
        clientId: other.clientId,
        clientSecret: "other-secret",
      }).acquireTokenByRefreshToken({ refreshToken, scopes: [GRAPH_DEFAULT] }),
      { errorCode: "invalid_grant", aadsts: 70000 },
    );
    await rejectsWithEntra(
      apiClient().acquireTokenByRefreshToken({
        refreshToken: `${refreshToken.slice(0, -4)}AAAA`,
        scopes: [GRAPH_DEFAULT],
      }),
      { errorCode: "invalid_grant", aadsts: 9002313 },
    );
  });

  it("expires a refresh token 90 days after its issue, whatever its use; the rotated one lives on (AADSTS700082)", async () => {
    const first = await oboRefreshToken("alice@contoso.example");
    const bystander = await oboRefreshToken("bob@contoso.example");
    emulator().advanceClock(89 * DAY_MS);
    const { rotated } = await redeem(first);
    const bobRotated = (await redeem(bystander)).rotated;
    emulator().advanceClock(2 * DAY_MS);
    const failure = await rejectsWithEntra(
      apiClient().acquireTokenByRefreshToken({ refreshToken: first, scopes: [GRAPH_DEFAULT] }),
      { errorCode: "invalid_grant", aadsts: 700082, subError: "bad_token" },
    );
    assert.match(failure.errorMessage, /inactive for 90\.00:00:00/);
    assert.ok(!failure.errorMessage.includes(first));
    const { result } = await redeem(rotated);
    assert.equal(claimsOf(result.accessToken).oid, emulator().user("alice@contoso.example")?.id);
    assert.equal(
      claimsOf((await redeem(bobRotated)).result.accessToken).oid,
      emulator().user("bob@contoso.example")?.id,
    );
  });

  it("revokes a user's refresh tokens with revokeSessions (AADSTS50173), not other users'; a new sign-in gives a working one", async () => {
    const alice = await oboRefreshToken("alice@contoso.example");
    const aliceRotated = (await redeem(alice)).rotated;
    const bob = await oboRefreshToken("bob@contoso.example");
    emulator().revokeSessions("alice@contoso.example");
    for (const refreshToken of [alice, aliceRotated]) {
      await rejectsWithEntra(
        apiClient().acquireTokenByRefreshToken({ refreshToken, scopes: [GRAPH_DEFAULT] }),
        { errorCode: "invalid_grant", aadsts: 50173, subError: "bad_token" },
      );
    }
    const bystanders = await Promise.all([redeem(bob), redeem(bob), redeem(bob)]);
    for (const { result } of bystanders) {
      assert.equal(claimsOf(result.accessToken).oid, emulator().user("bob@contoso.example")?.id);
    }
    const fresh = await oboRefreshToken("alice@contoso.example");
    const { result } = await redeem(fresh);
    assert.equal(claimsOf(result.accessToken).oid, emulator().user("alice@contoso.example")?.id);
  });

  it("injects faults into one user's refreshes (flow refresh_token); other users' refreshes are served", async () => {
    const alice = await oboRefreshToken("alice@contoso.example");
    const bob = await oboRefreshToken("bob@contoso.example");
    const injection = emulator().inject({
      endpoint: "token",
      flow: "refresh_token",
      user: "alice@contoso.example",
      times: Number.POSITIVE_INFINITY,
      fault: { kind: "interaction_required" },
    });
    const [refused, ...served] = await Promise.allSettled([
      redeem(alice),
      redeem(bob),
      redeem(bob),
    ]);
    assert.equal(refused.status, "rejected");
    for (const outcome of served) {
      assert.ok(outcome.status === "fulfilled", "the bystander is served");
      assert.equal(
        claimsOf(outcome.value.result.accessToken).oid,
        emulator().user("bob@contoso.example")?.id,
      );
    }
    assert.equal(injection.hits, 1);
    injection.remove();
    assert.equal(
      claimsOf((await redeem(alice)).result.accessToken).oid,
      emulator().user("alice@contoso.example")?.id,
    );
  });

  it("advanceClock moves the emulator's time (Graph refuses an access token past its lifetime); reset() sets it back", async () => {
    const { result } = await redeem(await oboRefreshToken("carol@contoso.example"));
    const before = emulator().now();
    emulator().advanceClock(2 * 60 * 60 * 1000);
    assert.ok(emulator().now() - before >= 2 * 60 * 60 * 1000);
    const expired = await emulator().fetch("/v1.0/me", {
      headers: { authorization: `Bearer ${result.accessToken}` },
    });
    assert.equal(expired.status, 401);
    assert.throws(() => {
      emulator().advanceClock(-1);
    }, /non-negative/);
    assert.throws(() => {
      emulator().advanceClock(Number.POSITIVE_INFINITY);
    }, /non-negative/);
    emulator().reset();
    assert.ok(emulator().now() - before < 60 * 60 * 1000);
    assert.equal((await me(result.accessToken)).userPrincipalName, "carol@contoso.example");
  });

  describe("agent identities", () => {
    function agentClient(): ConfidentialClientApplication {
      const { blueprint, agent } = apps();
      const blueprintCca = cca(emulator(), {
        clientId: blueprint.clientId,
        clientSecret: blueprint.clientSecret,
      });
      return cca(emulator(), {
        clientId: agent.clientId,
        clientAssertion: async () => {
          const t1 = await blueprintCca.acquireTokenByClientCredential({
            scopes: [TOKEN_EXCHANGE_DEFAULT],
            fmiPath: agent.clientId,
          });
          return t1?.accessToken ?? "";
        },
      });
    }

    it("returns a refresh token from the agent's On-Behalf-Of, redeemable by the agent with T1", async () => {
      const { blueprint, agent } = apps();
      const obo = agentClient();
      await obo.acquireTokenOnBehalfOf({
        oboAssertion: await emulator().signIn({
          user: "alice@contoso.example",
          clientId: blueprint.clientId,
          scopes: ["access_agent"],
        }),
        scopes: [GRAPH_DEFAULT],
      });
      const refreshToken = refreshTokenIn(obo);
      const later = agentClient();
      const result = await later.acquireTokenByRefreshToken({
        refreshToken,
        scopes: [GRAPH_DEFAULT],
        forceCache: true,
      });
      const claims = claimsOf(result?.accessToken ?? "");
      assert.equal(claims.appid, agent.clientId);
      assert.equal(claims.oid, emulator().user("alice@contoso.example")?.id);
      assert.equal(claims.xms_par_app_azp, blueprint.clientId);
      assert.notEqual(refreshTokenIn(later), refreshToken);
      // The agent's refresh token is the agent's: the blueprint cannot redeem it.
      await rejectsWithEntra(
        cca(emulator(), {
          clientId: blueprint.clientId,
          clientSecret: blueprint.clientSecret,
        }).acquireTokenByRefreshToken({ refreshToken, scopes: [GRAPH_DEFAULT] }),
        { errorCode: "invalid_grant", aadsts: 70000 },
      );
    });
  });

  describe("raw HTTPS", () => {
    function oboForm(assertion: string, scope: string): Record<string, string> {
      const { api } = apps();
      return {
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        requested_token_use: "on_behalf_of",
        client_id: api.clientId,
        client_secret: api.clientSecret,
        assertion,
        scope,
      };
    }

    it("returns no refresh token when offline_access is not asked for", async () => {
      const tenant = emulator().tenants[0]?.id ?? "";
      const assertion = await emulator().signIn({ user: "alice@contoso.example" });
      const without = await postToken(emulator(), tenant, oboForm(assertion, GRAPH_DEFAULT));
      assert.equal(without.status, 200);
      assert.equal(without.body.refresh_token, undefined);
      const withOffline = await postToken(
        emulator(),
        tenant,
        oboForm(assertion, `${GRAPH_DEFAULT} offline_access`),
      );
      assert.equal(typeof withOffline.body.refresh_token, "string");
      assert.equal(withOffline.body.id_token, undefined, "no openid, no ID token");
    });

    it("requires client authentication, the refresh_token parameter, and the user's tenant; serves /organizations and /common", async () => {
      const { api } = apps();
      const refreshToken = await oboRefreshToken("alice@contoso.example");
      const base = {
        grant_type: "refresh_token",
        client_id: api.clientId,
        scope: GRAPH_DEFAULT,
      };
      const tenants = emulator().tenants;
      const contoso = tenants[0]?.id ?? "";
      const fabrikam = tenants[1]?.id ?? "";
      const noSecret = await postToken(emulator(), contoso, {
        ...base,
        refresh_token: refreshToken,
      });
      assert.equal(noSecret.status, 401);
      assert.equal(aadstsOf(noSecret.body), 7000218);
      const noToken = await postToken(emulator(), contoso, {
        ...base,
        client_secret: api.clientSecret,
      });
      assert.equal(aadstsOf(noToken.body), 900144);
      const otherTenant = await postToken(emulator(), fabrikam, {
        ...base,
        client_secret: api.clientSecret,
        refresh_token: refreshToken,
      });
      assert.equal(otherTenant.body.error, "invalid_grant");
      assert.equal(aadstsOf(otherTenant.body), 50034);
      for (const segment of ["organizations", "common"]) {
        const served = await postToken(emulator(), segment, {
          ...base,
          client_secret: api.clientSecret,
          refresh_token: refreshToken,
        });
        assert.equal(served.status, 200, JSON.stringify(served.body.error_codes));
        assert.equal(typeof served.body.refresh_token, "string");
        assert.equal(claimsOf(String(served.body.access_token)).tid, contoso);
      }
    });
  });
});
