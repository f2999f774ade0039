import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import type { OnBehalfOfAuthenticationProviderOptions } from "../../../lib/index.js";
import { AGENT_A, FakeAgentEntra } from "../../support/agent-entra.js";
import { TENANT, userToken } from "../../support/tokens.js";
import { agentProvider } from "./helpers.js";

type Options = Partial<Record<keyof OnBehalfOfAuthenticationProviderOptions, unknown>>;

/**
 * The blueprint's options: its credential and authority serve the T1 leg of every agent identity,
 * so a mistake there must surface in the constructor, not on the first Graph request.
 */
describe("configuring a blueprint provider", () => {
  const rsaKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  const ecKey = generateKeyPairSync("ec", { namedCurve: "P-256" })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  const thumbprintSha256 = "ef".repeat(32);
  const noSecret = { clientSecret: undefined };

  const cases: [string, Options, string][] = [
    ["a missing client id", { clientId: undefined }, "clientId"],
    ["a client id that is not a GUID", { clientId: "my-blueprint" }, "clientId"],
    ["no credential", noSecret, "clientSecret"],
    ["two credentials", { clientAssertion: "x" }, "clientAssertion"],
    ["an empty secret", { clientSecret: " " }, "clientSecret"],
    ["an empty assertion", { ...noSecret, clientAssertion: "" }, "clientAssertion"],
    ["an assertion of the wrong type", { ...noSecret, clientAssertion: 42 }, "clientAssertion"],
    [
      "a certificate that is not an object",
      { ...noSecret, clientCertificate: "pem" },
      "clientCertificate",
    ],
    [
      "a certificate with a SHA-1 thumbprint",
      { ...noSecret, clientCertificate: { thumbprintSha256: "ab".repeat(20), privateKey: rsaKey } },
      "clientCertificate.thumbprintSha256",
    ],
    [
      "a certificate without a PEM key",
      { ...noSecret, clientCertificate: { thumbprintSha256, privateKey: "key" } },
      "clientCertificate.privateKey",
    ],
    [
      "a certificate with an EC key",
      { ...noSecret, clientCertificate: { thumbprintSha256, privateKey: ecKey } },
      "clientCertificate.privateKey",
    ],
    [
      "a certificate with a malformed x5c",
      { ...noSecret, clientCertificate: { thumbprintSha256, privateKey: rsaKey, x5c: "chain" } },
      "clientCertificate.x5c",
    ],
    ["no tenant", { tenantId: undefined }, "tenantId"],
    ["an empty tenant", { tenantId: "" }, "tenantId"],
    ["the consumers tenant", { tenantId: "consumers" }, "tenantId"],
    ["a malformed tenant", { tenantId: "not a tenant" }, "tenantId"],
    ["a tenant of the wrong type", { tenantId: 7 }, "tenantId"],
    ["an authority of the wrong type", { authority: 7 }, "authority"],
    ["an authority that is not a URL", { authority: "login" }, "authority"],
    ["an http authority", { authority: "http://login.microsoftonline.com" }, "authority"],
    [
      "an authority with a query",
      { authority: "https://login.microsoftonline.com/?x=1" },
      "authority",
    ],
    [
      "an authority with a path",
      { authority: "https://login.microsoftonline.com/t/v2.0" },
      "authority",
    ],
    [
      "an authority whose tenant conflicts",
      { authority: "https://login.microsoftonline.com/organizations" },
      "tenantId",
    ],
    [
      "an authority without a tenant, and no tenantId",
      { tenantId: undefined, authority: "https://login.microsoftonline.com" },
      "tenantId",
    ],
    [
      "an unknown sign-in host without its cloud",
      { tenantId: undefined, authority: `https://login.example.test/${TENANT}` },
      "cloud",
    ],
    [
      "an unknown sign-in host without knownAuthorities",
      {
        tenantId: undefined,
        authority: `https://login.example.test/${TENANT}`,
        cloud: {
          graphEndpoint: "https://graph.example.test",
          tokenExchangeScope: "api://ExampleExchange/.default",
        },
      },
      "msalAuthorityOptions",
    ],
    ["allowedTenants on a single-tenant provider", { allowedTenants: [TENANT] }, "allowedTenants"],
    ["empty allowedTenants", { tenantId: "organizations", allowedTenants: [] }, "allowedTenants"],
    [
      "allowedTenants that are not ids",
      { tenantId: "common", allowedTenants: ["contoso.com"] },
      "allowedTenants",
    ],
    ["a negative expiry margin", { expirySkewMs: -1 }, "expirySkewMs"],
    ["an accessor that is not a function", { getUserAssertion: "token" }, "getUserAssertion"],
    ["a token cache without its methods", { tokenCache: { get: () => undefined } }, "tokenCache"],
    [
      "MSAL system options that are not an object",
      { msalSystemOptions: "proxy" },
      "msalSystemOptions",
    ],
    ["a logger that is not an object", { logger: "console" }, "logger"],
  ];
  for (const [what, options, option] of cases) {
    it(`ERR_OBO_CONFIGURATION for ${what}`, () => {
      assert.throws(
        () => agentProvider(options as Partial<OnBehalfOfAuthenticationProviderOptions>),
        {
          code: "ERR_OBO_CONFIGURATION",
          option,
        },
      );
    });
  }

  it("accepts the authority's tenant given twice, and a certificate with its chain", () => {
    agentProvider({
      ...noSecret,
      tenantId: TENANT,
      authority: `https://login.microsoftonline.com/${TENANT}`,
      clientCertificate: {
        thumbprintSha256,
        privateKey: rsaKey,
        x5c: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
      },
    });
    agentProvider({ tenantId: "contoso.onmicrosoft.com", agentIdentity: AGENT_A });
    agentProvider({ tenantId: TENANT, authority: "https://login.microsoftonline.com" });
  });

  it("requests T1 with the China cloud's token-exchange scope", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    // MSAL sends login.chinacloudapi.cn requests to its preferred alias.
    const entra = new FakeAgentEntra().expect(2, {
      host: "https://login.partner.microsoftonline.cn",
    });
    await agentProvider({
      tenantId: undefined,
      authority: `https://login.chinacloudapi.cn/${TENANT}`,
      agentIdentity: AGENT_A,
    }).getAccessToken({ userAssertion: alice });
    assert.equal(entra.requests[0]?.form.scope, "api://AzureADTokenExchangeChina/.default");
    assert.ok(
      entra.requests[1]?.form.scope?.includes("https://microsoftgraph.chinacloudapi.cn/.default"),
    );
  });
});
