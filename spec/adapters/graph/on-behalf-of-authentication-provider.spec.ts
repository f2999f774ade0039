import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { AuthenticationHandlerOptions, Client } from "@microsoft/microsoft-graph-client";
import { compactVerify, decodeProtectedHeader, importSPKI } from "jose";
import type { OnBehalfOfAuthenticationProvider } from "../../../lib/index.js";
import {
  runWithUserAssertion,
  type OnBehalfOfAuthenticationProviderOptions,
  type OnBehalfOfTokenOptions,
} from "../../../lib/index.js";
import {
  claimsOf,
  entraError,
  mockGraphMe,
  mockOboEndpoint,
  mockTokenError,
} from "../../support/entra.js";
import {
  API_CLIENT_ID,
  CLIENT_SECRET,
  OTHER_TENANT,
  TENANT,
  userToken,
} from "../../support/tokens.js";
import { rejectsWithCode } from "../../support/assertions.js";
import { plainProvider as provider } from "../../support/provider.js";

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

function graphFor(authProvider: OnBehalfOfAuthenticationProvider): Client {
  return Client.initWithMiddleware({ authProvider });
}

function perRequest(options: OnBehalfOfTokenOptions): AuthenticationHandlerOptions {
  return new AuthenticationHandlerOptions(undefined, options);
}

describe("OnBehalfOfAuthenticationProvider", () => {
  describe("through the Graph client", () => {
    it("gives each of two concurrent users their own token for /me and /me/manager", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const bob = await userToken({ oid: "bob", tid: TENANT });
      const exchanges = mockOboEndpoint({ times: 2, delayMs: 20 });
      const seen = mockGraphMe(8);
      const authProvider = provider();
      const graph = graphFor(authProvider);
      const call = (token: string, path: string) =>
        runWithUserAssertion(token, () => graph.api(path).get() as Promise<{ id: string }>);

      const results = await Promise.all([
        call(alice, "/me"),
        call(bob, "/me"),
        call(alice, "/me/manager"),
        call(bob, "/me/manager"),
        call(bob, "/me"),
        call(alice, "/me"),
        call(bob, "/me/manager"),
        call(alice, "/me/manager"),
      ]);

      assert.deepEqual(
        results.map((r) => r.id),
        [
          "alice",
          "bob",
          "manager-of-alice",
          "manager-of-bob",
          "bob",
          "alice",
          "manager-of-bob",
          "manager-of-alice",
        ],
      );
      assert.equal(exchanges.length, 2, "one exchange per user: concurrent misses are coalesced");
      assert.deepEqual(exchanges.map((e) => claimsOf(e.form.assertion ?? "").oid).sort(), [
        "alice",
        "bob",
      ]);
      for (const hit of seen) assert.equal(claimsOf(hit.token).oid, hit.oid);
      assert.equal(authProvider.stats().tokenRequests, 2);
    });

    it("serves a repeat call for the same user and scopes from the cache, with no token request", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const exchanges = mockOboEndpoint({ times: 1 });
      mockGraphMe(3);
      const authProvider = provider({ getUserAssertion: () => alice });
      const graph = graphFor(authProvider);
      await graph.api("/me").get();
      await graph.api("/me").get();
      await graph.api("/me/manager").get();
      assert.equal(exchanges.length, 1);
      const stats = authProvider.stats();
      assert.equal(stats.hits, 2);
      assert.equal(stats.misses, 1);
      assert.equal(stats.tokenRequests, 1);
    });

    it("uses per-request scopes, cached separately from the default scopes", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const exchanges = mockOboEndpoint({ times: 2 });
      mockGraphMe(3);
      const graph = graphFor(provider({ getUserAssertion: () => alice }));
      await graph.api("/me").get();
      await graph
        .api("/me")
        .middlewareOptions([perRequest({ scopes: ["User.Read", "Mail.Read"] })])
        .get();
      await graph
        .api("/me")
        .middlewareOptions([perRequest({ scopes: ["Mail.Read", "User.Read"] })])
        .get();
      assert.equal(exchanges.length, 2, "scope order does not matter for the cache");
      const scopes = exchanges.map((e) => (e.form.scope ?? "").split(" "));
      assert.ok(scopes[0]?.includes("https://graph.microsoft.com/.default"));
      assert.ok(scopes[1]?.includes("User.Read") && scopes[1].includes("Mail.Read"));
    });

    it("takes a per-request user assertion over the accessor, and strips a Bearer prefix", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const bob = await userToken({ oid: "bob", tid: TENANT });
      mockOboEndpoint({ times: 1 });
      const seen = mockGraphMe(1);
      const graph = graphFor(provider({ getUserAssertion: () => alice }));
      await graph
        .api("/me")
        .middlewareOptions([perRequest({ userAssertion: `Bearer ${bob}` })])
        .get();
      assert.equal(seen[0]?.oid, "bob");
    });

    it("routes a multi-tenant exchange to the caller's own tenant", async () => {
      const inHome = await userToken({ oid: "alice", tid: TENANT });
      const inOther = await userToken({ oid: "carol", tid: OTHER_TENANT });
      const exchanges = mockOboEndpoint({ times: 2 });
      mockGraphMe(2);
      const graph = graphFor(provider({ tenantId: "organizations" }));
      await runWithUserAssertion(inHome, () => graph.api("/me").get());
      await runWithUserAssertion(inOther, () => graph.api("/me").get());
      assert.deepEqual(
        exchanges.map((e) => e.tenant),
        [TENANT, OTHER_TENANT],
      );
    });

    it("sends the request to the cloud of the authority (US Government)", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const exchanges = mockOboEndpoint({ host: "https://login.microsoftonline.us" });
      const authProvider = provider({
        tenantId: undefined,
        authority: `https://login.microsoftonline.us/${TENANT}`,
      });
      await authProvider.getAccessToken({ userAssertion: alice });
      assert.equal(exchanges[0]?.form.scope?.split(" ")[0], "https://graph.microsoft.us/.default");
    });
  });

  describe("the On-Behalf-Of request", () => {
    async function exchangeWith(extra: Partial<OnBehalfOfAuthenticationProviderOptions>) {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const exchanges = mockOboEndpoint();
      const token = await provider({
        clientSecret: undefined,
        ...extra,
      } as Partial<OnBehalfOfAuthenticationProviderOptions>).getAccessToken({
        userAssertion: alice,
      });
      assert.equal(claimsOf(token).oid, "alice");
      const form = exchanges[0]?.form ?? {};
      assert.equal(exchanges[0]?.tenant, TENANT);
      assert.equal(form.grant_type, JWT_BEARER);
      assert.equal(form.requested_token_use, "on_behalf_of");
      assert.equal(form.assertion, alice);
      assert.equal(form.client_id, API_CLIENT_ID);
      assert.ok(form.scope?.split(" ").includes("https://graph.microsoft.com/.default"));
      return form;
    }

    it("carries the protocol fields and the client secret", async () => {
      const form = await exchangeWith({ clientSecret: CLIENT_SECRET });
      assert.equal(form.client_secret, CLIENT_SECRET);
      assert.equal(form.client_assertion, undefined);
    });

    it("carries a certificate-signed client assertion", async () => {
      const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const thumbprintSha256 = "ab".repeat(32);
      const form = await exchangeWith({
        clientCertificate: {
          thumbprintSha256,
          privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        },
      });
      assert.equal(form.client_assertion_type, ASSERTION_TYPE);
      assert.equal(form.client_secret, undefined);
      const jwt = form.client_assertion ?? "";
      const header = decodeProtectedHeader(jwt);
      assert.equal(header["x5t#S256"], Buffer.from(thumbprintSha256, "hex").toString("base64url"));
      const key = await importSPKI(
        publicKey.export({ type: "spki", format: "pem" }).toString(),
        header.alg ?? "PS256",
      );
      await compactVerify(jwt, key); // signed with the configured key
      const claims = claimsOf(jwt);
      assert.equal(claims.iss, API_CLIENT_ID);
      assert.equal(claims.sub, API_CLIENT_ID);
      assert.equal(claims.aud, `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`);
    });

    it("carries a client assertion given as a string", async () => {
      const form = await exchangeWith({ clientAssertion: "federated.assertion.jwt" });
      assert.equal(form.client_assertion_type, ASSERTION_TYPE);
      assert.equal(form.client_assertion, "federated.assertion.jwt");
    });

    it("carries a client assertion from an async callback, told the client id and endpoint", async () => {
      const calls: { clientId: string; tokenEndpoint?: string }[] = [];
      const form = await exchangeWith({
        clientAssertion: async (context) => {
          calls.push(context);
          await Promise.resolve();
          return "from-managed-identity";
        },
      });
      assert.equal(form.client_assertion, "from-managed-identity");
      assert.equal(calls[0]?.clientId, API_CLIENT_ID);
    });
  });

  describe("errors through the Graph client", () => {
    it("ERR_OBO_USER_ASSERTION_MISSING when there is no incoming token", async () => {
      const graph = graphFor(provider());
      const error = await rejectsWithCode(
        graph.api("/me").get() as Promise<unknown>,
        "ERR_OBO_USER_ASSERTION_MISSING",
      );
      assert.match(error.message, /runWithUserAssertion/);
      await rejectsWithCode(
        graphFor(provider({ getUserAssertion: () => "  " }))
          .api("/me")
          .get() as Promise<unknown>,
        "ERR_OBO_USER_ASSERTION_MISSING",
      );
    });

    it("ERR_OBO_USER_ASSERTION_MISSING with the accessor's failure as cause", async () => {
      const failure = new Error("no request");
      const error = await rejectsWithCode(
        graphFor(provider({ getUserAssertion: () => Promise.reject(failure) }))
          .api("/me")
          .get() as Promise<unknown>,
        "ERR_OBO_USER_ASSERTION_MISSING",
      );
      assert.equal(error.cause, failure);
    });

    it("ERR_OBO_USER_ASSERTION_MALFORMED for a token that is not a JWT", async () => {
      const graph = graphFor(provider({ getUserAssertion: () => "not-a-jwt" }));
      await rejectsWithCode(
        graph.api("/me").get() as Promise<unknown>,
        "ERR_OBO_USER_ASSERTION_MALFORMED",
      );
    });

    it("ERR_OBO_USER_ASSERTION_EXPIRED for an expired token, beyond the clock skew", async () => {
      const expired = await userToken({ oid: "alice", tid: TENANT, expSeconds: -120 });
      const graph = graphFor(provider({ getUserAssertion: () => expired }));
      await rejectsWithCode(
        graph.api("/me").get() as Promise<unknown>,
        "ERR_OBO_USER_ASSERTION_EXPIRED",
      );
      const recent = await userToken({ oid: "alice", tid: TENANT, expSeconds: -30 });
      mockOboEndpoint();
      await provider().getAccessToken({ userAssertion: recent }); // within the 60 s default skew
    });

    it("ERR_OBO_USER_ASSERTION_WRONG_AUDIENCE for a Graph token, saying how to fix it", async () => {
      for (const aud of [
        "https://graph.microsoft.com",
        "00000003-0000-0000-c000-000000000000",
        "https://graph.microsoft.com/",
      ]) {
        const graphToken = await userToken({ oid: "alice", tid: TENANT, aud });
        const graph = graphFor(provider({ getUserAssertion: () => graphToken }));
        const error = await rejectsWithCode(
          graph.api("/me").get() as Promise<unknown>,
          "ERR_OBO_USER_ASSERTION_WRONG_AUDIENCE",
        );
        assert.match(error.message, /token for this API/);
        assert.match(error.message, /api:\/\//);
      }
    });

    it("ERR_OBO_TENANT_NOT_ALLOWED for a tenant outside allowedTenants, before any network call", async () => {
      const foreign = await userToken({ oid: "mallory", tid: OTHER_TENANT });
      const graph = graphFor(
        provider({
          tenantId: "organizations",
          allowedTenants: [TENANT],
          getUserAssertion: () => foreign,
        }),
      );
      await rejectsWithCode(
        graph.api("/me").get() as Promise<unknown>,
        "ERR_OBO_TENANT_NOT_ALLOWED",
      );
    });

    it("ERR_OBO_TOKEN_REQUEST_FAILED with Entra's details and MSAL's error as cause", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const sent = mockTokenError(400, entraError("invalid_grant", 50013));
      const graph = graphFor(provider({ getUserAssertion: () => alice }));
      const error = await rejectsWithCode(
        graph.api("/me").get() as Promise<unknown>,
        "ERR_OBO_TOKEN_REQUEST_FAILED",
      );
      assert.equal(error.error, "invalid_grant");
      assert.equal(error.aadsts, 50013);
      assert.equal(error.leg, "obo");
      assert.equal(
        error.correlationId,
        sent[0]?.form["client-request-id"],
        "the correlation id Entra logs",
      );
      assert.ok(error.cause instanceof Error);
      assert.equal((error.cause as { errorCode?: string }).errorCode, "invalid_grant");
    });

    it("ERR_OBO_TOKEN_REQUEST_FAILED for invalid_client", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      mockTokenError(401, entraError("invalid_client", 7000215));
      const error = await rejectsWithCode(
        provider().getAccessToken({ userAssertion: alice }),
        "ERR_OBO_TOKEN_REQUEST_FAILED",
      );
      assert.equal(error.aadsts, 7000215);
      assert.ok(!error.message.includes(CLIENT_SECRET));
    });

    it("ERR_OBO_INTERACTION_REQUIRED carrying the claims for MFA", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const claims =
        '{"access_token":{"polids":{"essential":true,"values":["00aa00aa-bb11-cc22-dd33-44ee44ee44ee"]}}}';
      mockTokenError(400, entraError("interaction_required", 50079, { claims }));
      const graph = graphFor(provider({ getUserAssertion: () => alice }));
      const error = await rejectsWithCode(
        graph.api("/me").get() as Promise<unknown>,
        "ERR_OBO_INTERACTION_REQUIRED",
      );
      assert.equal(error.claims, claims);
      assert.equal(error.aadsts, 50079);
      assert.equal(error.error, "interaction_required");
    });

    it("ERR_OBO_INTERACTION_REQUIRED for consent (suberror consent_required)", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      mockTokenError(400, entraError("invalid_grant", 65001, { suberror: "consent_required" }));
      const error = await rejectsWithCode(
        provider().getAccessToken({ userAssertion: alice }),
        "ERR_OBO_INTERACTION_REQUIRED",
      );
      assert.equal(error.suberror, "consent_required");
      assert.equal(error.aadsts, 65001);
    });

    it("ERR_OBO_CONFIGURATION for bad per-request scopes", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const graph = graphFor(provider({ getUserAssertion: () => alice }));
      const error = await rejectsWithCode(
        graph
          .api("/me")
          .middlewareOptions([perRequest({ scopes: [] })])
          .get() as Promise<unknown>,
        "ERR_OBO_CONFIGURATION",
      );
      assert.equal(error.option, "scopes");
    });
  });

  describe("logging", () => {
    it("never hands a token, an assertion or the secret to the logger", async () => {
      const lines: string[] = [];
      const record = (message: string) => lines.push(message);
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const exchanges = mockOboEndpoint();
      mockTokenError(400, entraError("invalid_grant", 50013));
      const logger = { error: record, warn: record, info: record, verbose: record };
      const authProvider = provider({ logger });
      const token = await authProvider.getAccessToken({ userAssertion: alice });
      await authProvider.getAccessToken({ userAssertion: alice });
      const bob = await userToken({ oid: "bob", tid: TENANT });
      await rejectsWithCode(
        authProvider.getAccessToken({ userAssertion: bob }),
        "ERR_OBO_TOKEN_REQUEST_FAILED",
      );
      assert.ok(exchanges.length === 1);
      assert.ok(lines.length > 0, "the logger received messages");
      const all = lines.join("\n");
      for (const secret of [alice, bob, token, CLIENT_SECRET]) assert.ok(!all.includes(secret));
    });
  });
});
