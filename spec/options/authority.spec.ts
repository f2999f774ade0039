import assert from "node:assert/strict";
import { knownCloudOf, resolveAuthority } from "../../lib/options/authority.js";
import { OnBehalfOfError } from "../../lib/util/errors.js";
import { OnBehalfOfAuthenticationProvider } from "../../lib/index.js";
import { agentProvider } from "../api/agent/helpers.js";
import { AGENT_A, FakeAgentEntra } from "../support/agent-entra.js";
import { mockOboEndpoint } from "../support/entra.js";
import { API_CLIENT_ID, CLIENT_SECRET, userToken } from "../support/tokens.js";

import { TENANT } from "../support/tokens.js";

/**
 * Sign-in hosts, their Graph and their token-exchange scope. Sources: MSAL.NET
 * docs/fic-token-exchange-auto-resolution-design.md (hosts, aliases, audiences), Microsoft.Identity.Web
 * TokenAcquirerExtensions.cs (France/Germany audiences), Microsoft Graph PowerShell's built-in
 * environments (Graph endpoints).
 */
const CLOUDS: readonly [string, string, string][] = [
  [
    "login.microsoftonline.com",
    "https://graph.microsoft.com",
    "api://AzureADTokenExchange/.default",
  ],
  ["login.windows.net", "https://graph.microsoft.com", "api://AzureADTokenExchange/.default"],
  ["login.microsoft.com", "https://graph.microsoft.com", "api://AzureADTokenExchange/.default"],
  [
    "login.microsoftonline.us",
    "https://graph.microsoft.us",
    "api://AzureADTokenExchangeUSGov/.default",
  ],
  [
    "login.usgovcloudapi.net",
    "https://graph.microsoft.us",
    "api://AzureADTokenExchangeUSGov/.default",
  ],
  [
    "login.chinacloudapi.cn",
    "https://microsoftgraph.chinacloudapi.cn",
    "api://AzureADTokenExchangeChina/.default",
  ],
  [
    "login.partner.microsoftonline.cn",
    "https://microsoftgraph.chinacloudapi.cn",
    "api://AzureADTokenExchangeChina/.default",
  ],
  [
    "login.sovcloud-identity.fr",
    "https://graph.svc.sovcloud.fr",
    "api://AzureADTokenExchangeFrance/.default",
  ],
  [
    "login.sovcloud-identity.de",
    "https://graph.svc.sovcloud.de",
    "api://AzureADTokenExchangeGermany/.default",
  ],
];

function configurationErrorOn(option: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof OnBehalfOfError);
    assert.equal(error.code, "ERR_OBO_CONFIGURATION");
    assert.equal(error.option, option);
    return true;
  };
}

describe("authority and cloud", () => {
  for (const [host, graph, exchange] of CLOUDS) {
    it(`knows ${host}: Graph ${graph}, exchange scope ${exchange}`, () => {
      const authority = resolveAuthority(undefined, `https://${host.toUpperCase()}/${TENANT}`, {
        requireCloud: true,
      });
      assert.equal(authority.knownCloud, true);
      assert.equal(authority.cloud.graphEndpoint, graph);
      assert.equal(authority.cloud.tokenExchangeScope, exchange);
      assert.equal(knownCloudOf(host)?.tokenExchangeScope, exchange);
    });
  }

  it("refuses an unknown host without a cloud, before any network call", () => {
    assert.throws(
      () =>
        resolveAuthority(undefined, `https://login.example.test/${TENANT}`, { requireCloud: true }),
      (error: unknown) => {
        configurationErrorOn("cloud")(error);
        assert.match((error as Error).message, /login\.example\.test/);
        assert.match((error as Error).message, /graphEndpoint, tokenExchangeScope/);
        return true;
      },
    );
    assert.equal(knownCloudOf("login.example.test"), undefined);
  });

  it("takes an unknown host's cloud from the cloud option", () => {
    const authority = resolveAuthority(undefined, `https://localhost:8443/${TENANT}`, {
      requireCloud: true,
      cloud: {
        graphEndpoint: "https://graph.contoso.test/",
        tokenExchangeScope: "api://ContosoExchange/.default",
      },
    });
    assert.equal(authority.knownCloud, false);
    assert.deepEqual(
      { ...authority.cloud },
      {
        loginHost: "localhost:8443",
        graphEndpoint: "https://graph.contoso.test",
        tokenExchangeScope: "api://ContosoExchange/.default",
      },
    );
  });

  it("lets the cloud option replace a known host's defaults (US Government DoD's Graph)", () => {
    const authority = resolveAuthority(undefined, `https://login.microsoftonline.us/${TENANT}`, {
      requireCloud: true,
      cloud: {
        graphEndpoint: "https://dod-graph.microsoft.us",
        tokenExchangeScope: "api://AzureADTokenExchangeUSGov/.default",
      },
    });
    assert.equal(authority.knownCloud, true);
    assert.equal(authority.cloud.graphEndpoint, "https://dod-graph.microsoft.us");
  });

  const invalid: [string, unknown, string][] = [
    ["not an object", "usgov", "cloud"],
    ["null", null, "cloud"],
    ["no graphEndpoint", { tokenExchangeScope: "api://X/.default" }, "cloud.graphEndpoint"],
    [
      "an http graphEndpoint",
      { graphEndpoint: "http://graph.contoso.test", tokenExchangeScope: "api://X/.default" },
      "cloud.graphEndpoint",
    ],
    [
      "a graphEndpoint with a version path",
      { graphEndpoint: "https://graph.contoso.test/v1.0", tokenExchangeScope: "api://X/.default" },
      "cloud.graphEndpoint",
    ],
    [
      "a graphEndpoint that is not a URL",
      { graphEndpoint: "graph.contoso.test", tokenExchangeScope: "api://X/.default" },
      "cloud.graphEndpoint",
    ],
    [
      "an exchange scope without /.default",
      { graphEndpoint: "https://graph.contoso.test", tokenExchangeScope: "api://X" },
      "cloud.tokenExchangeScope",
    ],
    [
      "an exchange scope that is not an api:// URI",
      {
        graphEndpoint: "https://graph.contoso.test",
        tokenExchangeScope: "https://graph.contoso.test/.default",
      },
      "cloud.tokenExchangeScope",
    ],
  ];
  for (const [what, cloud, option] of invalid) {
    it(`refuses a cloud option with ${what}, naming "${option}"`, () => {
      assert.throws(
        () =>
          resolveAuthority(undefined, `https://localhost:8443/${TENANT}`, {
            requireCloud: true,
            cloud,
          }),
        configurationErrorOn(option),
      );
    });
  }

  it("needs no cloud where none is read (inbound validation)", () => {
    const authority = resolveAuthority(undefined, `https://localhost:8443/${TENANT}`);
    assert.equal(authority.knownCloud, false);
    assert.equal(authority.origin, "https://localhost:8443");
  });
});

describe("sovereign clouds through msal-node", () => {
  for (const [host, graph, exchange] of [
    [
      "login.sovcloud-identity.fr",
      "https://graph.svc.sovcloud.fr",
      "api://AzureADTokenExchangeFrance/.default",
    ],
    [
      "login.sovcloud-identity.de",
      "https://graph.svc.sovcloud.de",
      "api://AzureADTokenExchangeGermany/.default",
    ],
  ] as const) {
    it(`${host}: On-Behalf-Of asks for ${graph}/.default by default`, async () => {
      const exchanges = mockOboEndpoint({ host: `https://${host}` });
      const provider = new OnBehalfOfAuthenticationProvider({
        clientId: API_CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        authority: `https://${host}/${TENANT}`,
      });
      await provider.getAccessToken({
        userAssertion: await userToken({ oid: "alice", tid: TENANT }),
      });
      assert.equal(exchanges.length, 1);
      assert.equal(exchanges[0]?.form.scope?.split(" ")[0], `${graph}/.default`);
    });

    it(`${host}: an agent identity blueprint asks for ${exchange}`, async () => {
      const entra = new FakeAgentEntra().expect(2, { host: `https://${host}` });
      await agentProvider({
        tenantId: undefined,
        authority: `https://${host}/${TENANT}`,
        agentIdentity: AGENT_A,
      }).getAccessToken({ userAssertion: await userToken({ oid: "alice", tid: TENANT }) });
      assert.equal(entra.requests[0]?.leg, "exchange-token");
      assert.equal(entra.requests[0].form.scope, exchange);
    });
  }

  it("login.usgovcloudapi.net: On-Behalf-Of goes to MSAL's preferred US Government host for graph.microsoft.us", async () => {
    // msal-common's hard-coded instance metadata lists login.usgovcloudapi.net as an alias of
    // login.microsoftonline.us (its preferred_network).
    const exchanges = mockOboEndpoint({ host: "https://login.microsoftonline.us" });
    const provider = new OnBehalfOfAuthenticationProvider({
      clientId: API_CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      authority: `https://login.usgovcloudapi.net/${TENANT}`,
    });
    await provider.getAccessToken({
      userAssertion: await userToken({ oid: "alice", tid: TENANT }),
    });
    assert.equal(exchanges.length, 1);
    assert.equal(exchanges[0]?.form.scope?.split(" ")[0], "https://graph.microsoft.us/.default");
  });
});
