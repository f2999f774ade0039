import assert from "node:assert/strict";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { MemoryTokenCache, OnBehalfOfError } from "../../../lib/index.js";
import { AGENT_A, FakeAgentEntra } from "../../support/agent-entra.js";
import { entraError, mockOboEndpoint, mockTokenError } from "../../support/entra.js";
import { CLIENT_SECRET, TENANT, userToken } from "../../support/tokens.js";
import {
  everythingRecorded,
  histogramOf,
  pointsOf,
  registerSdk,
  sumOf,
  type RegisteredSdk,
} from "./otel-sdk.js";
import { plainProvider as provider } from "../../support/provider.js";

const CORRELATION_ID = "0f8fad5b-d9cb-469f-a165-70867728950e";
const USER_NAME = "Ada Lovelace";
const UPN = "ada.lovelace@contoso.example";

function user(oid: string): Promise<string> {
  return userToken({ oid, tid: TENANT, name: USER_NAME, extra: { upn: UPN } });
}

function named(spans: ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name);
}

function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = named(spans, name);
  const [first] = found;
  assert.ok(first !== undefined && found.length === 1, `one ${name} span, got ${found.length}`);
  return first;
}

function isChildOf(child: ReadableSpan, parent: ReadableSpan): boolean {
  return (
    child.parentSpanContext?.spanId === parent.spanContext().spanId &&
    child.spanContext().traceId === parent.spanContext().traceId
  );
}

/** Asserts that nothing recorded holds a token, an assertion, a secret or personal data. */
function assertNothingSecret(sdk: RegisteredSdk, recorded: string, secrets: string[]): void {
  for (const secret of [...secrets, CLIENT_SECRET, USER_NAME, UPN]) {
    assert.ok(secret.length > 0);
    assert.ok(!recorded.includes(secret), "a secret or personal data was recorded");
  }
  assert.ok(sdk.spans().length > 0, "spans were recorded");
}

describe("OpenTelemetry with the SDK registered", () => {
  let sdk: RegisteredSdk;

  beforeEach(() => {
    sdk = registerSdk();
  });

  afterEach(async () => {
    await sdk.shutdown();
  });

  it("counts hits, misses, coalesced waits and token requests by leg and outcome, as stats() does", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    mockOboEndpoint({ times: 2, delayMs: 20 });
    const auth = provider();

    const concurrent = await Promise.all([
      auth.getAccessToken({ userAssertion: alice }),
      auth.getAccessToken({ userAssertion: alice }),
      auth.getAccessToken({ userAssertion: alice }),
    ]);
    assert.equal(new Set(concurrent).size, 1);
    await auth.getAccessToken({ userAssertion: bob }); // a bystander
    await auth.getAccessToken({ userAssertion: alice });
    await auth.getAccessToken({ userAssertion: alice });

    const collected = await sdk.collect();
    const stats = auth.stats();
    assert.equal(sumOf(collected, "graph_obo_auth.cache.hits"), 2);
    assert.equal(sumOf(collected, "graph_obo_auth.cache.misses"), 2);
    assert.equal(sumOf(collected, "graph_obo_auth.cache.coalesced"), 2);
    assert.equal(sumOf(collected, "graph_obo_auth.cache.refreshes"), 0);
    assert.deepEqual(
      [stats.hits, stats.misses, stats.coalesced, stats.tokenRequests],
      [2, 2, 2, 2],
      "the same counts as stats()",
    );
    const success = { "graph_obo_auth.leg": "obo", "graph_obo_auth.outcome": "success" };
    assert.deepEqual(
      pointsOf(collected, "graph_obo_auth.token_requests").map((p) => [p.attributes, p.value]),
      [[success, 2]],
    );
    const duration = histogramOf(collected, "graph_obo_auth.token_request.duration", success);
    assert.ok(duration !== undefined);
    assert.equal(duration.count, 2);
    const seconds = duration.sum ?? 0;
    // Each answer comes after 20 ms: in milliseconds the sum would be 40 or more.
    assert.ok(seconds > 0 && seconds < 40, "seconds, not milliseconds");
    const descriptor = collected.find(
      (metric) => metric.descriptor.name === "graph_obo_auth.token_request.duration",
    )?.descriptor;
    assert.equal(descriptor?.unit, "s");
    assert.equal(
      collected.find((metric) => metric.descriptor.name === "graph_obo_auth.cache.hits")?.descriptor
        .unit,
      "{hit}",
    );
    for (const point of pointsOf(collected, "graph_obo_auth.cache.hits")) {
      assert.deepEqual(point.attributes, {}, "hits carry no attributes");
    }
  });

  it("traces an acquisition as a child of the caller's span, its leg as its child, and no span for a hit", async () => {
    const alice = await user("alice");
    mockOboEndpoint({ times: 1 });
    const auth = provider();
    const tracer = trace.getTracer("spec");

    await tracer.startActiveSpan("GET /api/me", async (span) => {
      try {
        await auth.getAccessToken({ userAssertion: alice, correlationId: CORRELATION_ID });
        await auth.getAccessToken({ userAssertion: alice }); // a hit
      } finally {
        span.end();
      }
    });

    const spans = sdk.spans();
    assert.deepEqual(spans.map((span) => span.name).sort(), [
      "GET /api/me",
      "graph_obo_auth.acquire_token",
      "graph_obo_auth.token_request obo",
    ]);
    const request = only(spans, "GET /api/me");
    const acquisition = only(spans, "graph_obo_auth.acquire_token");
    const leg = only(spans, "graph_obo_auth.token_request obo");
    assert.ok(isChildOf(acquisition, request), "the acquisition is the request's child");
    assert.ok(isChildOf(leg, acquisition), "the leg is the acquisition's child");
    assert.equal(acquisition.instrumentationScope.name, "graph-obo-auth");
    assert.equal(acquisition.kind, SpanKind.INTERNAL);
    assert.equal(leg.kind, SpanKind.CLIENT);
    assert.deepEqual(acquisition.attributes, {
      "graph_obo_auth.token_kind": "obo",
      "graph_obo_auth.correlation_id": CORRELATION_ID,
      "entra.tenant_id": TENANT,
    });
    assert.deepEqual(leg.attributes, {
      "graph_obo_auth.leg": "obo",
      "graph_obo_auth.correlation_id": CORRELATION_ID,
      "entra.tenant_id": TENANT,
      "graph_obo_auth.retry_count": 0,
    });
    assert.equal(acquisition.status.code, SpanStatusCode.UNSET);
  });

  it("records Entra's refusal on both spans and as a failed token request; a bystander is served", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    mockTokenError(400, entraError("invalid_grant", 50013));
    const auth = provider();

    const refusal = await auth.getAccessToken({ userAssertion: alice }).catch((e: unknown) => e);
    assert.ok(refusal instanceof OnBehalfOfError);
    mockOboEndpoint({ times: 1 });
    await auth.getAccessToken({ userAssertion: bob });

    const [failed, served] = named(sdk.spans(), "graph_obo_auth.acquire_token");
    const legs = named(sdk.spans(), "graph_obo_auth.token_request obo");
    assert.ok(failed !== undefined);
    const failedLeg = legs.find((leg) => isChildOf(leg, failed));
    for (const span of [failed, failedLeg]) {
      assert.equal(span?.status.code, SpanStatusCode.ERROR);
      assert.equal(span.status.message, refusal.code);
      assert.equal(span.attributes["error.type"], refusal.code);
      assert.equal(span.attributes["entra.error"], "invalid_grant");
      assert.equal(span.attributes["entra.error_code"], 50013);
      assert.equal(span.attributes["http.response.status_code"], 400);
    }
    assert.equal(served?.status.code, SpanStatusCode.UNSET);
    assert.equal(served.attributes["error.type"], undefined);

    const collected = await sdk.collect();
    const of = (outcome: string) =>
      sumOf(collected, "graph_obo_auth.token_requests", {
        "graph_obo_auth.leg": "obo",
        "graph_obo_auth.outcome": outcome,
      });
    assert.deepEqual([of("failure"), of("success"), of("retried")], [1, 1, 0]);
  });

  it("counts a transient failure as retried and sets the leg's retry count", async () => {
    const alice = await user("alice");
    mockTokenError(503, entraError("temporarily_unavailable", 50001));
    mockOboEndpoint({ times: 1 });
    const auth = provider({ retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 } });

    await auth.getAccessToken({ userAssertion: alice });

    const leg = only(sdk.spans(), "graph_obo_auth.token_request obo");
    assert.equal(leg.attributes["graph_obo_auth.retry_count"], 1);
    assert.equal(leg.status.code, SpanStatusCode.UNSET);
    const collected = await sdk.collect();
    const retried = { "graph_obo_auth.leg": "obo", "graph_obo_auth.outcome": "retried" };
    const success = { "graph_obo_auth.leg": "obo", "graph_obo_auth.outcome": "success" };
    assert.equal(sumOf(collected, "graph_obo_auth.token_requests", retried), 1);
    assert.equal(sumOf(collected, "graph_obo_auth.token_requests", success), 1);
    assert.equal(
      histogramOf(collected, "graph_obo_auth.token_request.duration", retried)?.count,
      1,
    );
  });

  it("nests an agent identity's legs (T1, then On-Behalf-Of) in one acquisition, with tenant and agent id", async () => {
    const alice = await user("alice");
    const entra = new FakeAgentEntra().expect(2);
    const auth = provider({ agentIdentity: AGENT_A });

    const token = await auth.getAccessToken({
      userAssertion: alice,
      correlationId: CORRELATION_ID,
    });

    const spans = sdk.spans();
    const acquisition = only(spans, "graph_obo_auth.acquire_token");
    const t1 = only(spans, "graph_obo_auth.token_request exchange-token");
    const obo = only(spans, "graph_obo_auth.token_request obo");
    assert.ok(isChildOf(t1, acquisition) && isChildOf(obo, acquisition));
    assert.equal(acquisition.parentSpanContext, undefined, "no caller span: a root span");
    assert.deepEqual(acquisition.attributes, {
      "graph_obo_auth.token_kind": "obo",
      "graph_obo_auth.correlation_id": CORRELATION_ID,
      "entra.tenant_id": TENANT,
      "graph_obo_auth.agent_id": AGENT_A,
    });
    for (const [leg, span] of [
      ["exchange-token", t1],
      ["obo", obo],
    ] as const) {
      assert.deepEqual(span.attributes, {
        "graph_obo_auth.leg": leg,
        "graph_obo_auth.correlation_id": CORRELATION_ID,
        "entra.tenant_id": TENANT,
        "graph_obo_auth.agent_id": AGENT_A,
        "graph_obo_auth.retry_count": 0,
      });
    }
    const collected = await sdk.collect();
    assertNothingSecret(sdk, everythingRecorded(spans, collected), [
      alice,
      token,
      ...entra.issued(),
    ]);
  });

  it("never records a token, an assertion, a secret, a user's name, UPN or object id (agent user by UPN and by object id)", async () => {
    const objectId = "c0ffee00-0000-4000-8000-0000000000aa";
    const alice = await user("alice");
    // In order: T1, T2 and user_fic by UPN, user_fic by object id; a refused On-Behalf-Of; app-only.
    const entra = new FakeAgentEntra().expect(4);
    mockTokenError(400, entraError("invalid_grant", 50013));
    entra.expect(1);
    const auth = provider({ agentIdentity: AGENT_A });

    const tokens = [
      // T1, T2, user_fic by UPN; user_fic by object id (T1 and T2 are cached)
      await auth.getAccessToken({ agentUser: { upn: UPN } }),
      await auth.getAccessToken({ agentUser: { objectId } }),
      // On-Behalf-Of as the agent: refused by Entra
      await auth.getAccessToken({ userAssertion: alice }).catch(() => "refused"),
      await auth.getAccessToken({ tokenKind: "app-only" }),
    ];
    assert.equal(entra.requests.length, 5);
    assert.equal(tokens[2], "refused");

    const spans = sdk.spans();
    assert.equal(named(spans, "graph_obo_auth.acquire_token").length, 4);
    const agentUser = named(spans, "graph_obo_auth.acquire_token").filter(
      (span) => span.attributes["graph_obo_auth.token_kind"] === "agent-user",
    );
    assert.equal(agentUser.length, 2);
    const collected = await sdk.collect();
    const requests = pointsOf(collected, "graph_obo_auth.token_requests")
      .map(
        (p) =>
          `${String(p.attributes["graph_obo_auth.leg"])} ${String(p.attributes["graph_obo_auth.outcome"])} ${String(p.value)}`,
      )
      .sort();
    assert.deepEqual(requests, [
      "agent-user success 3", // T2, then user_fic twice
      "app-only success 1",
      "exchange-token success 1", // T1, reused by every later leg
      "obo failure 1",
    ]);
    const recorded = everythingRecorded(spans, collected);
    assert.ok(!recorded.includes(objectId), "the agent user's object id is not recorded");
    assert.ok(recorded.includes(AGENT_A), "the agent id is");
    assertNothingSecret(sdk, recorded, [alice, ...tokens, ...entra.issued()]);
  });

  it("marks an acquisition that answers a claims challenge", async () => {
    const alice = await user("alice");
    mockOboEndpoint({ times: 1 });
    const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: "c1" } } });

    await provider().getAccessToken({ userAssertion: alice, claims });

    const acquisition = only(sdk.spans(), "graph_obo_auth.acquire_token");
    assert.equal(acquisition.attributes["graph_obo_auth.claims_challenge"], true);
    assert.ok(!everythingRecorded(sdk.spans(), []).includes("acrs"), "not the claims themselves");
  });

  it("records a token request that ran out of time as a timeout, on the leg span and in the metrics", async () => {
    const alice = await user("alice");
    mockOboEndpoint({ delayMs: 2000 });

    const error = await provider({ timeoutMs: 100 })
      .getAccessToken({ userAssertion: alice })
      .catch((e: unknown) => e);

    assert.ok(error instanceof OnBehalfOfError);
    assert.equal(error.code, "ERR_OBO_TIMEOUT");
    const leg = only(sdk.spans(), "graph_obo_auth.token_request obo");
    assert.equal(leg.status.code, SpanStatusCode.ERROR);
    assert.equal(leg.attributes["error.type"], "ERR_OBO_TIMEOUT");
    const collected = await sdk.collect();
    assert.equal(
      sumOf(collected, "graph_obo_auth.token_requests", {
        "graph_obo_auth.leg": "obo",
        "graph_obo_auth.outcome": "timeout",
      }),
      1,
    );
  });

  it("counts the in-memory cache's evictions", async () => {
    const users = await Promise.all(["u1", "u2", "u3"].map((oid) => user(oid)));
    mockOboEndpoint({ times: 3 });
    const auth = provider({ tokenCache: new MemoryTokenCache({ maxEntries: 1 }) });

    for (const assertion of users) await auth.getAccessToken({ userAssertion: assertion });

    const collected = await sdk.collect();
    assert.equal(sumOf(collected, "graph_obo_auth.cache.evictions"), 2);
    assert.equal(auth.stats().evictions, 2);
  });
});

describe("OpenTelemetry without an SDK", () => {
  it("works with the API's no-ops, and traces once an SDK is registered later (metrics need it first)", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    mockOboEndpoint({ times: 2 });
    const auth = provider();
    assert.ok((await auth.getAccessToken({ userAssertion: alice })).length > 0);

    const sdk = registerSdk();
    try {
      await auth.getAccessToken({ userAssertion: bob });
      assert.equal(named(sdk.spans(), "graph_obo_auth.acquire_token").length, 1);
      const collected = await sdk.collect();
      assert.deepEqual(
        pointsOf(collected, "graph_obo_auth.cache.misses"),
        [],
        "the instruments were made before the SDK: no-ops",
      );
      assert.equal(auth.stats().misses, 2);
    } finally {
      await sdk.shutdown();
    }
  });
});
