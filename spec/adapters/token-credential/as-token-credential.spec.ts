import assert from "node:assert/strict";
import type { OnBehalfOfAuthenticationProvider } from "../../../lib/index.js";
import {
  OnBehalfOfError,
  asTokenCredential,
  runWithUserAssertion,
  type AbortSignalLike,
  type OnBehalfOfTokenOptions,
} from "../../../lib/index.js";
import { AGENT_A, AGENT_B, FakeAgentEntra } from "../../support/agent-entra.js";
import { claimsOf, mockOboEndpoint } from "../../support/entra.js";
import { API_CLIENT_ID, OTHER_TENANT, TENANT, userToken } from "../../support/tokens.js";
import { mockOboWithExpiry } from "./helpers.js";
import { rejectsWithCode } from "../../support/assertions.js";
import { plainProvider as oboProvider } from "../../support/provider.js";

const GRAPH = "https://graph.microsoft.com/.default";

/** Wraps a provider and records the options of every getAccessToken call. */
function watched(provider: OnBehalfOfAuthenticationProvider): {
  calls: (OnBehalfOfTokenOptions & Record<string, unknown>)[];
  getAccessToken: OnBehalfOfAuthenticationProvider["getAccessToken"];
} {
  const calls: (OnBehalfOfTokenOptions & Record<string, unknown>)[] = [];
  return {
    calls,
    getAccessToken: (options) => {
      calls.push({ ...options });
      return provider.getAccessToken(options);
    },
  };
}

describe("asTokenCredential", () => {
  it("is also a method of the provider, with the same binding", async () => {
    const bob = await userToken({ oid: "bob", tid: TENANT });
    mockOboWithExpiry();
    const result = await oboProvider().asTokenCredential({ userAssertion: bob }).getToken(GRAPH);
    assert.equal(claimsOf(result.token).oid, "bob");
  });

  describe("for the current user", () => {
    it("returns the user's token, a bearer token expiring at its exp claim", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const exchanges = mockOboWithExpiry();
      const credential = asTokenCredential(oboProvider());

      const result = await runWithUserAssertion(alice, () => credential.getToken(GRAPH));

      const claims = claimsOf(result.token);
      assert.equal(claims.oid, "alice");
      assert.equal(result.expiresOnTimestamp, Number(claims.exp) * 1000);
      assert.equal(result.tokenType, "Bearer");
      assert.equal(exchanges[0]?.form.scope?.split(" ").includes(GRAPH), true);
    });

    it("serves each user of the request context, through the provider's cache", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const bob = await userToken({ oid: "bob", tid: TENANT });
      mockOboWithExpiry({ times: 2 });
      const provider = oboProvider();
      const credential = asTokenCredential(provider);

      const twice = async (): Promise<unknown[]> => {
        const first = await credential.getToken([GRAPH]);
        const second = await credential.getToken(GRAPH);
        assert.equal(first.token, second.token);
        return [claimsOf(first.token).oid, claimsOf(second.token).oid];
      };
      const results = await Promise.all([
        runWithUserAssertion(alice, twice),
        runWithUserAssertion(bob, twice),
      ]);

      assert.deepEqual(results, [
        ["alice", "alice"],
        ["bob", "bob"],
      ]);
      assert.equal(provider.stats().tokenRequests, 2);
      assert.equal(provider.stats().hits, 2);
    });

    it("reports a token without a readable exp as expiring within a minute", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      mockOboEndpoint(); // tokens without exp
      const credential = asTokenCredential(oboProvider({ getUserAssertion: () => alice }));
      const before = Date.now();
      const result = await credential.getToken(GRAPH);
      const after = Date.now();
      assert.ok(result.expiresOnTimestamp >= before + 60_000);
      assert.ok(result.expiresOnTimestamp <= after + 60_000);
    });

    it("rejects with the provider's typed errors: no user, no scopes", async () => {
      const credential = asTokenCredential(oboProvider());
      await rejectsWithCode(credential.getToken(GRAPH), "ERR_OBO_USER_ASSERTION_MISSING");
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const error = await rejectsWithCode(
        runWithUserAssertion(alice, () => credential.getToken([])),
        "ERR_OBO_CONFIGURATION",
      );
      assert.equal(error.option, "scopes");
    });

    it("refuses something that is not a provider", () => {
      assert.throws(
        () => asTokenCredential({} as Parameters<typeof asTokenCredential>[0]),
        (error: unknown) => error instanceof OnBehalfOfError && error.option === "provider",
      );
    });
  });

  describe("bound to a user or an agent identity", () => {
    it("serves the bound user whatever the request context says", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      const bob = await userToken({ oid: "bob", tid: TENANT });
      mockOboWithExpiry();
      const credential = asTokenCredential(oboProvider(), { userAssertion: `Bearer ${bob}` });
      const result = await runWithUserAssertion(alice, () => credential.getToken(GRAPH));
      assert.equal(claimsOf(result.token).oid, "bob");
    });

    it("acts as the bound agent identity, or opts out of the provider's", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      // A: T1 + OBO; plain OBO as the blueprint
      const entra = new FakeAgentEntra().expect(3);
      const provider = oboProvider({ agentIdentity: AGENT_B, getUserAssertion: () => alice });

      const asAgent = await asTokenCredential(provider, { agentIdentity: AGENT_A }).getToken(GRAPH);
      const plain = await asTokenCredential(provider, { agentIdentity: null }).getToken(GRAPH);

      assert.deepEqual(
        [claimsOf(asAgent.token), claimsOf(plain.token)].map((c) => [c.oid, c.azp]),
        [
          ["alice", AGENT_A],
          ["alice", API_CLIENT_ID],
        ],
      );
      assert.deepEqual(
        entra.requests.map((r) => r.leg),
        ["exchange-token", "obo", "obo"],
      );
    });

    it("gets the agent's app-only and agent-user tokens without reading the user", async () => {
      let reads = 0;
      const entra = new FakeAgentEntra().expect(4); // T1, app-only, T2, user_fic
      const provider = oboProvider({
        getUserAssertion: () => {
          reads++;
          return undefined;
        },
      });

      const app = await asTokenCredential(provider, {
        agentIdentity: AGENT_A,
        tokenKind: "app-only",
      }).getToken(GRAPH);
      const agentUser = await asTokenCredential(provider, {
        agentIdentity: AGENT_A,
        agentUser: { upn: "agent-user@contoso.com" },
      }).getToken(GRAPH);

      assert.equal(reads, 0);
      assert.equal(claimsOf(app.token).idtyp, "app");
      assert.equal(claimsOf(agentUser.token).upn, "agent-user@contoso.com");
      assert.deepEqual(
        entra.requests.map((r) => r.leg),
        ["exchange-token", "app-only", "agent-user-credential", "agent-user"],
      );
    });
  });

  describe("tenantId", () => {
    it("accepts a user's token from the requested tenant, and refuses one from another", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      mockOboWithExpiry();
      const credential = asTokenCredential(oboProvider({ getUserAssertion: () => alice }));

      const result = await credential.getToken(GRAPH, { tenantId: TENANT.toUpperCase() });
      assert.equal(claimsOf(result.token).tid, TENANT);

      const error = await rejectsWithCode(
        credential.getToken(GRAPH, { tenantId: OTHER_TENANT }),
        "ERR_OBO_CONFIGURATION",
      );
      assert.equal(error.option, "tenantId");
      assert.match(error.message, new RegExp(OTHER_TENANT));
      assert.doesNotMatch(error.message, new RegExp(result.token.split(".")[1] ?? "-"));
    });

    it("refuses a user's token whose tenant cannot be read", async () => {
      const provider = {
        getAccessToken: () => Promise.resolve("opaque-token"),
      };
      const credential = asTokenCredential(provider);
      const error = await rejectsWithCode(
        credential.getToken(GRAPH, { tenantId: TENANT }),
        "ERR_OBO_CONFIGURATION",
      );
      assert.doesNotMatch(error.message, /opaque-token/);
      const result = await credential.getToken(GRAPH);
      assert.equal(result.token, "opaque-token");
    });

    it("requests an agent's app-only token in the requested tenant", async () => {
      const entra = new FakeAgentEntra().expect(2);
      const credential = asTokenCredential(oboProvider({ tenantId: "organizations" }), {
        agentIdentity: AGENT_A,
        tokenKind: "app-only",
      });

      await credential.getToken(GRAPH, { tenantId: OTHER_TENANT });

      assert.deepEqual(
        entra.requests.map((r) => [r.leg, r.tenant]),
        [
          ["exchange-token", OTHER_TENANT],
          ["app-only", OTHER_TENANT],
        ],
      );
    });

    it("refuses a tenant that a single-tenant provider or the binding does not serve", async () => {
      const appOnly = asTokenCredential(oboProvider(), {
        agentIdentity: AGENT_A,
        tokenKind: "app-only",
      });
      const single = await rejectsWithCode(
        appOnly.getToken(GRAPH, { tenantId: OTHER_TENANT }),
        "ERR_OBO_CONFIGURATION",
      );
      assert.equal(single.option, "tenantId");

      const bound = asTokenCredential(oboProvider({ tenantId: "organizations" }), {
        agentIdentity: AGENT_A,
        tokenKind: "app-only",
        tenantId: TENANT,
      });
      const mismatch = await rejectsWithCode(
        bound.getToken(GRAPH, { tenantId: OTHER_TENANT }),
        "ERR_OBO_CONFIGURATION",
      );
      assert.equal(mismatch.option, "tenantId");
    });
  });

  describe("other options", () => {
    it("passes claims on, and drops enableCae, tracing and empty values", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      mockOboWithExpiry({ times: 2 });
      const provider = watched(oboProvider({ getUserAssertion: () => alice }));
      const credential = asTokenCredential(provider);
      const claims = '{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}';

      await credential.getToken(GRAPH, {
        enableCae: true,
        tenantId: "",
        claims: "",
        tracingOptions: {},
        requestOptions: { timeout: 1000 },
      });
      await credential.getToken(GRAPH, { enableCae: true, claims });

      assert.deepEqual(provider.calls, [{ scopes: [GRAPH] }, { scopes: [GRAPH], claims }]);
    });

    it("refuses a proof-of-possession request before any network call", async () => {
      const credential = asTokenCredential(oboProvider());
      const error = await rejectsWithCode(
        credential.getToken(GRAPH, {
          proofOfPossessionOptions: {
            nonce: "n",
            resourceRequestMethod: "GET",
            resourceRequestUrl: "https://graph.microsoft.com/v1.0/me",
          },
        }),
        "ERR_OBO_CONFIGURATION",
      );
      assert.equal(error.option, "proofOfPossessionOptions");
    });

    it("hands a standard AbortSignal to the provider as it is", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      mockOboWithExpiry();
      const provider = watched(oboProvider({ getUserAssertion: () => alice }));
      const controller = new AbortController();
      await asTokenCredential(provider).getToken(GRAPH, { abortSignal: controller.signal });
      assert.equal(provider.calls[0]?.abortSignal, controller.signal);
    });

    it("follows an Azure AbortSignalLike with a standard signal, and lets go of it after", async () => {
      const listeners = new Set<() => void>();
      const like: AbortSignalLike & { aborted: boolean; reason?: unknown } = {
        aborted: false,
        addEventListener: (_type, listener) => listeners.add(listener as () => void),
        removeEventListener: (_type, listener) => listeners.delete(listener as () => void),
      };
      let followed: AbortSignal | undefined;
      const credential = asTokenCredential({
        getAccessToken: (options) =>
          new Promise<string>((_, reject) => {
            followed = options?.abortSignal;
            followed?.addEventListener("abort", () => {
              reject(new Error("stopped"));
            });
          }),
      });

      const pending = credential.getToken(GRAPH, { abortSignal: like });
      assert.equal(listeners.size, 1);
      like.aborted = true;
      like.reason = new Error("caller gave up");
      for (const listener of listeners) listener();

      await assert.rejects(pending, /stopped/);
      assert.ok(followed instanceof AbortSignal);
      assert.equal(followed.aborted, true);
      assert.equal((followed.reason as Error).message, "caller gave up");
      assert.equal(listeners.size, 0, "the listener is removed");
    });

    it("rejects with ERR_OBO_ABORTED for an aborted signal; the token still lands in the cache", async () => {
      const alice = await userToken({ oid: "alice", tid: TENANT });
      mockOboWithExpiry();
      const provider = oboProvider({ getUserAssertion: () => alice });
      const credential = asTokenCredential(provider);
      const reason = new Error("caller gave up");
      const aborted: AbortSignalLike & { reason: unknown } = {
        aborted: true,
        reason,
        addEventListener: () => undefined,
        removeEventListener: () => undefined,
      };

      const error = await rejectsWithCode(
        credential.getToken(GRAPH, { abortSignal: aborted }),
        "ERR_OBO_ABORTED",
      );
      assert.equal(error.cause, reason);
      const later = await credential.getToken(GRAPH);
      assert.equal(claimsOf(later.token).oid, "alice");
      assert.equal(provider.stats().tokenRequests, 1);
    });
  });
});
