import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createLocalJWKSet, errors, generateKeyPair } from "jose";
import {
  createAccessTokenValidator,
  validateAccessToken,
  type AccessTokenValidationOptions,
} from "../../lib/validation/index.js";
import { API_CLIENT_ID, OTHER_TENANT, TENANT } from "../support/tokens.js";
import { refused } from "./support/assertions.js";
import {
  defaultClaims,
  hmacWithPublicKey,
  keySet,
  mint,
  newKey,
  now,
  unsecured,
  type TestKey,
} from "./support/keys.js";

const INVALID = "ERR_OBO_ACCESS_TOKEN_INVALID";
const INSUFFICIENT = "ERR_OBO_ACCESS_TOKEN_INSUFFICIENT_SCOPE";

describe("validateAccessToken", () => {
  let key: TestKey;
  let options: AccessTokenValidationOptions;

  before(async () => {
    key = await newKey();
    options = { clientId: API_CLIENT_ID, tenantId: TENANT, jwks: keySet(key) };
  });

  describe("accepts", () => {
    it("a valid v2 token and returns its typed claims", async () => {
      const token = await mint(key, { claims: { roles: ["Reader"], name: "Alice" } });
      const claims = await validateAccessToken(token, options);
      assert.equal(claims.ver, "2.0");
      assert.equal(claims.tid, TENANT);
      assert.equal(claims.aud, API_CLIENT_ID);
      assert.equal(claims.iss, `https://login.microsoftonline.com/${TENANT}/v2.0`);
      assert.deepEqual(claims.scp, ["access_as_user", "Files.Read"]);
      assert.deepEqual(claims.roles, ["Reader"]);
      assert.equal(claims.clientAppId, "cccccccc-0000-4000-8000-00000000000c");
      assert.equal(claims.idtyp, "user");
      assert.equal(typeof claims.oid, "string");
      assert.equal(typeof claims.exp, "number");
      assert.equal(claims.payload.name, "Alice");
      assert.ok(Object.isFrozen(claims));
    });

    it("a valid v1 token (sts.windows.net issuer, App ID URI audience, appid)", async () => {
      const token = await mint(key, { ver: "1.0" });
      const claims = await validateAccessToken(token, options);
      assert.equal(claims.ver, "1.0");
      assert.equal(claims.iss, `https://sts.windows.net/${TENANT}/`);
      assert.equal(claims.aud, `api://${API_CLIENT_ID}`);
      assert.equal(claims.clientAppId, "cccccccc-0000-4000-8000-00000000000c");
    });

    it("a token with a `Bearer ` prefix", async () => {
      const token = await mint(key);
      const claims = await validateAccessToken(`Bearer ${token}`, options);
      assert.equal(claims.tid, TENANT);
    });

    it("an audience listed in `audiences`, besides the client id", async () => {
      const custom = { ...options, audiences: ["https://api.contoso.com"] };
      const token = await mint(key, { ver: "1.0", claims: { aud: "https://api.contoso.com" } });
      assert.equal((await validateAccessToken(token, custom)).aud, "https://api.contoso.com");
      const byClientId = await mint(key);
      assert.equal((await validateAccessToken(byClientId, custom)).aud, API_CLIENT_ID);
      // With `audiences` given, the default App ID URI is no longer accepted.
      const byAppIdUri = await mint(key, { ver: "1.0" });
      await refused(validateAccessToken(byAppIdUri, custom), byAppIdUri, INVALID, /\(aud\)/);
    });

    it("a token expired less than `clockSkewMs` ago", async () => {
      const token = await mint(key, { claims: { exp: now() - 30 } });
      assert.equal((await validateAccessToken(token, options)).tid, TENANT);
    });

    it("claims of unexpected types, mapped to empty values", async () => {
      const token = await mint(key, {
        claims: {
          scp: 7,
          roles: "Reader",
          oid: "",
          azp: undefined,
          iat: undefined,
          nbf: undefined,
        },
      });
      const claims = await validateAccessToken(token, {
        ...options,
        allowTokensWithoutScopesOrRoles: true,
      });
      assert.deepEqual(claims.scp, []);
      assert.deepEqual(claims.roles, []);
      assert.equal(claims.oid, undefined);
      assert.equal(claims.clientAppId, undefined);
      assert.equal(claims.iat, undefined);
      assert.equal(claims.nbf, undefined);
    });

    it("an app-only token with roles and no scp", async () => {
      const token = await mint(key, {
        claims: { scp: undefined, idtyp: "app", roles: ["Files.Read.All"] },
      });
      const claims = await validateAccessToken(token, {
        ...options,
        requiredRoles: ["Files.Read.All"],
      });
      assert.deepEqual(claims.scp, []);
      assert.equal(claims.idtyp, "app");
    });
  });

  describe("refuses", () => {
    it("an unsecured token (alg: none)", async () => {
      const token = unsecured(key);
      const error = await refused(validateAccessToken(token, options), token, INVALID, /RS256/);
      assert.ok(error.cause instanceof errors.JOSEAlgNotAllowed);
    });

    it("an HS256 token signed with the RSA public key (algorithm confusion)", async () => {
      const token = await hmacWithPublicKey(key);
      const error = await refused(validateAccessToken(token, options), token, INVALID, /RS256/);
      assert.ok(error.cause instanceof errors.JOSEAlgNotAllowed);
    });

    it("algorithm confusion even when a custom resolver would hand out the public key bytes", async () => {
      let calls = 0;
      const pem = new TextEncoder().encode(JSON.stringify(key.jwk));
      const custom = {
        ...options,
        jwks: () => {
          calls++;
          return pem;
        },
      };
      const token = await hmacWithPublicKey(key);
      await refused(validateAccessToken(token, custom), token, INVALID, /RS256/);
      assert.equal(calls, 0);
    });

    it("an RS256 token signed by another key that claims a known kid", async () => {
      const forger = await newKey(key.kid);
      const token = await mint(forger);
      const error = await refused(validateAccessToken(token, options), token, INVALID, /signature/);
      assert.ok(error.cause instanceof errors.JWSSignatureVerificationFailed);
    });

    it("a token whose payload was altered after signing", async () => {
      const [header, , signature] = (await mint(key)).split(".");
      const payload = Buffer.from(
        JSON.stringify({ ...defaultClaims("2.0", TENANT), scp: "Admin" }),
      ).toString("base64url");
      const token = `${header}.${payload}.${signature}`;
      await refused(validateAccessToken(token, options), token, INVALID, /signature/);
    });

    it("a token with an unknown kid", async () => {
      const stranger = await newKey();
      const token = await mint(stranger);
      const error = await refused(validateAccessToken(token, options), token, INVALID, /kid/);
      assert.ok(error.cause instanceof errors.JWKSNoMatchingKey);
    });

    it("a token from another issuer host", async () => {
      const token = await mint(key, {
        claims: { iss: `https://login.evil.example/${TENANT}/v2.0` },
      });
      await refused(validateAccessToken(token, options), token, INVALID, /issuer \(iss\)/);
    });

    it("a v2 token with a v1 issuer, and a v1 token with a v2 issuer", async () => {
      const v2 = await mint(key, { claims: { iss: `https://sts.windows.net/${TENANT}/` } });
      await refused(validateAccessToken(v2, options), v2, INVALID, /issuer \(iss\)/);
      const v1 = await mint(key, {
        ver: "1.0",
        claims: { iss: `https://login.microsoftonline.com/${TENANT}/v2.0` },
      });
      await refused(validateAccessToken(v1, options), v1, INVALID, /issuer \(iss\)/);
    });

    it("a token whose issuer names another tenant than its tid", async () => {
      const token = await mint(key, {
        claims: { iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0` },
      });
      await refused(validateAccessToken(token, options), token, INVALID, /issuer \(iss\)/);
    });

    it("a token for another audience, including a Microsoft Graph token", async () => {
      const other = await mint(key, { claims: { aud: "dddddddd-0000-4000-8000-00000000000d" } });
      const error = await refused(validateAccessToken(other, options), other, INVALID, /\(aud\)/);
      assert.match(error.message, new RegExp(`must be ${API_CLIENT_ID}\\.$`));
      const graph = await mint(key, { claims: { aud: "https://graph.microsoft.com" } });
      await refused(validateAccessToken(graph, options), graph, INVALID, /\(aud\)/);
    });

    it("an expired token", async () => {
      const token = await mint(key, { claims: { exp: now() - 3600 } });
      const error = await refused(validateAccessToken(token, options), token, INVALID, /expired/);
      assert.ok(error.cause instanceof errors.JWTExpired);
    });

    it("a token expired beyond a smaller `clockSkewMs`", async () => {
      const token = await mint(key, { claims: { exp: now() - 30 } });
      const strict = { ...options, clockSkewMs: 5_000 };
      await refused(validateAccessToken(token, strict), token, INVALID, /expired/);
    });

    it("a token that is not valid yet (nbf in the future)", async () => {
      const token = await mint(key, { claims: { nbf: now() + 3600 } });
      await refused(validateAccessToken(token, options), token, INVALID, /not valid yet/);
    });

    it("a token from another tenant when single-tenant", async () => {
      const token = await mint(key, { tid: OTHER_TENANT });
      await refused(validateAccessToken(token, options), token, INVALID, /tenant .*\(tid\)/);
    });

    it("a token without tid, without exp, or with an unknown version", async () => {
      const noTid = await mint(key, { claims: { tid: undefined } });
      await refused(validateAccessToken(noTid, options), noTid, INVALID, /lacks the tid claim/);
      const noExp = await mint(key, { claims: { exp: undefined } });
      await refused(validateAccessToken(noExp, options), noExp, INVALID, /lacks the exp claim/);
      const v3 = await mint(key, { claims: { ver: "3.0" } });
      await refused(validateAccessToken(v3, options), v3, INVALID, /version \(ver\)/);
      const badTid = await mint(key, { tid: "contoso.com" });
      await refused(validateAccessToken(badTid, options), badTid, INVALID, /tenant id \(tid\)/);
    });

    it("a token with a claim of the wrong type", async () => {
      const token = await mint(key, { claims: { exp: "tomorrow" } });
      const error = await refused(
        validateAccessToken(token, options),
        token,
        INVALID,
        /exp claim is invalid/,
      );
      assert.ok(error.cause instanceof errors.JWTClaimValidationFailed);
    });

    it("a token without kid when several keys could match", async () => {
      const other = await newKey();
      const token = await mint(key, { header: { kid: undefined } });
      const both = { ...options, jwks: keySet(key, other) };
      const error = await refused(
        validateAccessToken(token, both),
        token,
        INVALID,
        /single signing key/,
      );
      assert.ok(error.cause instanceof errors.JWKSMultipleMatchingKeys);
    });

    it("a token whose resolved key does not fit RS256", async () => {
      const { publicKey } = await generateKeyPair("ES256");
      const token = await mint(key);
      const odd = { ...options, jwks: () => publicKey };
      await refused(
        validateAccessToken(token, odd),
        token,
        INVALID,
        /could not be verified|well-formed/,
      );
    });

    it("something that is not a JWT, an empty token and a non-string", async () => {
      await refused(validateAccessToken("not-a-jwt", options), "not-a-jwt", INVALID, /well-formed/);
      await refused(validateAccessToken("  ", options), "", INVALID, /No access token/);
      await refused(validateAccessToken(42 as unknown as string, options), "", INVALID, /string/);
    });
  });

  describe("multi-tenant", () => {
    it("accepts any tenant's token whose issuer names its own tid", async () => {
      const multi = { ...options, tenantId: "organizations" };
      const token = await mint(key, { tid: OTHER_TENANT });
      assert.equal((await validateAccessToken(token, multi)).tid, OTHER_TENANT);
      const v1 = await mint(key, { ver: "1.0", tid: OTHER_TENANT });
      assert.equal((await validateAccessToken(v1, multi)).tid, OTHER_TENANT);
      const spoofed = await mint(key, {
        tid: OTHER_TENANT,
        claims: { iss: `https://login.microsoftonline.com/${TENANT}/v2.0` },
      });
      await refused(validateAccessToken(spoofed, multi), spoofed, INVALID, /issuer/);
    });

    it("refuses personal Microsoft accounts with organizations, not with common", async () => {
      const consumers = "9188040d-6c67-4c5b-b112-36a304b66dad";
      const token = await mint(key, { tid: consumers });
      const organizations = { ...options, tenantId: "organizations" };
      await refused(validateAccessToken(token, organizations), token, INVALID, /tenant .*\(tid\)/);
      const common = { ...options, tenantId: "common" };
      assert.equal((await validateAccessToken(token, common)).tid, consumers);
    });

    it("accepts only `allowedTenants` when given", async () => {
      const multi = {
        ...options,
        tenantId: "common",
        allowedTenants: [OTHER_TENANT.toUpperCase()],
      };
      const allowed = await mint(key, { tid: OTHER_TENANT });
      assert.equal((await validateAccessToken(allowed, multi)).tid, OTHER_TENANT);
      const other = await mint(key, { tid: TENANT });
      await refused(validateAccessToken(other, multi), other, INVALID, /tenant .*\(tid\)/);
    });
  });

  describe("required scopes and roles", () => {
    it("accepts a token that carries every required scope", async () => {
      const token = await mint(key);
      const strict = { ...options, requiredScopes: ["Files.Read", "access_as_user"] };
      assert.deepEqual((await validateAccessToken(token, strict)).scp, [
        "access_as_user",
        "Files.Read",
      ]);
    });

    it("refuses a token that lacks one of the required scopes, naming it", async () => {
      const token = await mint(key, { claims: { scp: "access_as_user" } });
      const strict = { ...options, requiredScopes: ["access_as_user", "Files.Read"] };
      const error = await refused(
        validateAccessToken(token, strict),
        token,
        INSUFFICIENT,
        /Files\.Read/,
      );
      assert.doesNotMatch(error.message, /access_as_user/);
    });

    it("compares scopes case-sensitively", async () => {
      const token = await mint(key, { claims: { scp: "files.read" } });
      const strict = { ...options, requiredScopes: ["Files.Read"] };
      await refused(validateAccessToken(token, strict), token, INSUFFICIENT, /Files\.Read/);
    });

    it("refuses an app-only token when scopes are required", async () => {
      const token = await mint(key, { claims: { scp: undefined, roles: ["Files.Read"] } });
      const strict = { ...options, requiredScopes: ["Files.Read"] };
      await refused(validateAccessToken(token, strict), token, INSUFFICIENT, /scope/);
    });

    it("refuses a token that lacks a required app role", async () => {
      const token = await mint(key, { claims: { roles: ["Reader"] } });
      const strict = { ...options, requiredRoles: ["Reader", "Writer"] };
      await refused(
        validateAccessToken(token, strict),
        token,
        INSUFFICIENT,
        /app role\(s\) Writer/,
      );
    });

    it("applies both requirements when scopes and roles are required", async () => {
      const both = { ...options, requiredScopes: ["access_as_user"], requiredRoles: ["Reader"] };
      const withRole = await mint(key, { claims: { roles: ["Reader"] } });
      assert.deepEqual((await validateAccessToken(withRole, both)).roles, ["Reader"]);
      const without = await mint(key, { claims: { scp: "Other" } });
      await refused(
        validateAccessToken(without, both),
        without,
        INSUFFICIENT,
        /scope\(s\) access_as_user and the app role\(s\) Reader/,
      );
    });

    it("checks the token itself before its scopes", async () => {
      const token = await mint(key, { claims: { scp: "Other", exp: now() - 3600 } });
      const strict = { ...options, requiredScopes: ["access_as_user"] };
      await refused(validateAccessToken(token, strict), token, INVALID, /expired/);
    });
  });

  describe("options", () => {
    it("keeps one validator per options object", async () => {
      let calls = 0;
      const local = createLocalJWKSet(keySet(key));
      const counted: AccessTokenValidationOptions = {
        ...options,
        jwks: (header, token) => {
          calls++;
          return local(header, token);
        },
      };
      const token = await mint(key);
      await validateAccessToken(token, counted);
      await validateAccessToken(token, counted);
      assert.equal(calls, 2);
      const validate = createAccessTokenValidator(counted);
      assert.equal((await validate(token)).tid, TENANT);
    });

    it("rejects bad options with ERR_OBO_CONFIGURATION", async () => {
      const token = await mint(key);
      await assert.rejects(validateAccessToken(token, { ...options, clientId: "nope" }), {
        code: "ERR_OBO_CONFIGURATION",
        option: "clientId",
      });
      const randomTenant = randomUUID();
      await assert.rejects(
        validateAccessToken(token, {
          ...options,
          tenantId: randomTenant,
          allowedTenants: [TENANT],
        }),
        { code: "ERR_OBO_CONFIGURATION", option: "allowedTenants" },
      );
    });
  });
});
