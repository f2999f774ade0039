import assert from "node:assert/strict";
import { HttpMethod, RequestInformation } from "@microsoft/kiota-abstractions";
import { Client } from "@microsoft/microsoft-graph-client";
import nock from "nock";
import {
  OnBehalfOfError,
  runWithUserAssertion,
  type OnBehalfOfAuthenticationProvider,
  type OnBehalfOfTokenOptions,
} from "../../../lib/index.js";
import {
  GRAPH_HOSTS,
  KiotaOnBehalfOfAuthenticationProvider,
  onBehalfOfOption,
  withoutAgentIdentityOption,
} from "../../../lib/kiota.js";
import { claimsOf, mockGraphMe, mockOboEndpoint } from "../../support/entra.js";
import { TENANT, userToken } from "../../support/tokens.js";
import { authorizationOf, kiotaGraph, oboProvider } from "./helpers.js";
import { rejectsWithCode } from "../../support/assertions.js";

/** Rejects with an OnBehalfOfError of `code`, and returns it. */

/** Wraps a provider and records the options of every getAccessToken call. */
function watched(provider: OnBehalfOfAuthenticationProvider): {
  calls: (OnBehalfOfTokenOptions | undefined)[];
  getAccessToken: OnBehalfOfAuthenticationProvider["getAccessToken"];
} {
  const calls: (OnBehalfOfTokenOptions | undefined)[] = [];
  return {
    calls,
    getAccessToken: (options) => {
      calls.push(options);
      return provider.getAccessToken(options);
    },
  };
}

/** A Kiota request for `url`, as the request adapter builds it. */
function kiotaRequest(url: string): RequestInformation {
  const request = new RequestInformation(HttpMethod.GET);
  request.URL = url;
  return request;
}

describe("KiotaOnBehalfOfAuthenticationProvider with @microsoft/msgraph-sdk", () => {
  describe("users", () => {
    it("calls /me and /me/manager for two users, each with their own token, one exchange each", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const bob = await userToken({ oid: "bob", tid: TENANT });
      const exchanges = mockOboEndpoint({ times: 2 });
      const seen = mockGraphMe(4);
      const provider = oboProvider();
      const graph = kiotaGraph(provider);

      const visit = async () => {
        const me = await graph.me.get();
        const manager = await graph.me.manager.get();
        return [me?.id, manager?.id];
      };
      const [forAlice, forBob] = await Promise.all([
        runWithUserAssertion(alice, visit),
        runWithUserAssertion(bob, visit),
      ]);

      assert.deepEqual(forAlice, ["alice", "manager-of-alice"]);
      assert.deepEqual(forBob, ["bob", "manager-of-bob"]);
      assert.deepEqual(seen.map((hit) => `${hit.path} ${hit.oid}`).sort(), [
        "/v1.0/me alice",
        "/v1.0/me bob",
        "/v1.0/me/manager alice",
        "/v1.0/me/manager bob",
      ]);
      assert.deepEqual(exchanges.map((r) => claimsOf(r.form.assertion ?? "").oid).sort(), [
        "alice",
        "bob",
      ]);
      const stats = provider.stats();
      assert.equal(stats.misses, 2);
      assert.equal(stats.hits, 2);
    });

    it("shares the engine and the cache with the Graph v3 client", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      mockOboEndpoint({ times: 1 });
      const seen = mockGraphMe(2);
      const provider = oboProvider({ getUserAssertion: () => alice });

      await Client.initWithMiddleware({ authProvider: provider }).api("/me").get();
      await kiotaGraph(provider).me.get();

      assert.equal(seen.length, 2);
      assert.equal(seen[0]?.token, seen[1]?.token, "the v3 client's token served the Kiota call");
      assert.equal(provider.stats().tokenRequests, 1);
    });

    it("uses the client's scopes, and a request option's instead", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const exchanges = mockOboEndpoint({ times: 2 });
      mockGraphMe(3);
      const graph = kiotaGraph(oboProvider({ getUserAssertion: () => alice }), {
        scopes: ["User.Read"],
      });

      await graph.me.get();
      await graph.me.get();
      await graph.me.manager.get({ options: [onBehalfOfOption({ scopes: ["User.Read.All"] })] });

      assert.deepEqual(
        exchanges.map((r) => r.form.scope?.split(" ").filter((s) => s.includes("."))),
        [["User.Read"], ["User.Read.All"]],
      );
    });

    it("hands the provider's typed error to the caller unchanged, and calls nothing", async () => {
      const graph = kiotaGraph(oboProvider());
      const error = await rejectsWithCode(graph.me.get(), "ERR_OBO_USER_ASSERTION_MISSING");
      assert.match(error.message, /runWithUserAssertion/);
    });

    it("leaves a request that already carries an Authorization header as it is", async () => {
      const provider = watched(oboProvider());
      let seen: string | undefined;
      nock("https://graph.microsoft.com")
        .get("/v1.0/me")
        .reply(function () {
          seen = authorizationOf(this.req.headers);
          return [200, { id: "caller" }];
        });
      const graph = kiotaGraph(provider as unknown as OnBehalfOfAuthenticationProvider);

      await graph.me.get({ headers: { Authorization: "Bearer caller-supplied" } });

      assert.equal(seen, "Bearer caller-supplied");
      assert.equal(provider.calls.length, 0);
    });
  });

  describe("Continuous Access Evaluation, at the provider boundary", () => {
    const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}';

    it("drops the old Authorization header and asks for a token with the decoded claims", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      mockOboEndpoint();
      const provider = watched(oboProvider({ getUserAssertion: () => alice }));
      const kiota = new KiotaOnBehalfOfAuthenticationProvider(provider, { scopes: ["User.Read"] });
      const request = kiotaRequest("https://graph.microsoft.com/v1.0/me");
      request.addRequestOptions([withoutAgentIdentityOption()]);
      request.headers.add("Authorization", "Bearer stale");
      await kiota.authenticateRequest(request, { claims: Buffer.from(CLAIMS).toString("base64") });

      const values = [...(request.headers.get("Authorization") ?? [])];
      assert.equal(values.length, 1);
      assert.notEqual(values[0], "Bearer stale");
      assert.deepEqual(provider.calls, [
        { scopes: ["User.Read"], agentIdentity: null, claims: CLAIMS },
      ]);
    });

    it("ignores claims it cannot decode, keeping the request's header", async () => {
      const provider = watched(oboProvider());
      const kiota = new KiotaOnBehalfOfAuthenticationProvider(provider);
      const request = kiotaRequest("https://graph.microsoft.com/v1.0/me");
      request.headers.add("Authorization", "Bearer current");

      await kiota.authenticateRequest(request, { claims: "%%%" });

      assert.deepEqual([...(request.headers.get("Authorization") ?? [])], ["Bearer current"]);
      assert.equal(provider.calls.length, 0);
    });
  });

  describe("allowed hosts", () => {
    it("covers the Graph hosts of every cloud by default", () => {
      const kiota = new KiotaOnBehalfOfAuthenticationProvider(oboProvider());
      assert.deepEqual(kiota.allowedHosts, [...GRAPH_HOSTS]);
      assert.deepEqual([...GRAPH_HOSTS].sort(), [
        "canary.graph.microsoft.com",
        "dod-graph.microsoft.us",
        "graph.microsoft.com",
        "graph.microsoft.de",
        "graph.microsoft.us",
        "graph.svc.sovcloud.de",
        "graph.svc.sovcloud.fr",
        "microsoftgraph.chinacloudapi.cn",
      ]);
    });

    it("sends a token to a national cloud's Graph", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      mockOboEndpoint();
      let seen: string | undefined;
      nock("https://dod-graph.microsoft.us")
        .get("/v1.0/me")
        .reply(function () {
          seen = authorizationOf(this.req.headers);
          return [200, { id: "alice" }];
        });
      const graph = kiotaGraph(oboProvider({ getUserAssertion: () => alice }), {
        baseUrl: "https://dod-graph.microsoft.us/v1.0",
      });

      await graph.me.get();

      assert.equal(claimsOf((seen ?? "").replace(/^Bearer /, "")).oid, "alice");
    });

    it("sends no token to another host, and does not call the provider", async () => {
      const provider = watched(oboProvider());
      let seen: string | undefined = "unset";
      nock("https://graph.contoso.test")
        .get("/v1.0/me")
        .reply(function () {
          seen = authorizationOf(this.req.headers);
          return [200, { id: "someone" }];
        });
      const graph = kiotaGraph(provider as unknown as OnBehalfOfAuthenticationProvider, {
        baseUrl: "https://graph.contoso.test/v1.0",
      });

      await graph.me.get();

      assert.equal(seen, undefined);
      assert.equal(provider.calls.length, 0);
    });

    it("sends a token to a listed host, compared case-insensitively, and only there", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      mockOboEndpoint();
      let seen: string | undefined;
      nock("https://graph.contoso.test")
        .get("/v1.0/me")
        .reply(function () {
          seen = authorizationOf(this.req.headers);
          return [200, { id: "alice" }];
        });
      const kiota = new KiotaOnBehalfOfAuthenticationProvider(
        oboProvider({ getUserAssertion: () => alice }),
        { allowedHosts: ["Graph.Contoso.TEST"] },
      );
      const graph = kiotaGraph(oboProvider({ getUserAssertion: () => alice }), {
        allowedHosts: new Set(["Graph.Contoso.TEST"]),
        baseUrl: "https://GRAPH.contoso.test/v1.0",
      });

      await graph.me.get();

      assert.match(seen ?? "", /^Bearer ey/);
      assert.deepEqual(kiota.allowedHosts, ["graph.contoso.test"]);
      const elsewhere = kiotaRequest("https://graph.microsoft.com/v1.0/me");
      await kiota.authenticateRequest(elsewhere);
      assert.equal(elsewhere.headers.has("Authorization"), false, "the default hosts are replaced");
    });

    it("refuses plain http, except to the local machine", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const insecure = kiotaGraph(oboProvider({ getUserAssertion: () => alice }), {
        baseUrl: "http://graph.microsoft.com/v1.0",
      });
      const error = await rejectsWithCode(insecure.me.get(), "ERR_OBO_CONFIGURATION");
      assert.match(error.message, /plain http/);

      mockOboEndpoint();
      let seen: string | undefined;
      nock("http://127.0.0.1:3999")
        .get("/v1.0/me")
        .reply(function () {
          seen = authorizationOf(this.req.headers);
          return [200, { id: "alice" }];
        });
      const local = kiotaGraph(oboProvider({ getUserAssertion: () => alice }), {
        allowedHosts: ["127.0.0.1"],
        baseUrl: "http://127.0.0.1:3999/v1.0",
      });
      await local.me.get();
      assert.match(seen ?? "", /^Bearer ey/);

      const kiota = new KiotaOnBehalfOfAuthenticationProvider(
        oboProvider({ getUserAssertion: () => alice }),
        { allowedHosts: ["localhost", "[::1]", "graph.contoso.test"] },
      );
      mockOboEndpoint();
      for (const url of ["http://localhost:8080/v1.0/me", "http://[::1]:8080/v1.0/me"]) {
        const request = kiotaRequest(url);
        await kiota.authenticateRequest(request);
        assert.equal(request.headers.has("Authorization"), true, url);
      }
      for (const url of ["http://graph.contoso.test/v1.0/me", "ftp://graph.contoso.test/me"]) {
        await rejectsWithCode(
          kiota.authenticateRequest(kiotaRequest(url)),
          "ERR_OBO_CONFIGURATION",
        );
      }
    });

    it("never sends a token to a URL with user info, or one it cannot parse", async () => {
      const provider = watched(oboProvider());
      const kiota = new KiotaOnBehalfOfAuthenticationProvider(provider);
      for (const url of [
        "https://user:secret@graph.microsoft.com/v1.0/me",
        "https://graph.microsoft.com@evil.test/v1.0/me",
        "https://graph.microsoft.com.evil.test/v1.0/me",
        "/v1.0/me",
      ]) {
        const request = kiotaRequest(url);
        await kiota.authenticateRequest(request, {});
        assert.equal(request.headers.has("Authorization"), false, url);
      }
      assert.equal(provider.calls.length, 0);
    });

    it("validates its options", () => {
      const provider = oboProvider();
      const invalid: [string, unknown][] = [
        ["allowedHosts", []],
        ["allowedHosts", "graph.microsoft.com"],
        ["allowedHosts", ["https://graph.microsoft.com"]],
        ["allowedHosts", ["graph.microsoft.com:443"]],
        ["allowedHosts", ["graph.microsoft.com/v1.0"]],
        ["allowedHosts", ["user@graph.microsoft.com"]],
        ["allowedHosts", [""]],
        ["allowedHosts", [42]],
        ["allowedHosts", 42],
        ["scopes", []],
        ["scopes", ["has space"]],
      ];
      for (const [option, value] of invalid) {
        assert.throws(
          () => new KiotaOnBehalfOfAuthenticationProvider(provider, { [option]: value }),
          (error: unknown) =>
            error instanceof OnBehalfOfError &&
            error.code === "ERR_OBO_CONFIGURATION" &&
            error.option === option,
          `${option}: ${JSON.stringify(value)}`,
        );
      }
      assert.throws(
        () =>
          new KiotaOnBehalfOfAuthenticationProvider(
            undefined as unknown as OnBehalfOfAuthenticationProvider,
          ),
        (error: unknown) => error instanceof OnBehalfOfError && error.option === "provider",
      );
      assert.deepEqual(
        new KiotaOnBehalfOfAuthenticationProvider(provider, {
          allowedHosts: ["[::1]", "LOCALHOST", "localhost"],
        }).allowedHosts,
        ["[::1]", "localhost"],
      );
    });
  });
});
