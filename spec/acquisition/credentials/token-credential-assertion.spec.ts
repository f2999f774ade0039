import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import {
  managedIdentityClientAssertion,
  tokenCredentialClientAssertion,
  workloadIdentityClientAssertion,
} from "../../../lib/acquisition/credentials/token-credential-assertion.js";
import { OnBehalfOfAuthenticationProvider, OnBehalfOfError } from "../../../lib/index.js";
import { AGENT_A, FakeAgentEntra } from "../../support/agent-entra.js";
import { formOf, mockOboEndpoint } from "../../support/entra.js";
import { API_CLIENT_ID, TENANT, userToken } from "../../support/tokens.js";

const UAMI = "cccccccc-0000-4000-8000-00000000000c";
/** Another identity: `@azure/identity` caches managed identity tokens per process and client id. */
const BLUEPRINT_UAMI = "dddddddd-0000-4000-8000-00000000000d";
const USGOV_UAMI = "eeeeeeee-0000-4000-8000-00000000000e";
const PUBLIC_CONTEXT = {
  clientId: "x",
  tokenEndpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
};

/** A credential that records the scopes it is asked for. */
function recordingCredential(): {
  asked: string[];
  getToken: (scope: string | string[]) => Promise<{ token: string; expiresOnTimestamp: number }>;
} {
  const asked: string[] = [];
  return {
    asked,
    getToken: (scope) => {
      asked.push(String(scope));
      return Promise.resolve({
        token: `mi-${asked.length}`,
        expiresOnTimestamp: Date.now() + 3_600_000,
      });
    },
  };
}

describe("federated client assertions", () => {
  describe("tokenCredentialClientAssertion", () => {
    it("asks for the token-exchange audience of the cloud, caches the token, and shares one request", async () => {
      const asked: string[] = [];
      const credential = {
        getToken: async (scope: string | string[]) => {
          asked.push(String(scope));
          await Promise.resolve();
          return { token: `mi-${asked.length}`, expiresOnTimestamp: Date.now() + 3_600_000 };
        },
      };
      const assertion = tokenCredentialClientAssertion(credential, { cloud: "usgov" });
      const results = await Promise.all([
        assertion({ clientId: "x" }),
        assertion({ clientId: "x" }),
      ]);
      assert.deepEqual(results, ["mi-1", "mi-1"]);
      assert.equal(await assertion({ clientId: "x" }), "mi-1");
      assert.deepEqual(asked, ["api://AzureADTokenExchangeUSGov/.default"]);
    });

    it("fetches again shortly before expiry, and wraps a failure in a typed error", async () => {
      let n = 0;
      let fail = false;
      const credential = {
        getToken: () => {
          n++;
          if (fail) return Promise.reject(new Error("imds down"));
          return Promise.resolve({ token: `mi-${n}`, expiresOnTimestamp: Date.now() + 60_000 });
        },
      };
      const assertion = tokenCredentialClientAssertion(credential, { refreshMarginMs: 120_000 });
      assert.equal(await assertion(PUBLIC_CONTEXT), "mi-1");
      assert.equal(
        await assertion(PUBLIC_CONTEXT),
        "mi-2",
        "inside the refresh margin: fetched again",
      );
      fail = true;
      await assert.rejects(Promise.resolve(assertion(PUBLIC_CONTEXT)), {
        code: "ERR_OBO_TOKEN_REQUEST_FAILED",
      });
    });

    // Sign-in hosts and audiences: MSAL.NET docs/fic-token-exchange-auto-resolution-design.md.
    for (const [host, scope] of [
      ["login.microsoftonline.com", "api://AzureADTokenExchange/.default"],
      ["login.microsoftonline.us", "api://AzureADTokenExchangeUSGov/.default"],
      ["login.usgovcloudapi.net", "api://AzureADTokenExchangeUSGov/.default"],
      ["login.chinacloudapi.cn", "api://AzureADTokenExchangeChina/.default"],
      ["login.partner.microsoftonline.cn", "api://AzureADTokenExchangeChina/.default"],
      ["login.sovcloud-identity.fr", "api://AzureADTokenExchangeFrance/.default"],
      ["login.sovcloud-identity.de", "api://AzureADTokenExchangeGermany/.default"],
    ] as const) {
      it(`by default asks for ${scope} when the token endpoint is on ${host}`, async () => {
        const credential = recordingCredential();
        const assertion = tokenCredentialClientAssertion(credential);
        await assertion({
          clientId: "x",
          tokenEndpoint: `https://${host}/${TENANT}/oauth2/v2.0/token`,
        });
        assert.deepEqual(credential.asked, [scope]);
      });
    }

    it("keeps one token per cloud when one helper serves two clouds", async () => {
      const credential = recordingCredential();
      const assertion = tokenCredentialClientAssertion(credential);
      const usgov = {
        clientId: "x",
        tokenEndpoint: `https://login.microsoftonline.us/${TENANT}/oauth2/v2.0/token`,
      };
      assert.equal(await assertion(PUBLIC_CONTEXT), "mi-1");
      assert.equal(await assertion(usgov), "mi-2");
      assert.equal(await assertion(PUBLIC_CONTEXT), "mi-1");
      assert.equal(await assertion(usgov), "mi-2");
      assert.deepEqual(credential.asked, [
        "api://AzureADTokenExchange/.default",
        "api://AzureADTokenExchangeUSGov/.default",
      ]);
    });

    it("an explicit cloud or scope wins over the token endpoint", async () => {
      const credential = recordingCredential();
      await tokenCredentialClientAssertion(credential, { cloud: "germany" })(PUBLIC_CONTEXT);
      await tokenCredentialClientAssertion(credential, { scope: "api://Custom/.default" })(
        PUBLIC_CONTEXT,
      );
      assert.deepEqual(credential.asked, [
        "api://AzureADTokenExchangeGermany/.default",
        "api://Custom/.default",
      ]);
    });

    it("refuses to guess the audience of an unknown or missing token endpoint, before asking the credential", async () => {
      const credential = recordingCredential();
      const assertion = tokenCredentialClientAssertion(credential);
      for (const context of [
        { clientId: "x", tokenEndpoint: `https://localhost:8443/${TENANT}/oauth2/v2.0/token` },
        { clientId: "x" },
      ]) {
        await assert.rejects(
          async () => assertion(context),
          (error: unknown) => {
            assert.ok(error instanceof OnBehalfOfError);
            assert.equal(error.code, "ERR_OBO_CONFIGURATION");
            assert.equal(error.option, "scope");
            return true;
          },
        );
      }
      assert.deepEqual(credential.asked, []);
    });

    it("refuses something that is not a credential, or an unknown cloud", () => {
      assert.throws(() => tokenCredentialClientAssertion({} as never), {
        code: "ERR_OBO_CONFIGURATION",
      });
      assert.throws(
        () =>
          tokenCredentialClientAssertion(
            { getToken: () => Promise.resolve(null) },
            { cloud: "mars" as never },
          ),
        { code: "ERR_OBO_CONFIGURATION" },
      );
    });
  });

  describe("managedIdentityClientAssertion", () => {
    it("gets a managed identity token from IMDS and sends it as the OBO request's client assertion", async () => {
      const imds: URLSearchParams[] = [];
      nock("http://169.254.169.254")
        .get("/metadata/identity/oauth2/token")
        .query(true)
        .reply(function (uri) {
          imds.push(new URL(uri, "http://169.254.169.254").searchParams);
          assert.equal(this.req.headers.metadata, "true");
          return [
            200,
            {
              access_token: "managed-identity-token",
              expires_in: "3599",
              expires_on: String(Math.floor(Date.now() / 1000) + 3599),
              resource: "api://AzureADTokenExchange",
              token_type: "Bearer",
            },
          ];
        });
      const exchanges = mockOboEndpoint({ times: 2 });
      const provider = new OnBehalfOfAuthenticationProvider({
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        clientAssertion: managedIdentityClientAssertion({ clientId: UAMI }),
      });
      await provider.getAccessToken({
        userAssertion: await userToken({ oid: "alice", tid: TENANT }),
      });
      await provider.getAccessToken({
        userAssertion: await userToken({ oid: "bob", tid: TENANT }),
      });
      assert.equal(imds.length, 1, "the managed identity token is cached");
      const [query] = imds;
      assert.ok(query);
      assert.equal(query.get("resource"), "api://AzureADTokenExchange");
      assert.equal(query.get("client_id"), UAMI);
      for (const exchange of exchanges) {
        assert.equal(exchange.form.client_assertion, "managed-identity-token");
        assert.equal(
          exchange.form.client_assertion_type,
          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        );
      }
    });
  });

  it("on an agent identity blueprint, sends the managed identity token on the T1 leg only", async () => {
    nock("http://169.254.169.254")
      .get("/metadata/identity/oauth2/token")
      .query(true)
      .reply(200, {
        access_token: "managed-identity-token-for-t1",
        expires_in: "3599",
        expires_on: String(Math.floor(Date.now() / 1000) + 3599),
        resource: "api://AzureADTokenExchange",
        token_type: "Bearer",
      });
    const entra = new FakeAgentEntra().expect(2); // T1 + agent OBO
    const provider = new OnBehalfOfAuthenticationProvider({
      clientId: API_CLIENT_ID,
      tenantId: TENANT,
      clientAssertion: managedIdentityClientAssertion({ clientId: BLUEPRINT_UAMI }),
      agentIdentity: AGENT_A,
    });
    await provider.getAccessToken({
      userAssertion: await userToken({ oid: "alice", tid: TENANT }),
    });
    const [t1, obo] = entra.requests;
    assert.equal(t1?.leg, "exchange-token");
    assert.equal(t1.form.client_assertion, "managed-identity-token-for-t1");
    assert.equal(t1.form.fmi_path, AGENT_A);
    assert.equal(obo?.leg, "obo");
    assert.equal(
      obo.form.client_assertion,
      t1.issued,
      "the agent leg uses T1, not the managed identity token",
    );
  });

  it("on a US Government authority, asks the managed identity for the US Government audience (not AADSTS70022204)", async () => {
    const resources: (string | null)[] = [];
    nock("http://169.254.169.254")
      .get("/metadata/identity/oauth2/token")
      .query(true)
      .reply((uri) => {
        resources.push(new URL(uri, "http://169.254.169.254").searchParams.get("resource"));
        return [
          200,
          {
            access_token: "usgov-managed-identity-token",
            expires_in: "3599",
            expires_on: String(Math.floor(Date.now() / 1000) + 3599),
            resource: "api://AzureADTokenExchangeUSGov",
            token_type: "Bearer",
          },
        ];
      });
    const exchanges = mockOboEndpoint({ host: "https://login.microsoftonline.us" });
    const provider = new OnBehalfOfAuthenticationProvider({
      clientId: API_CLIENT_ID,
      authority: `https://login.microsoftonline.us/${TENANT}`,
      clientAssertion: managedIdentityClientAssertion({ clientId: USGOV_UAMI }),
    });
    await provider.getAccessToken({
      userAssertion: await userToken({ oid: "alice", tid: TENANT }),
    });
    assert.deepEqual(resources, ["api://AzureADTokenExchangeUSGov"]);
    assert.equal(exchanges[0]?.form.client_assertion, "usgov-managed-identity-token");
  });

  describe("workloadIdentityClientAssertion", () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "wi-"));
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it("exchanges the projected token file for a token-exchange token used as client assertion", async () => {
      const file = join(dir, "azure-identity-token");
      writeFileSync(file, "projected-service-account-token");
      const wiRequests: Partial<Record<string, string>>[] = [];
      nock("https://login.microsoftonline.com")
        .post(`/${TENANT}/oauth2/v2.0/token`, (body: unknown) => {
          const form = formOf(body);
          if (form.grant_type !== "client_credentials") return false;
          wiRequests.push(form);
          return true;
        })
        .query(true)
        .reply(200, {
          token_type: "Bearer",
          expires_in: 3599,
          access_token: "workload-federated-token",
        });
      const exchanges = mockOboEndpoint();
      const provider = new OnBehalfOfAuthenticationProvider({
        clientId: API_CLIENT_ID,
        tenantId: TENANT,
        clientAssertion: workloadIdentityClientAssertion({
          clientId: UAMI,
          tenantId: TENANT,
          tokenFilePath: file,
        }),
      });
      await provider.getAccessToken({
        userAssertion: await userToken({ oid: "alice", tid: TENANT }),
      });
      const [wi] = wiRequests;
      assert.ok(wi);
      assert.equal(wi.client_assertion, "projected-service-account-token");
      assert.equal(wi.client_id, UAMI);
      assert.equal(wi.scope, "api://AzureADTokenExchange/.default");
      assert.equal(exchanges[0]?.form.client_assertion, "workload-federated-token");
    });
  });
});
