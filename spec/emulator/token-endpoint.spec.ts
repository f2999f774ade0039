import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { InteractionRequiredAuthError, ServerError } from "@azure/msal-node";
import { SignJWT, createRemoteJWKSet, customFetch, importPKCS8, jwtVerify } from "jose";
import { GRAPH_APP_ID, type ClientCertificateCredential } from "graph-obo-auth-emulator";
import {
  GRAPH_DEFAULT,
  cca,
  claimsOf,
  clientCertificates,
  forgeryKey,
  rejectsWithEntra,
  useEmulator,
} from "./support/emulator.js";

describe("emulator token endpoint", () => {
  const emulator = useEmulator();
  const api = () => emulator().defaults.apps.api;
  const apiClient = () =>
    cca(emulator(), { clientId: api().clientId, clientSecret: api().clientSecret });
  const alice = () => emulator().signIn({ user: "alice@contoso.example" });

  describe("On-Behalf-Of", () => {
    it("issues a Graph token with realistic claims, client_info and an id_token", async () => {
      const assertion = await alice();
      const result = await apiClient().acquireTokenOnBehalfOf({
        oboAssertion: assertion,
        scopes: [GRAPH_DEFAULT],
      });
      assert.ok(result);
      const user = emulator().user("alice@contoso.example");
      const { contoso } = emulator().defaults.tenants;
      const claims = claimsOf(result.accessToken);
      assert.equal(claims.aud, "https://graph.microsoft.com");
      assert.equal(claims.iss, `${emulator().origin}/${contoso.id}/`);
      assert.equal(claims.tid, contoso.id);
      assert.equal(claims.oid, user?.id);
      assert.equal(claims.appid, api().clientId);
      assert.equal(claims.idtyp, "user");
      assert.equal(claims.ver, "1.0");
      assert.equal(claims.scp, "User.Read User.ReadBasic.All");
      assert.equal(claims.upn, "alice@contoso.example");
      assert.ok(typeof claims.exp === "number" && typeof claims.iat === "number");
      assert.ok(claims.exp - claims.iat > 300);
      assert.equal(result.account?.homeAccountId, `${user?.id}.${contoso.id}`, "client_info");
      assert.equal(result.account.username, "alice@contoso.example", "id_token");
      assert.equal((result.idTokenClaims as { aud?: string }).aud, api().clientId);
    });

    it("issues v2 tokens for an API registered in the emulator (OBO to a downstream API)", async () => {
      const downstream = emulator().defaults.apps.downstreamApi.clientId;
      const result = await apiClient().acquireTokenOnBehalfOf({
        oboAssertion: await alice(),
        scopes: [`api://${downstream}/Orders.Read`],
      });
      const claims = claimsOf(result?.accessToken ?? "");
      assert.equal(claims.aud, downstream);
      assert.equal(claims.ver, "2.0");
      assert.equal(claims.azp, api().clientId);
      assert.equal(claims.azpacr, "1");
      assert.equal(claims.scp, "Orders.Read");
      assert.equal(claims.preferred_username, "alice@contoso.example");
      assert.equal(
        claims.iss,
        `${emulator().origin}/${emulator().defaults.tenants.contoso.id}/v2.0`,
      );
    });

    it("signs tokens with the key in the tenant's JWKS, found through OpenID discovery", async () => {
      const { contoso } = emulator().defaults.tenants;
      const discovery = (await (
        await emulator().fetch(`/${contoso.domain}/v2.0/.well-known/openid-configuration`)
      ).json()) as { issuer: string; jwks_uri: string; token_endpoint: string };
      assert.equal(discovery.issuer, `${emulator().origin}/${contoso.id}/v2.0`);
      assert.equal(
        discovery.token_endpoint,
        `${emulator().origin}/${contoso.id}/oauth2/v2.0/token`,
      );
      const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri), {
        [customFetch]: (url: string, init: RequestInit) => emulator().fetch(url, init),
      });
      const token = await alice();
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: discovery.issuer,
        audience: api().clientId,
      });
      assert.equal(protectedHeader.alg, "RS256");
      assert.equal(payload.scp, "access_as_user");
      assert.equal(payload.azp, emulator().defaults.apps.client.clientId);
    });

    it("marks tokens with xms_cc when the client declares the cp1 capability", async () => {
      const client = cca(emulator(), {
        clientId: api().clientId,
        clientSecret: api().clientSecret,
        clientCapabilities: ["cp1"],
      });
      const result = await client.acquireTokenOnBehalfOf({
        oboAssertion: await alice(),
        scopes: [GRAPH_DEFAULT],
      });
      assert.deepEqual(claimsOf(result?.accessToken ?? "").xms_cc, ["cp1"]);
      const plain = await apiClient().acquireTokenOnBehalfOf({
        oboAssertion: await alice(),
        scopes: [GRAPH_DEFAULT],
      });
      assert.equal(claimsOf(plain?.accessToken ?? "").xms_cc, undefined);
    });

    it("refuses an expired assertion with AADSTS500133", async () => {
      const expired = await emulator().signIn({
        user: "alice@contoso.example",
        expiresInSeconds: -60,
      });
      await rejectsWithEntra(
        apiClient().acquireTokenOnBehalfOf({ oboAssertion: expired, scopes: [GRAPH_DEFAULT] }),
        { errorCode: "invalid_grant", aadsts: 500133 },
      );
    });

    it("refuses a Graph token as assertion with AADSTS50013", async () => {
      const graphToken = await emulator().signIn({
        user: "alice@contoso.example",
        clientId: GRAPH_APP_ID,
        scopes: ["User.Read"],
      });
      await rejectsWithEntra(
        apiClient().acquireTokenOnBehalfOf({ oboAssertion: graphToken, scopes: [GRAPH_DEFAULT] }),
        { name: "ServerError", errorCode: "invalid_grant", aadsts: 50013 },
      );
    });

    it("refuses an assertion for another API with AADSTS50013, and accepts the app ID URI audience", async () => {
      const downstream = emulator().defaults.apps.downstreamApi.clientId;
      const forOther = await emulator().signIn({
        user: "alice@contoso.example",
        clientId: downstream,
        scopes: ["Orders.Read"],
      });
      await rejectsWithEntra(
        apiClient().acquireTokenOnBehalfOf({ oboAssertion: forOther, scopes: [GRAPH_DEFAULT] }),
        { errorCode: "invalid_grant", aadsts: 50013 },
      );
      const byUri = await emulator().signIn({
        user: "alice@contoso.example",
        audience: "appIdUri",
      });
      assert.equal(claimsOf(byUri).aud, `api://${api().clientId}`);
      assert.equal(claimsOf(byUri).ver, "1.0", "Entra writes an app ID URI only in v1.0 tokens");
      const ok = await apiClient().acquireTokenOnBehalfOf({
        oboAssertion: byUri,
        scopes: [GRAPH_DEFAULT],
      });
      assert.ok(ok?.accessToken);
    });

    it("refuses an assertion not signed by the emulator with AADSTS50013", async () => {
      const privateKey = await forgeryKey();
      const genuine = claimsOf(await alice());
      const forged = await new SignJWT(genuine)
        .setProtectedHeader({ alg: "RS256", kid: "forged" })
        .sign(privateKey);
      await rejectsWithEntra(
        apiClient().acquireTokenOnBehalfOf({ oboAssertion: forged, scopes: [GRAPH_DEFAULT] }),
        { errorCode: "invalid_grant", aadsts: 50013 },
      );
    });

    it("refuses an assertion from another tenant than the request's", async () => {
      const erin = await emulator().signIn({ user: "erin@fabrikam.example" });
      await rejectsWithEntra(
        apiClient().acquireTokenOnBehalfOf({ oboAssertion: erin, scopes: [GRAPH_DEFAULT] }),
        { errorCode: "invalid_grant", aadsts: 50013 },
      );
    });

    it("refuses scopes without consent with AADSTS65001 and suberror consent_required", async () => {
      const failure = await rejectsWithEntra(
        apiClient().acquireTokenOnBehalfOf({
          oboAssertion: await alice(),
          scopes: ["https://graph.microsoft.com/Mail.Read"],
        }),
        { errorCode: "invalid_grant", aadsts: 65001, subError: "consent_required" },
      );
      assert.ok(failure instanceof InteractionRequiredAuthError);
    });

    it("refuses .default for an app with no consented permissions with AADSTS65001", async () => {
      const clientId = randomUUID();
      emulator().registerApp({ clientId, clientSecret: "s", graphScopes: [] });
      const token = await emulator().signIn({ user: "alice@contoso.example", clientId });
      await rejectsWithEntra(
        cca(emulator(), { clientId, clientSecret: "s" }).acquireTokenOnBehalfOf({
          oboAssertion: token,
          scopes: [GRAPH_DEFAULT],
        }),
        { aadsts: 65001, subError: "consent_required" },
      );
    });

    it("refuses an unknown resource (AADSTS500011) and scopes of two resources (AADSTS700022)", async () => {
      await rejectsWithEntra(
        apiClient().acquireTokenOnBehalfOf({
          oboAssertion: await alice(),
          scopes: ["api://unknown-api/read"],
        }),
        { errorCode: "invalid_resource", aadsts: 500011 },
      );
      await rejectsWithEntra(
        apiClient().acquireTokenOnBehalfOf({
          oboAssertion: await alice(),
          scopes: [
            "User.Read",
            `api://${emulator().defaults.apps.downstreamApi.clientId}/Orders.Read`,
          ],
        }),
        { errorCode: "invalid_scope", aadsts: 700022 },
      );
    });
  });

  describe("client authentication", () => {
    it("refuses an unknown client with AADSTS700016", async () => {
      await rejectsWithEntra(
        cca(emulator(), { clientId: randomUUID(), clientSecret: "x" }).acquireTokenOnBehalfOf({
          oboAssertion: await alice(),
          scopes: [GRAPH_DEFAULT],
        }),
        { errorCode: "unauthorized_client", aadsts: 700016 },
      );
    });

    it("refuses a single-tenant app in another tenant with AADSTS700016", async () => {
      const { blueprint } = emulator().defaults.apps;
      await rejectsWithEntra(
        cca(emulator(), {
          clientId: blueprint.clientId,
          clientSecret: blueprint.clientSecret,
          tenant: "fabrikam.example",
        }).acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }),
        { aadsts: 700016 },
      );
    });

    it("refuses a wrong client secret with AADSTS7000215 (invalid_client, HTTP 401)", async () => {
      const failure = await rejectsWithEntra(
        cca(emulator(), { clientId: api().clientId, clientSecret: "wrong" }).acquireTokenOnBehalfOf(
          {
            oboAssertion: await alice(),
            scopes: [GRAPH_DEFAULT],
          },
        ),
        { errorCode: "invalid_client", aadsts: 7000215 },
      );
      assert.ok(failure instanceof ServerError);
      assert.doesNotMatch(failure.message, /wrong/, "the secret is never echoed");
      assert.equal(emulator().count({ endpoint: "token", status: 401 }), 1);
    });

    describe("with a certificate", () => {
      let certificate: ClientCertificateCredential;
      let other: ClientCertificateCredential;
      const clientId = randomUUID();

      before(async () => {
        [certificate, other] = await clientCertificates();
        emulator().registerApp({
          clientId,
          certificate: { certificatePem: certificate.certificatePem },
          graphRoles: ["User.Read.All"],
        });
      });

      it("accepts msal-node's PS256 assertion with x5t#S256 and its RS256 assertion with x5t", async () => {
        const ps256 = await cca(emulator(), {
          clientId,
          clientCertificate: {
            thumbprintSha256: certificate.thumbprintSha256,
            privateKey: certificate.privateKeyPem,
          },
        }).acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
        const rs256 = await cca(emulator(), {
          clientId,
          clientCertificate: {
            thumbprint: certificate.thumbprint,
            privateKey: certificate.privateKeyPem,
          },
        }).acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
        for (const result of [ps256, rs256]) {
          const claims = claimsOf(result?.accessToken ?? "");
          assert.deepEqual(claims.roles, ["User.Read.All"]);
          assert.equal(claims.idtyp, "app");
          assert.equal(claims.appidacr, "2");
        }
      });

      it("refuses an unregistered certificate with AADSTS700027", async () => {
        await rejectsWithEntra(
          cca(emulator(), {
            clientId,
            clientCertificate: {
              thumbprintSha256: other.thumbprintSha256,
              privateKey: other.privateKeyPem,
            },
          }).acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }),
          { errorCode: "invalid_client", aadsts: 700027 },
        );
      });

      it("refuses a signature by another key with AADSTS700027", async () => {
        await rejectsWithEntra(
          cca(emulator(), {
            clientId,
            clientCertificate: {
              thumbprintSha256: certificate.thumbprintSha256,
              privateKey: other.privateKeyPem,
            },
          }).acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }),
          { errorCode: "invalid_client", aadsts: 700027 },
        );
      });

      async function assertionWith(claims: {
        aud?: string;
        iss?: string;
        exp?: number;
      }): Promise<string> {
        const now = Math.floor(Date.now() / 1000);
        const key = await importPKCS8(certificate.privateKeyPem, "PS256");
        const tokenEndpoint = `${emulator().authority()}/oauth2/v2.0/token`;
        return new SignJWT({ jti: randomUUID() })
          .setProtectedHeader({
            alg: "PS256",
            "x5t#S256": Buffer.from(certificate.thumbprintSha256, "hex").toString("base64url"),
          })
          .setIssuer(claims.iss ?? clientId)
          .setSubject(clientId)
          .setAudience(claims.aud ?? tokenEndpoint)
          .setNotBefore(now - 60)
          .setExpirationTime(claims.exp ?? now + 600)
          .sign(key);
      }

      it("refuses an assertion for another audience (AADSTS50027), expired (AADSTS700024) or for another client (AADSTS50048)", async () => {
        const cases: [Promise<string>, number][] = [
          [assertionWith({ aud: "https://login.microsoftonline.com/x/oauth2/v2.0/token" }), 50027],
          [assertionWith({ exp: Math.floor(Date.now() / 1000) - 10 }), 700024],
          [assertionWith({ iss: randomUUID() }), 50048],
        ];
        for (const [assertion, code] of cases) {
          await rejectsWithEntra(
            cca(emulator(), {
              clientId,
              clientAssertion: await assertion,
            }).acquireTokenByClientCredential({
              scopes: [GRAPH_DEFAULT],
            }),
            { errorCode: "invalid_client", aadsts: code },
          );
        }
      });
    });
  });

  describe("client credentials", () => {
    it("requires a /.default scope (AADSTS1002012)", async () => {
      const { blueprint } = emulator().defaults.apps;
      await rejectsWithEntra(
        cca(emulator(), {
          clientId: blueprint.clientId,
          clientSecret: blueprint.clientSecret,
        }).acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/User.Read"] }),
        { errorCode: "invalid_scope", aadsts: 1002012 },
      );
    });
  });

  describe("errors on the wire", () => {
    async function post(
      tenant: string,
      form: Record<string, string>,
    ): Promise<{ status: number; body: Record<string, unknown> }> {
      const response = await emulator().fetch(
        `/${tenant}/oauth2/v2.0/token?client-request-id=abc-123`,
        {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams(form).toString(),
        },
      );
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    }

    it("answers Entra's error JSON, echoing client-request-id as correlation_id", async () => {
      const { status, body } = await post(randomUUID(), { grant_type: "client_credentials" });
      assert.equal(status, 400);
      assert.equal(body.error, "invalid_request");
      assert.match(
        String(body.error_description),
        /^AADSTS90002: Tenant '.+' not found\..*\r\nTrace ID: .+\r\nCorrelation ID: abc-123\r\nTimestamp: /s,
      );
      assert.deepEqual(body.error_codes, [90002]);
      assert.match(String(body.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
      assert.match(String(body.trace_id), /^[0-9a-f-]{36}$/);
      assert.equal(body.correlation_id, "abc-123");
    });

    it("asks for a missing credential (AADSTS7000218), grant type (AADSTS900144) and knows no other grant (AADSTS70003)", async () => {
      const { api: a } = emulator().defaults.apps;
      const missing = await post("contoso.example", {
        grant_type: "client_credentials",
        client_id: a.clientId,
        scope: GRAPH_DEFAULT,
      });
      assert.equal(missing.status, 401);
      assert.deepEqual(missing.body.error_codes, [7000218]);
      const noGrant = await post("contoso.example", {
        client_id: a.clientId,
        client_secret: a.clientSecret,
      });
      assert.deepEqual(noGrant.body.error_codes, [900144]);
      const password = await post("contoso.example", {
        grant_type: "password",
        client_id: a.clientId,
        client_secret: a.clientSecret,
      });
      assert.equal(password.body.error, "unsupported_grant_type");
      assert.deepEqual(password.body.error_codes, [70003]);
    });
  });
});
