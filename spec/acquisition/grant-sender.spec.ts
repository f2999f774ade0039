import assert from "node:assert/strict";
import nock from "nock";
import { retryDelay, type RequestPolicy } from "../../lib/acquisition/grant-sender.js";
import {
  OnBehalfOfAuthenticationProvider,
  OnBehalfOfError,
  createGraphClient,
  type OnBehalfOfAuthenticationProviderOptions,
} from "../../lib/index.js";
import {
  claimsOf,
  entraError,
  mockGraphMe,
  mockOboEndpoint,
  mockTokenError,
} from "../support/entra.js";
import { API_CLIENT_ID, CLIENT_SECRET, TENANT, userToken } from "../support/tokens.js";

const POLICY: RequestPolicy = {
  timeoutMs: 30_000,
  maxRetries: 2,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  maxRetryAfterMs: 5000,
};

function provider(
  extra: Partial<OnBehalfOfAuthenticationProviderOptions> = {},
): OnBehalfOfAuthenticationProvider {
  return new OnBehalfOfAuthenticationProvider({
    clientId: API_CLIENT_ID,
    tenantId: TENANT,
    clientSecret: CLIENT_SECRET,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...extra,
  } as OnBehalfOfAuthenticationProviderOptions);
}

async function failure(promise: Promise<unknown>): Promise<OnBehalfOfError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OnBehalfOfError, String(error));
    return error;
  }
  assert.fail("expected a failure");
}

describe("token requests: retries, timeouts and throttling", () => {
  describe("retryDelay", () => {
    it("backs off exponentially with full jitter for network errors and 500/502/503/504", () => {
      assert.equal(
        retryDelay({ status: 503 }, 0, POLICY, () => 0.999),
        99,
      );
      assert.equal(
        retryDelay({ status: 500 }, 1, POLICY, () => 0.5),
        100,
      );
      assert.equal(
        retryDelay({ networkFailure: true }, 1, POLICY, () => 0.999),
        199,
      );
      assert.equal(
        retryDelay({ status: 504 }, 1, { ...POLICY, maxDelayMs: 150 }, () => 0.999),
        149,
      );
    });

    it("waits for Retry-After, unless it is longer than allowed", () => {
      assert.equal(retryDelay({ status: 429, retryAfterMs: 2000 }, 0, POLICY), 2000);
      assert.equal(retryDelay({ status: 503, retryAfterMs: 3000 }, 0, POLICY), 3000);
      assert.equal(retryDelay({ status: 429, retryAfterMs: 60_000 }, 0, POLICY), undefined);
    });

    it("never retries what Entra decided, nor beyond maxRetries", () => {
      assert.equal(retryDelay({ status: 400 }, 0, POLICY), undefined);
      assert.equal(retryDelay({ status: 401 }, 0, POLICY), undefined);
      assert.equal(retryDelay({}, 0, POLICY), undefined);
      assert.equal(retryDelay({ status: 503 }, 2, POLICY), undefined);
    });
  });

  describe("through the provider", () => {
    it("retries a transient 503 and succeeds", async () => {
      const sent = mockTokenError(503, entraError("temporarily_unavailable", 90_000));
      const exchanges = mockOboEndpoint();
      const authProvider = provider();
      const token = await authProvider.getAccessToken({
        userAssertion: await userToken({ oid: "alice", tid: TENANT }),
      });
      assert.equal(claimsOf(token).oid, "alice");
      assert.equal(sent.length + exchanges.length, 2);
      assert.equal(
        sent[0]?.form["client-request-id"],
        exchanges[0]?.form["client-request-id"],
        "a retry sends the acquisition's correlation id again",
      );
      assert.equal(authProvider.stats().tokenRequests, 2);
    });

    it("retries a network error (connection reset)", async () => {
      nock("https://login.microsoftonline.com")
        .post(/\/oauth2\/v2\.0\/token/)
        .query(true)
        .replyWithError({ code: "ECONNRESET", message: "socket hang up" });
      mockOboEndpoint();
      await provider().getAccessToken({
        userAssertion: await userToken({ oid: "alice", tid: TENANT }),
      });
    });

    it("honours a 429's Retry-After before retrying", async () => {
      const throttled = mockTokenError(429, entraError("temporarily_unavailable", 50196), {
        "Retry-After": "1",
      });
      const exchanges = mockOboEndpoint();
      await provider().getAccessToken({
        userAssertion: await userToken({ oid: "alice", tid: TENANT }),
      });
      assert.equal(throttled.length, 1);
      assert.equal(exchanges.length, 1);
    });

    it("fails at once with retryAfterMs when Retry-After is longer than allowed", async () => {
      mockTokenError(429, entraError("temporarily_unavailable", 50196), { "Retry-After": "120" });
      const error = await failure(
        provider().getAccessToken({
          userAssertion: await userToken({ oid: "alice", tid: TENANT }),
        }),
      );
      assert.equal(error.code, "ERR_OBO_TOKEN_REQUEST_FAILED");
      assert.equal(error.status, 429);
      assert.equal(error.retryAfterMs, 120_000);
    });

    it("does not retry invalid_grant or invalid_client", async () => {
      for (const [status, body] of [
        [400, entraError("invalid_grant", 50013)],
        [401, entraError("invalid_client", 7000215)],
      ] as const) {
        const sent = mockTokenError(status, body);
        const error = await failure(
          provider().getAccessToken({
            userAssertion: await userToken({ oid: "alice", tid: TENANT }),
          }),
        );
        assert.equal(error.status, status);
        assert.equal(sent.length, 1, "exactly one request");
      }
    });

    it("gives up after maxRetries with the last failure", async () => {
      nock("https://login.microsoftonline.com")
        .post(/\/oauth2\/v2\.0\/token/)
        .query(true)
        .times(3)
        .reply(500, entraError("server_error", 50000));
      const authProvider = provider();
      const error = await failure(
        authProvider.getAccessToken({
          userAssertion: await userToken({ oid: "alice", tid: TENANT }),
        }),
      );
      assert.equal(error.status, 500);
      assert.equal(authProvider.stats().tokenRequests, 3);
    });

    it("does not let one user's 5xx throttle another user's request (MSAL would, for 60 s)", async () => {
      nock("https://login.microsoftonline.com")
        .post(/\/oauth2\/v2\.0\/token/)
        .query(true)
        .reply(500, entraError("server_error", 50000), { "Retry-After": "60" });
      const bobExchange = mockOboEndpoint();
      const authProvider = provider({ retry: { maxRetries: 0 } });
      const alice = failure(
        authProvider.getAccessToken({
          userAssertion: await userToken({ oid: "alice", tid: TENANT }),
        }),
      );
      assert.equal((await alice).status, 500);
      const token = await authProvider.getAccessToken({
        userAssertion: await userToken({ oid: "bob", tid: TENANT }),
      });
      assert.equal(claimsOf(token).oid, "bob");
      assert.equal(
        bobExchange.length,
        1,
        "bob's identical request went to Entra instead of being refused locally",
      );
    });

    it("fails with ERR_OBO_TIMEOUT when the token endpoint is too slow", async () => {
      mockOboEndpoint({ delayMs: 2000 });
      const error = await failure(
        provider({ timeoutMs: 100 }).getAccessToken({
          userAssertion: await userToken({ oid: "alice", tid: TENANT }),
        }),
      );
      assert.equal(error.code, "ERR_OBO_TIMEOUT");
      assert.equal(error.leg, "obo");
    });

    it("fails with ERR_OBO_ABORTED when the caller aborts, without failing other waiters", async () => {
      mockOboEndpoint({ delayMs: 200 });
      const authProvider = provider();
      const assertion = await userToken({ oid: "alice", tid: TENANT });
      const controller = new AbortController();
      const patient = authProvider.getAccessToken({ userAssertion: assertion });
      const impatient = authProvider.getAccessToken({
        userAssertion: assertion,
        abortSignal: controller.signal,
      });
      controller.abort();
      assert.equal((await failure(impatient)).code, "ERR_OBO_ABORTED");
      assert.equal(claimsOf(await patient).oid, "alice");
      const already = await failure(
        authProvider.getAccessToken({ userAssertion: assertion, abortSignal: AbortSignal.abort() }),
      );
      assert.equal(already.code, "ERR_OBO_ABORTED");
    });
  });

  describe("claims and client capabilities", () => {
    const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1635527790"}}}';

    it("declares cp1 on user-token requests and sends challenge claims, bypassing and replacing the cache", async () => {
      const exchanges = mockOboEndpoint({ times: 2 });
      const authProvider = provider({ clientCapabilities: ["cp1"] });
      const assertion = await userToken({ oid: "alice", tid: TENANT });
      const first = await authProvider.getAccessToken({ userAssertion: assertion });
      const renewed = await authProvider.getAccessToken({
        userAssertion: assertion,
        claims: CLAIMS,
      });
      assert.notEqual(renewed, first);
      assert.equal(
        await authProvider.getAccessToken({ userAssertion: assertion }),
        renewed,
        "the claims token replaced the stale one",
      );
      const [plain, withClaims] = exchanges.map(
        (e) =>
          (JSON.parse(e.form.claims ?? "{}") as { access_token?: Record<string, unknown> })
            .access_token ?? {},
      );
      assert.deepEqual(plain?.xms_cc, { values: ["cp1"] });
      assert.deepEqual(withClaims?.nbf, { essential: true, value: "1635527790" });
      assert.deepEqual(withClaims.xms_cc, { values: ["cp1"] }, "MSAL merges the capabilities in");
    });

    it("refuses claims that are not JSON, before any network call", async () => {
      const error = await failure(
        provider().getAccessToken({
          userAssertion: await userToken({ oid: "alice", tid: TENANT }),
          claims: "eyJub3QiOiJqc29uIn0=",
        }),
      );
      assert.equal(error.code, "ERR_OBO_CONFIGURATION");
      assert.equal(error.option, "claims");
    });

    it("handles a Graph CAE challenge end to end with createGraphClient", async () => {
      const exchanges = mockOboEndpoint({ times: 2 });
      const challenge = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${Buffer.from(CLAIMS).toString("base64")}"`;
      const stale: string[] = [];
      nock("https://graph.microsoft.com")
        .get("/v1.0/me")
        .reply(function () {
          stale.push(String(this.req.headers.authorization));
          return [
            401,
            { error: { code: "InvalidAuthenticationToken", message: "CAE" } },
            { "WWW-Authenticate": challenge },
          ];
        });
      const seen = mockGraphMe(1);
      const assertion = await userToken({ oid: "alice", tid: TENANT });
      const graph = createGraphClient({
        authProvider: provider({ clientCapabilities: ["cp1"], getUserAssertion: () => assertion }),
      });
      const me = (await graph.api("/me").get()) as { id: string };
      assert.equal(me.id, "alice");
      assert.equal(exchanges.length, 2);
      assert.ok(exchanges[1]?.form.claims?.includes("1635527790"));
      const [hit] = seen;
      assert.ok(hit);
      assert.equal(hit.oid, "alice");
      assert.notEqual(
        `Bearer ${hit.token}`,
        stale[0],
        "the retry carried the new token, not the revoked one",
      );
    });
  });
});

describe("token request deadlines", () => {
  it("frees each request's deadline timer as soon as the request settles", async () => {
    const timeoutMs = 45_678; // a value nothing else in the run uses
    const created = new Set<unknown>();
    const cleared = new Set<unknown>();
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    globalThis.setTimeout = ((handler: () => void, ms?: number, ...rest: unknown[]) => {
      const timer = realSet(handler, ms, ...rest);
      if (ms === timeoutMs) created.add(timer);
      return timer;
    }) as typeof setTimeout;
    globalThis.clearTimeout = (timer?: Parameters<typeof clearTimeout>[0]) => {
      if (created.has(timer)) cleared.add(timer);
      realClear(timer);
    };
    try {
      const authProvider = provider({ timeoutMs });
      mockOboEndpoint({ times: 10 });
      for (let i = 0; i < 10; i++) {
        await authProvider.getAccessToken({
          userAssertion: await userToken({ oid: `u${i}`, tid: TENANT }),
        });
      }
      mockTokenError(400, entraError("invalid_grant", 50013));
      await failure(
        authProvider.getAccessToken({
          userAssertion: await userToken({ oid: "refused", tid: TENANT }),
        }),
      );
    } finally {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    }
    assert.equal(created.size, 11, "one deadline per token request");
    assert.equal(cleared.size, 11, "every deadline cleared when its request settled");
  });
});
