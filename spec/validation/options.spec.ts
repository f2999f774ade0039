import assert from "node:assert/strict";
import {
  createAccessTokenValidator,
  requireAccessToken,
  type AccessTokenValidationOptions,
  type RequireAccessTokenOptions,
} from "../../lib/validation/index.js";
import { API_CLIENT_ID, TENANT } from "../support/tokens.js";
import { misconfigured } from "./support/assertions.js";

const base: AccessTokenValidationOptions = { clientId: API_CLIENT_ID, tenantId: TENANT };
const loose = (options: Record<string, unknown>): AccessTokenValidationOptions => ({
  ...base,
  ...options,
});

describe("access-token validation options", () => {
  const cases: [string, AccessTokenValidationOptions, string, RegExp?][] = [
    ["no clientId", { clientId: undefined, tenantId: TENANT }, "clientId", /required/],
    ["a clientId that is not a GUID", { ...base, clientId: "my-api" }, "clientId", /GUID/],
    ["neither tenantId nor authority", { clientId: API_CLIENT_ID }, "tenantId"],
    ["a domain as tenant", { ...base, tenantId: "contoso.onmicrosoft.com" }, "tenantId", /GUID/],
    [
      "a domain in the authority",
      { clientId: API_CLIENT_ID, authority: "https://login.microsoftonline.com/contoso.com" },
      "authority",
    ],
    ["consumers", { ...base, tenantId: "consumers" }, "tenantId"],
    ["an http authority", { ...base, authority: "http://localhost:1234" }, "authority", /https/],
    ["empty audiences", { ...base, audiences: [] }, "audiences", /non-empty/],
    ["a blank audience", { ...base, audiences: [" "] }, "audiences"],
    ["allowedTenants when single-tenant", { ...base, allowedTenants: [TENANT] }, "allowedTenants"],
    [
      "allowedTenants that are not GUIDs",
      { ...base, tenantId: "organizations", allowedTenants: ["contoso.com"] },
      "allowedTenants",
      /GUID/,
    ],
    ["a negative clockSkewMs", { ...base, clockSkewMs: -1 }, "clockSkewMs"],
    ["a NaN jwksCooldownMs", { ...base, jwksCooldownMs: Number.NaN }, "jwksCooldownMs"],
    ["a string jwksCacheMaxAgeMs", loose({ jwksCacheMaxAgeMs: "600" }), "jwksCacheMaxAgeMs"],
    ["an infinite jwksTimeoutMs", { ...base, jwksTimeoutMs: Infinity }, "jwksTimeoutMs"],
    ["empty requiredScopes", { ...base, requiredScopes: [] }, "requiredScopes", /omit/],
    [
      "a full scope URI",
      { ...base, requiredScopes: [`api://${API_CLIENT_ID}/access_as_user`] },
      "requiredScopes",
      /access_as_user/,
    ],
    ["a scope with a space", { ...base, requiredScopes: ["a b"] }, "requiredScopes"],
    ["a scope with a quote", { ...base, requiredScopes: ['a"b'] }, "requiredScopes"],
    ["a non-string role", loose({ requiredRoles: [1] }), "requiredRoles"],
    ["a plain-http key URL", { ...base, jwks: "http://keys.example.com/keys" }, "jwks", /https/],
    ["a key URL that is not a URL", { ...base, jwks: "keys" }, "jwks"],
    ["a key URL with credentials", { ...base, jwks: "https://u:p@keys.example.com/" }, "jwks"],
    ["a key set without keys", loose({ jwks: { kty: "RSA" } }), "jwks"],
    ["a malformed key set", loose({ jwks: { keys: [1] } }), "jwks", /valid JSON Web Key Set/],
    ["a number as key source", loose({ jwks: 7 }), "jwks"],
    ["jwksFetch that is not a function", loose({ jwksFetch: "fetch" }), "jwksFetch"],
    ["jwksFetch with ca", { ...base, jwksFetch: fetch, ca: "PEM" }, "ca"],
    ["ca with a key set", { ...base, jwks: { keys: [] }, ca: "PEM" }, "ca"],
    [
      "jwksFetch with a resolver",
      { ...base, jwks: () => Promise.reject(new Error()), jwksFetch: fetch },
      "jwksFetch",
    ],
    ["an empty ca list", { ...base, ca: [] }, "ca"],
    ["ca with a plain-http key URL", { ...base, jwks: "http://127.0.0.1:9/keys", ca: "PEM" }, "ca"],
    ["a ca that is not PEM text", loose({ ca: [42] }), "ca"],
  ];

  for (const [what, options, option, message] of cases) {
    it(`refuses ${what}, naming ${option}`, () => {
      misconfigured(() => createAccessTokenValidator(options), option, message);
    });
  }

  it("refuses options that are not an object", () => {
    misconfigured(
      () => createAccessTokenValidator(null as unknown as AccessTokenValidationOptions),
      "options",
    );
  });

  describe("of requireAccessToken", () => {
    it("checks the validation options when the middleware is created", () => {
      misconfigured(() => requireAccessToken({ ...base, clientId: "x" }), "clientId");
    });

    it("refuses a realm with a quote or a backslash", () => {
      misconfigured(() => requireAccessToken({ ...base, realm: 'my"api' }), "realm");
      misconfigured(() => requireAccessToken({ ...base, realm: "a\\b" }), "realm");
    });

    it("refuses a logger that is not an object", () => {
      const options = { ...base, logger: "console" } as unknown as RequireAccessTokenOptions;
      misconfigured(() => requireAccessToken(options), "logger");
    });
  });
});

describe("configuration errors name their subject", () => {
  it("says AccessTokenValidationOptions, not the provider, for validation options and their authority", () => {
    assert.throws(
      () => createAccessTokenValidator({ clientId: "not-a-guid", tenantId: "contoso.com" }),
      {
        code: "ERR_OBO_CONFIGURATION",
        message: /^AccessTokenValidationOptions: option "clientId"/,
      },
    );
    assert.throws(
      () =>
        createAccessTokenValidator({
          clientId: "aaaaaaaa-0000-4000-8000-000000000001",
          tenantId: "",
        }),
      {
        code: "ERR_OBO_CONFIGURATION",
        message: /^AccessTokenValidationOptions: option "tenantId"/,
      },
    );
  });
});
