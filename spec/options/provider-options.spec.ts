import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import {
  OnBehalfOfAuthenticationProvider,
  OnBehalfOfError,
  type OnBehalfOfAuthenticationProviderOptions,
} from "../../lib/index.js";
import { API_CLIENT_ID, CLIENT_SECRET, TENANT } from "../support/tokens.js";

const base = { clientId: API_CLIENT_ID, tenantId: TENANT, clientSecret: CLIENT_SECRET };
const EXAMPLE_CLOUD = {
  graphEndpoint: "https://graph.example.test",
  tokenExchangeScope: "api://ExampleExchange/.default",
};
const rsaPem = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs8", format: "pem" })
  .toString();
const ecPem = generateKeyPairSync("ec", { namedCurve: "P-256" })
  .privateKey.export({ type: "pkcs8", format: "pem" })
  .toString();

function construct(options: Record<string, unknown>): OnBehalfOfAuthenticationProvider {
  return new OnBehalfOfAuthenticationProvider(
    options as unknown as OnBehalfOfAuthenticationProviderOptions,
  );
}

describe("OnBehalfOfAuthenticationProvider options", () => {
  const invalid: [string, Record<string, unknown>, string][] = [
    ["missing clientId", { ...base, clientId: undefined }, "clientId"],
    ["clientId not a GUID", { ...base, clientId: "my-app" }, "clientId"],
    ["no tenant", { ...base, tenantId: undefined }, "tenantId"],
    ["consumers tenant", { ...base, tenantId: "consumers" }, "tenantId"],
    ["tenant with spaces", { ...base, tenantId: "not a tenant" }, "tenantId"],
    [
      "http authority",
      { ...base, tenantId: undefined, authority: `http://login.microsoftonline.com/${TENANT}` },
      "authority",
    ],
    ["authority not a URL", { ...base, authority: "login.microsoftonline.com" }, "authority"],
    [
      "authority with a path",
      {
        ...base,
        tenantId: undefined,
        authority: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      },
      "authority",
    ],
    [
      "authority with a query",
      { ...base, authority: "https://login.microsoftonline.com/?x=1" },
      "authority",
    ],
    [
      "tenant given twice, differently",
      {
        ...base,
        authority: "https://login.microsoftonline.com/22222222-2222-4222-8222-222222222222",
      },
      "tenantId",
    ],
    [
      "unknown host without a cloud",
      { ...base, tenantId: undefined, authority: `https://login.example.test/${TENANT}` },
      "cloud",
    ],
    [
      "unknown host without knownAuthorities",
      {
        ...base,
        tenantId: undefined,
        authority: `https://login.example.test/${TENANT}`,
        cloud: EXAMPLE_CLOUD,
      },
      "msalAuthorityOptions",
    ],
    [
      "a cloud whose Graph endpoint is not https",
      { ...base, cloud: { ...EXAMPLE_CLOUD, graphEndpoint: "http://graph.example.test" } },
      "cloud.graphEndpoint",
    ],
    [
      "a cloud whose exchange scope is not api://…/.default",
      { ...base, cloud: { ...EXAMPLE_CLOUD, tokenExchangeScope: "api://ExampleExchange" } },
      "cloud.tokenExchangeScope",
    ],
    ["no credential", { clientId: API_CLIENT_ID, tenantId: TENANT }, "clientSecret"],
    ["two credentials", { ...base, clientAssertion: "x" }, "clientAssertion"],
    ["empty secret", { ...base, clientSecret: " " }, "clientSecret"],
    [
      "assertion of the wrong type",
      { clientId: API_CLIENT_ID, tenantId: TENANT, clientAssertion: 42 },
      "clientAssertion",
    ],
    [
      "empty assertion",
      { clientId: API_CLIENT_ID, tenantId: TENANT, clientAssertion: "" },
      "clientAssertion",
    ],
    [
      "thumbprint not SHA-256",
      {
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        clientCertificate: { thumbprintSha256: "abc", privateKey: rsaPem },
      },
      "clientCertificate.thumbprintSha256",
    ],
    [
      "private key not PEM",
      {
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        clientCertificate: { thumbprintSha256: "a".repeat(64), privateKey: "secret" },
      },
      "clientCertificate.privateKey",
    ],
    [
      "private key not RSA",
      {
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        clientCertificate: { thumbprintSha256: "a".repeat(64), privateKey: ecPem },
      },
      "clientCertificate.privateKey",
    ],
    [
      "x5c not a certificate",
      {
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        clientCertificate: { thumbprintSha256: "a".repeat(64), privateKey: rsaPem, x5c: "x" },
      },
      "clientCertificate.x5c",
    ],
    ["empty scopes", { ...base, scopes: [] }, "scopes"],
    ["scopes not an array", { ...base, scopes: "User.Read" }, "scopes"],
    ["scope with a space", { ...base, scopes: ["User.Read Mail.Read"] }, "scopes"],
    ["allowedTenants on a single tenant", { ...base, allowedTenants: [TENANT] }, "allowedTenants"],
    [
      "allowedTenants not GUIDs",
      { ...base, tenantId: "organizations", allowedTenants: ["contoso.com"] },
      "allowedTenants",
    ],
    [
      "allowedTenants empty",
      { ...base, tenantId: "organizations", allowedTenants: [] },
      "allowedTenants",
    ],
    ["negative skew", { ...base, clockSkewMs: -1 }, "clockSkewMs"],
    ["skew not a number", { ...base, expirySkewMs: "60" }, "expirySkewMs"],
    ["getUserAssertion not a function", { ...base, getUserAssertion: "token" }, "getUserAssertion"],
    ["tokenCache without methods", { ...base, tokenCache: {} }, "tokenCache"],
    ["logger not an object", { ...base, logger: "console" }, "logger"],
  ];

  for (const [what, options, option] of invalid) {
    it(`refuses ${what} with ERR_OBO_CONFIGURATION naming "${option}"`, () => {
      assert.throws(
        () => construct(options),
        (error: unknown) => {
          assert.ok(error instanceof OnBehalfOfError);
          assert.equal(error.code, "ERR_OBO_CONFIGURATION");
          assert.equal(error.option, option);
          assert.ok(error.message.includes(`"${option}"`), error.message);
          assert.ok(!error.message.includes(CLIENT_SECRET));
          assert.ok(!error.message.includes("BEGIN PRIVATE KEY"));
          return true;
        },
      );
    });
  }

  const valid: [string, Record<string, unknown>][] = [
    ["a tenant GUID", base],
    ["a domain tenant", { ...base, tenantId: "contoso.onmicrosoft.com" }],
    [
      "organizations with allowedTenants",
      { ...base, tenantId: "Organizations", allowedTenants: [TENANT] },
    ],
    ["common", { ...base, tenantId: "common" }],
    [
      "a US Government authority",
      { ...base, tenantId: undefined, authority: `https://login.microsoftonline.us/${TENANT}` },
    ],
    ["a China authority with tenantId", { ...base, authority: "https://login.chinacloudapi.cn" }],
    [
      "the same tenant in authority and tenantId",
      { ...base, authority: `https://login.microsoftonline.com/${TENANT}` },
    ],
    [
      "an RSA certificate with x5c",
      {
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        clientCertificate: {
          thumbprintSha256: "AB:".repeat(31) + "AB",
          privateKey: rsaPem,
          x5c: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        },
      },
    ],
    [
      "an assertion callback",
      { clientId: API_CLIENT_ID, tenantId: TENANT, clientAssertion: () => "a.b.c" },
    ],
    [
      "an unknown host with knownAuthorities",
      {
        ...base,
        authority: "https://localhost:8443",
        cloud: EXAMPLE_CLOUD,
        msalAuthorityOptions: { knownAuthorities: ["localhost:8443"] },
      },
    ],
  ];
  for (const [what, options] of valid) {
    it(`accepts ${what}`, () => {
      construct(options);
    });
  }
});
