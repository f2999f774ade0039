import assert from "node:assert/strict";
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createEmptyPipeline,
  createPipelineRequest,
} from "@azure/core-rest-pipeline";
import { AzureIdentityAuthenticationProvider } from "@microsoft/kiota-authentication-azure";
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import { createGraphServiceClient, GraphRequestAdapter } from "@microsoft/msgraph-sdk";
import "@microsoft/msgraph-sdk-users";
import nock from "nock";
import { asTokenCredential, runWithUserAssertion } from "../../../lib/index.js";
import { claimsOf, mockGraphMe } from "../../support/entra.js";
import { TENANT, userToken } from "../../support/tokens.js";
import { bearerOf, mockOboWithExpiry } from "./helpers.js";
import { plainProvider as oboProvider } from "../../support/provider.js";

const GRAPH = "https://graph.microsoft.com/.default";
const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1635527790"}}}';
const CHALLENGE = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${Buffer.from(CLAIMS).toString("base64")}"`;

/** Graph answers one GET of `path` with a CAE challenge; returns the token it was sent. */
function challengeOnce(path: string): string[] {
  const stale: string[] = [];
  nock("https://graph.microsoft.com")
    .get(path)
    .reply(function () {
      stale.push(bearerOf(this.req.headers));
      return [
        401,
        { error: { code: "InvalidAuthenticationToken", message: "CAE" } },
        { "WWW-Authenticate": CHALLENGE },
      ];
    });
  return stale;
}

describe("asTokenCredential with real consumers", () => {
  it("Graph v3 TokenCredentialAuthenticationProvider: one client serves /me to two users", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const bob = await userToken({ oid: "bob", tid: TENANT });
    const exchanges = mockOboWithExpiry({ times: 2 });
    const seen = mockGraphMe(4);
    const graph = Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(asTokenCredential(oboProvider()), {
        scopes: [GRAPH],
      }),
    });

    const visit = async (): Promise<string[]> => {
      const me = (await graph.api("/me").get()) as { id: string };
      const manager = (await graph.api("/me/manager").get()) as { id: string };
      return [me.id, manager.id];
    };
    const results = await Promise.all([
      runWithUserAssertion(alice, visit),
      runWithUserAssertion(bob, visit),
    ]);

    assert.deepEqual(results, [
      ["alice", "manager-of-alice"],
      ["bob", "manager-of-bob"],
    ]);
    assert.equal(exchanges.length, 2);
    for (const hit of seen) assert.equal(claimsOf(hit.token).oid, hit.oid);
  });

  it("Kiota AzureIdentityAuthenticationProvider: /me, and a CAE retry with the decoded claims", async () => {
    const alice = await userToken({ oid: "alice", tid: TENANT });
    const exchanges = mockOboWithExpiry({ times: 2 });
    const stale = challengeOnce("/v1.0/me");
    const seen = mockGraphMe(1);
    const credential = asTokenCredential(
      oboProvider({ clientCapabilities: ["cp1"], getUserAssertion: () => alice }),
    );
    const graph = createGraphServiceClient(
      new GraphRequestAdapter(
        new AzureIdentityAuthenticationProvider(
          credential,
          [GRAPH],
          undefined,
          new Set(["graph.microsoft.com"]),
        ),
      ),
    );

    const me = await graph.me.get();

    assert.equal(me?.id, "alice");
    assert.equal(exchanges.length, 2);
    assert.ok(exchanges[1]?.form.claims?.includes("1635527790"));
    assert.notEqual(seen[0]?.token, stale[0]);
  });

  describe("Azure core pipeline (bearerTokenAuthenticationPolicy)", () => {
    /** A pipeline for one web request, as an Azure SDK client builds it. */
    async function getOnce(
      credential: ReturnType<typeof asTokenCredential>,
      url: string,
    ): Promise<{ status: number; body: string }> {
      const pipeline = createEmptyPipeline();
      pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: GRAPH }));
      const response = await pipeline.sendRequest(
        createDefaultHttpClient(),
        createPipelineRequest({ url }),
      );
      return { status: response.status, body: response.bodyAsText ?? "" };
    }

    it("calls Graph for each user with a pipeline and a bound credential per request", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const bob = await userToken({ oid: "bob", tid: TENANT });
      mockOboWithExpiry({ times: 2 });
      const seen = mockGraphMe(2);
      const provider = oboProvider();

      const results = await Promise.all(
        [alice, bob].map(async (assertion) => {
          const credential = asTokenCredential(provider, { userAssertion: assertion });
          const response = await getOnce(credential, "https://graph.microsoft.com/v1.0/me");
          return (JSON.parse(response.body) as { id: string }).id;
        }),
      );

      assert.deepEqual(results, ["alice", "bob"]);
      assert.deepEqual(seen.map((hit) => hit.oid).sort(), ["alice", "bob"]);
    });

    it("answers a CAE challenge with a token acquired for the claims", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const exchanges = mockOboWithExpiry({ times: 2 });
      const stale = challengeOnce("/v1.0/me");
      const seen = mockGraphMe(1);
      const credential = asTokenCredential(oboProvider({ clientCapabilities: ["cp1"] }), {
        userAssertion: alice,
      });

      const response = await getOnce(credential, "https://graph.microsoft.com/v1.0/me");

      assert.equal(response.status, 200);
      assert.equal(exchanges.length, 2);
      const claims = JSON.parse(exchanges[1]?.form.claims ?? "{}") as {
        access_token?: Record<string, unknown>;
      };
      const requested = claims.access_token ?? {};
      assert.deepEqual(requested.nbf, { essential: true, value: "1635527790" });
      assert.deepEqual(requested.xms_cc, { values: ["cp1"] });
      const [hit] = seen;
      assert.ok(hit);
      assert.notEqual(hit.token, stale[0], "the retry carried the new token");
      assert.equal(hit.oid, "alice");
    });
  });
});
