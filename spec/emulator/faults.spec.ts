import assert from "node:assert/strict";
import { ClientAuthError, InteractionRequiredAuthError, ServerError } from "@azure/msal-node";
import { Client, GraphError } from "@microsoft/microsoft-graph-client";
import { EmulatorError } from "graph-obo-auth-emulator";
import { GRAPH_DEFAULT, cca, rejectsWithEntra, useEmulator } from "./support/emulator.js";

describe("emulator fault injection and counters", () => {
  const emulator = useEmulator();
  const apiClient = () => {
    const { api } = emulator().defaults.apps;
    return cca(emulator(), { clientId: api.clientId, clientSecret: api.clientSecret });
  };
  const obo = async (user: string) =>
    apiClient().acquireTokenOnBehalfOf({
      oboAssertion: await emulator().signIn({ user }),
      scopes: [GRAPH_DEFAULT],
    });

  async function graphToken(user = "alice@contoso.example"): Promise<string> {
    return (await obo(user))?.accessToken ?? "";
  }

  function graphClient(token: string): Client {
    return Client.initWithMiddleware({
      authProvider: { getAccessToken: () => Promise.resolve(token) },
      ...emulator().graphClientOptions(),
    });
  }

  describe("on the token endpoint", () => {
    it("answers MFA (AADSTS50079 interaction_required with claims) for one user, once", async () => {
      const injection = emulator().inject({
        endpoint: "token",
        user: "alice@contoso.example",
        fault: { kind: "interaction_required" },
      });
      const failure = await rejectsWithEntra(obo("alice@contoso.example"), {
        errorCode: "interaction_required",
        aadsts: 50079,
      });
      assert.ok(failure instanceof InteractionRequiredAuthError);
      const claims = JSON.parse(failure.claims) as { access_token: { capolids: unknown } };
      assert.ok(claims.access_token.capolids);
      assert.ok(await obo("bob@contoso.example"), "other users are not affected");
      assert.ok(await obo("alice@contoso.example"), "times defaults to 1");
      assert.equal(injection.hits, 1);
      assert.equal(injection.remaining, 0);
    });

    it("answers Conditional Access AADSTS50076 as invalid_grant with suberror basic_action", async () => {
      emulator().inject({
        endpoint: "token",
        fault: {
          kind: "interaction_required",
          aadsts: 50076,
          claims: '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}',
        },
      });
      const failure = await rejectsWithEntra(obo("alice@contoso.example"), {
        errorCode: "invalid_grant",
        aadsts: 50076,
        subError: "basic_action",
      });
      assert.ok(failure instanceof InteractionRequiredAuthError);
      assert.equal(failure.claims, '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}');
    });

    it("answers consent required (AADSTS65001, suberror consent_required) for a client", async () => {
      emulator().inject({
        endpoint: "token",
        clientId: emulator().defaults.apps.api.clientId,
        flow: "obo",
        fault: { kind: "consent_required" },
      });
      await rejectsWithEntra(obo("alice@contoso.example"), {
        name: "InteractionRequiredAuthError",
        aadsts: 65001,
        subError: "consent_required",
      });
    });

    it("answers 429 with Retry-After and 5xx, which MSAL reports as ServerError", async () => {
      emulator().inject({ endpoint: "token", fault: { kind: "throttled", retryAfterSeconds: 7 } });
      emulator().inject({ endpoint: "token", fault: { kind: "server_error", status: 500 } });
      const throttled = await rejectsWithEntra(obo("alice@contoso.example"), { aadsts: 90055 });
      assert.ok(throttled instanceof ServerError);
      await rejectsWithEntra(obo("alice@contoso.example"), {
        errorCode: "temporarily_unavailable",
      });
      const statuses = emulator()
        .requests({ endpoint: "token" })
        .map((r) => [r.status, r.fault]);
      assert.deepEqual(statuses, [
        [429, "throttled"],
        [500, "server_error"],
      ]);

      emulator().inject({ endpoint: "token", fault: { kind: "throttled", retryAfterSeconds: 7 } });
      const raw = await emulator().fetch("/contoso.example/oauth2/v2.0/token", {
        method: "POST",
        body: "grant_type=client_credentials",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      assert.equal(raw.status, 429);
      assert.equal(raw.headers.get("retry-after"), "7");
    });

    it("delays an answer, then answers normally", async () => {
      const injection = emulator().inject({ endpoint: "token", fault: { kind: "delay", ms: 30 } });
      assert.ok(await obo("alice@contoso.example"));
      assert.equal(injection.hits, 1);
    });

    it("resets the connection, which MSAL reports as a network error", async () => {
      emulator().inject({ endpoint: "token", fault: { kind: "connection_reset" } });
      await assert.rejects(obo("alice@contoso.example"), (error: unknown) => {
        assert.ok(error instanceof ClientAuthError);
        assert.equal(error.errorCode, "network_error");
        return true;
      });
      assert.equal(emulator().count({ endpoint: "token", status: 0 }), 1);
    });
  });

  describe("on Graph", () => {
    it("throttles with Retry-After, which the Graph client's RetryHandler honours", async () => {
      const client = graphClient(await graphToken());
      emulator().inject({ endpoint: "graph", fault: { kind: "throttled", retryAfterSeconds: 0 } });
      const me = (await client.api("/me").get()) as { displayName: string };
      assert.equal(me.displayName, "Alice Adams");
      assert.deepEqual(
        emulator()
          .requests({ endpoint: "graph" })
          .map((r) => r.status),
        [429, 200],
      );
    });

    it("answers 5xx in Graph's error shape, for one path only", async () => {
      const client = graphClient(await graphToken());
      emulator().inject({
        endpoint: "graph",
        path: "/v1.0/me/manager",
        times: Infinity,
        fault: { kind: "server_error", status: 500 },
      });
      assert.ok(await client.api("/me").get());
      await assert.rejects(client.api("/me/manager").get(), (error: unknown) => {
        assert.ok(error instanceof GraphError);
        assert.equal(error.statusCode, 500);
        assert.equal(error.code, "serviceNotAvailable");
        return true;
      });
    });

    it("resets connections and delays answers, per user", async () => {
      const aliceClient = graphClient(await graphToken("alice@contoso.example"));
      const bobClient = graphClient(await graphToken("bob@contoso.example"));
      emulator().inject({
        endpoint: "graph",
        user: "bob@contoso.example",
        fault: { kind: "connection_reset" },
      });
      const delayed = emulator().inject({
        endpoint: "graph",
        user: "alice@contoso.example",
        fault: { kind: "delay", ms: 20 },
      });
      assert.ok(await aliceClient.api("/me").get());
      await assert.rejects(bobClient.api("/me").get(), GraphError);
      assert.equal(delayed.hits, 1);
    });

    it("refuses token-only faults on Graph, unknown users, and bad counts", () => {
      assert.throws(
        () =>
          emulator().inject({ endpoint: "graph", fault: { kind: "consent_required" } } as never),
        EmulatorError,
      );
      assert.throws(
        () =>
          emulator().inject({
            endpoint: "token",
            user: "nobody@contoso.example",
            fault: { kind: "consent_required" },
          }),
        EmulatorError,
      );
      assert.throws(
        () =>
          emulator().inject({ endpoint: "token", times: 0, fault: { kind: "consent_required" } }),
        EmulatorError,
      );
    });
  });

  describe("counters", () => {
    it("count requests by endpoint, flow, grant type, client, tenant and user, until reset", async () => {
      const token = await graphToken("alice@contoso.example");
      await obo("erin@fabrikam.example").catch(() => undefined); // erin is in another tenant
      await graphClient(token).api("/me").get();
      const { api } = emulator().defaults.apps;
      const { contoso } = emulator().defaults.tenants;

      const counters = emulator().counters;
      assert.equal(counters.total, 3);
      assert.equal(counters.byEndpoint.token, 2);
      assert.equal(counters.byEndpoint.graph, 1);
      assert.equal(counters.byFlow.obo, 2);
      assert.equal(counters.byGrantType["urn:ietf:params:oauth:grant-type:jwt-bearer"], 2);
      assert.equal(counters.byClient[api.clientId], 3);
      assert.equal(counters.byTenant[contoso.id], 3);
      assert.equal(counters.byUser["alice@contoso.example"], 2);
      assert.equal(emulator().count({ endpoint: "token", status: 400 }), 1);
      assert.equal(emulator().count({ path: /^\/v1\.0\// }), 1);

      const recorded = JSON.stringify(emulator().requests());
      assert.ok(!recorded.includes(token), "no token is ever recorded");
      assert.ok(!recorded.includes(api.clientSecret), "no secret is ever recorded");

      emulator().resetCounters();
      assert.equal(emulator().counters.total, 0);
    });
  });
});
