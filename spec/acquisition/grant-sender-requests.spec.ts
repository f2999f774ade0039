import assert from "node:assert/strict";
import { ServerError, type AuthenticationResult } from "@azure/msal-node";
import type {
  ConfidentialClientApplication,
  INetworkModule,
  NetworkResponse,
} from "@azure/msal-node";
import { LegGates } from "../../lib/acquisition/leg-gates.js";
import {
  requestToken,
  type GrantSenderOptions,
  type RequestPolicy,
} from "../../lib/acquisition/grant-sender.js";
import { OnBehalfOfError } from "../../lib/util/errors.js";
import { createLogger } from "../../lib/util/logger.js";
import {
  ObservingNetworkClient,
  type AbortableNetworkRequestOptions,
} from "../../lib/acquisition/msal/network-client.js";

const URL = "https://login.microsoftonline.com/t/oauth2/v2.0/token";

/** The pieces of one requestToken call, with what it logged, counted and measured. */
function harness(policy: Partial<RequestPolicy> = {}) {
  const lines: string[] = [];
  const counted: string[] = [];
  const outcomes: { outcome: string; seconds: number }[] = [];
  const gates = new LegGates();
  let cleared = 0;
  const context: GrantSenderOptions = {
    log: createLogger({
      info: (m) => lines.push(`info ${m}`),
      warn: (m) => lines.push(`warn ${m}`),
    }),
    policy: {
      timeoutMs: 5000,
      maxRetries: 2,
      baseDelayMs: 0,
      maxDelayMs: 0,
      maxRetryAfterMs: 5000,
      ...policy,
    },
    gates,
    metrics: {
      tokenRequestSent: (leg) => counted.push(leg),
      tokenRequestEnded: (_leg, outcome, seconds) => outcomes.push({ outcome, seconds }),
    },
  };
  const client = {
    clearCache: () => {
      cleared++;
    },
  } as unknown as ConfidentialClientApplication;
  return { context, client, lines, counted, outcomes, gates, cleared: () => cleared };
}

/** An MSAL call that goes through the observing network client, answered by `answers` in order. */
function sendVia(answers: (() => Promise<{ status: number; headers?: Record<string, string> }>)[]) {
  let calls = 0;
  const inner: INetworkModule = {
    sendGetRequestAsync: () => Promise.reject(new Error("unused")),
    sendPostRequestAsync: async <T>(): Promise<NetworkResponse<T>> => {
      const answer = answers[calls++];
      if (answer === undefined) throw new Error("no more answers");
      const { status, headers = {} } = await answer();
      return { status, headers, body: {} as T };
    },
  };
  const network = new ObservingNetworkClient(inner);
  const send = async (correlationId: string): Promise<AuthenticationResult | null> => {
    const response = await network.sendPostRequestAsync(URL);
    if (response.status !== 200) {
      throw new ServerError(
        response.status === 400 ? "invalid_grant" : "server_error",
        "AADSTS1: x",
      );
    }
    return {
      accessToken: `token-${correlationId}`,
      expiresOn: new Date(2_000_000_000_000),
    } as AuthenticationResult;
  };
  return { send, calls: () => calls };
}

const ok = () => Promise.resolve({ status: 200 });

describe("requestToken (one token request: retries, gates, deadline, metrics)", () => {
  it("returns the token and its expiry, leaves the MSAL store alone on success, and records one success", async () => {
    const h = harness();
    const { send } = sendVia([ok]);
    const before = performance.now();
    const fetched = await requestToken(h.context, {
      leg: "obo",
      what: "a token",
      client: h.client,
      correlationId: "c-1",
      send,
    });
    const windowSeconds = (performance.now() - before) / 1000;
    assert.deepEqual(fetched, { accessToken: "token-c-1", expiresAt: 2_000_000_000_000 });
    assert.equal(h.cleared(), 0, "nothing was stored: IsolatedConfidentialClient");
    assert.deepEqual(h.counted, ["obo"]);
    assert.deepEqual(h.lines, ["info graph-obo-auth: requesting a token (correlationId=c-1)"]);
    assert.equal(h.outcomes.length, 1);
    assert.equal(h.outcomes[0]?.outcome, "success");
    // Not a timing assertion: the duration recorded lies within the window this test observed.
    assert.ok(
      h.outcomes[0].seconds >= 0 && h.outcomes[0].seconds <= windowSeconds,
      "the attempt's duration, in seconds",
    );
  });

  it("uses a token without a known expiry for this request only (expires now)", async () => {
    const h = harness();
    const before = Date.now();
    const fetched = await requestToken(h.context, {
      leg: "obo",
      what: "a token",
      client: h.client,
      correlationId: "c",
      send: () => Promise.resolve({ accessToken: "t", expiresOn: null } as AuthenticationResult),
    });
    assert.ok(fetched.expiresAt >= before && fetched.expiresAt <= Date.now());
  });

  for (const [name, result] of [
    ["no result", null],
    ["an empty access token", { accessToken: "" }],
  ] as const) {
    it(`fails with ERR_OBO_TOKEN_REQUEST_FAILED when MSAL returns ${name}`, async () => {
      const h = harness();
      const error = await requestToken(h.context, {
        leg: "app-only",
        what: "a token",
        client: h.client,
        correlationId: "c-2",
        send: () => Promise.resolve(result as AuthenticationResult | null),
      }).then(
        () => assert.fail("resolved"),
        (e: unknown) => e as OnBehalfOfError,
      );
      assert.ok(error instanceof OnBehalfOfError);
      assert.equal(error.code, "ERR_OBO_TOKEN_REQUEST_FAILED");
      assert.equal(error.message, "Entra returned no access token.");
      assert.equal(error.leg, "app-only");
      assert.equal(error.correlationId, "c-2");
      assert.deepEqual(h.counted, ["app-only"], "not retried");
    });
  }

  it("retries a 503 with the same correlation id, logs why, and counts every attempt", async () => {
    const h = harness();
    const { send, calls } = sendVia([
      () => Promise.resolve({ status: 503, headers: { "Retry-After": "0" } }),
      () => Promise.reject(new Error("connection reset")),
      ok,
    ]);
    const fetched = await requestToken(h.context, {
      leg: "obo",
      what: "a token",
      client: h.client,
      correlationId: "c-3",
      send,
    });
    assert.equal(fetched.accessToken, "token-c-3");
    assert.equal(calls(), 3);
    assert.equal(h.cleared(), 2, "after each failed attempt");
    assert.deepEqual(h.counted, ["obo", "obo", "obo"]);
    assert.deepEqual(
      h.outcomes.map((o) => o.outcome),
      ["retried", "retried", "success"],
    );
    assert.deepEqual(h.lines, [
      "info graph-obo-auth: requesting a token (correlationId=c-3)",
      "warn graph-obo-auth: a token failed transiently (HTTP 503); retrying in 0 ms (leg=obo, correlationId=c-3)",
      "info graph-obo-auth: requesting a token (correlationId=c-3, retry 1)",
      "warn graph-obo-auth: a token failed transiently (network error); retrying in 0 ms (leg=obo, correlationId=c-3)",
      "info graph-obo-auth: requesting a token (correlationId=c-3, retry 2)",
    ]);
  });

  it("fails at once on Entra's final word, and logs the code, the error and the status", async () => {
    const h = harness();
    const { send } = sendVia([() => Promise.resolve({ status: 400 })]);
    const error = await requestToken(h.context, {
      leg: "obo",
      what: "a token",
      client: h.client,
      correlationId: "c-4",
      gate: "g",
      send,
    }).then(
      () => assert.fail("resolved"),
      (e: unknown) => e as OnBehalfOfError,
    );
    assert.equal(error.status, 400);
    assert.deepEqual(
      h.outcomes.map((o) => o.outcome),
      ["failure"],
    );
    assert.equal(
      h.lines.at(-1),
      `warn graph-obo-auth: a token failed: ${error.code} invalid_grant HTTP 400 (leg=obo, correlationId=c-4)`,
    );
    assert.equal(h.gates.remaining("g", Date.now()), 0, "a 400 closes no gate");
  });

  it("closes an app-wide leg's gate on 429 or 503 with Retry-After, and opens it on success", async () => {
    for (const status of [429, 503]) {
      const h = harness({ maxRetries: 0 });
      const { send } = sendVia([
        () => Promise.resolve({ status, headers: { "retry-after": "30" } }),
      ]);
      await assert.rejects(
        requestToken(h.context, {
          leg: "exchange-token",
          what: "T1",
          client: h.client,
          correlationId: "c",
          gate: "g",
          send,
        }),
      );
      const left = h.gates.remaining("g", Date.now());
      assert.ok(left > 29_000 && left <= 30_000, `${status}: closed for Retry-After (${left})`);
      assert.equal(h.gates.remaining("other", Date.now()), 0);
    }
    for (const [status, headers] of [
      [500, { "retry-after": "30" }],
      [429, {}],
    ] as const) {
      const h = harness({ maxRetries: 0 });
      const { send } = sendVia([() => Promise.resolve({ status, headers })]);
      await assert.rejects(
        requestToken(h.context, {
          leg: "exchange-token",
          what: "T1",
          client: h.client,
          correlationId: "c",
          gate: "g",
          send,
        }),
      );
      assert.equal(h.gates.remaining("g", Date.now()), 0, `${status} without both: no gate`);
    }
    const h = harness();
    h.gates.close("g", 1, Date.now() - 10);
    h.gates.close("g2", 60_000, Date.now());
    const { send } = sendVia([ok]);
    await requestToken(h.context, {
      leg: "exchange-token",
      what: "T1",
      client: h.client,
      correlationId: "c",
      gate: "g2",
      send: () => Promise.reject(new Error("never")),
    }).catch(() => undefined);
    await requestToken(h.context, {
      leg: "exchange-token",
      what: "T1",
      client: h.client,
      correlationId: "c",
      gate: "g",
      send,
    });
    assert.equal(h.gates.remaining("g", Date.now()), 0);
  });

  it("a user leg (no gate) never closes or waits for a gate", async () => {
    const h = harness({ maxRetries: 0 });
    h.gates.close("g", 60_000, Date.now());
    const { send } = sendVia([
      () => Promise.resolve({ status: 429, headers: { "retry-after": "1" } }),
    ]);
    await assert.rejects(
      requestToken(h.context, {
        leg: "obo",
        what: "a token",
        client: h.client,
        correlationId: "c",
        send,
      }),
    );
    const { send: send2 } = sendVia([ok]);
    await requestToken(h.context, {
      leg: "obo",
      what: "a token",
      client: h.client,
      correlationId: "c",
      send: send2,
    });
    assert.ok(h.gates.remaining("g", Date.now()) > 50_000, "the app-wide gate is untouched");
  });

  it("refuses at once, unsent, a leg whose gate is closed for longer than maxRetryAfterMs", async () => {
    const h = harness({ maxRetryAfterMs: 1000 });
    h.gates.close("g", 1500, Date.now());
    let sent = 0;
    const error = await requestToken(h.context, {
      leg: "exchange-token",
      what: "the exchange token",
      client: h.client,
      correlationId: "c",
      gate: "g",
      send: () => {
        sent++;
        return Promise.resolve(null);
      },
    }).then(
      () => assert.fail("resolved"),
      (e: unknown) => e as OnBehalfOfError,
    );
    assert.equal(sent, 0);
    assert.equal(error.code, "ERR_OBO_TOKEN_REQUEST_FAILED");
    assert.equal(error.status, 429);
    assert.equal(error.leg, "exchange-token");
    assert.ok(
      error.retryAfterMs !== undefined && error.retryAfterMs > 1000 && error.retryAfterMs <= 1500,
    );
    assert.equal(
      error.message,
      "Entra asked to wait 2 s (Retry-After) before the exchange token is requested again; it was not sent.",
    );
  });

  it("waits for a gate closed for no longer than maxRetryAfterMs, then sends", async () => {
    const h = harness();
    h.gates.close("g", 20, Date.now());
    const { send, calls } = sendVia([ok]);
    await requestToken(h.context, {
      leg: "exchange-token",
      what: "T1",
      client: h.client,
      correlationId: "c",
      gate: "g",
      send,
    });
    assert.equal(calls(), 1);
    assert.match(
      h.lines[0] ?? "",
      /^info graph-obo-auth: waiting ([1-9]|1\d|20) ms for T1: Entra asked for it \(Retry-After\)$/,
    );
  });

  it("times out a hung request with ERR_OBO_TIMEOUT naming the leg and correlation id", async () => {
    const h = harness({ timeoutMs: 30 });
    const { send } = sendVia([() => new Promise(() => undefined)]);
    const error = await requestToken(h.context, {
      leg: "obo",
      what: "a token",
      client: h.client,
      correlationId: "c-5",
      send,
    }).then(
      () => assert.fail("resolved"),
      (e: unknown) => e as OnBehalfOfError,
    );
    assert.equal(error.code, "ERR_OBO_TIMEOUT");
    assert.equal(error.message, "The token request (obo) did not complete within 30 ms.");
    assert.equal(error.leg, "obo");
    assert.equal(error.correlationId, "c-5");
    assert.ok(error.cause instanceof DOMException);
    assert.equal(error.cause.name, "TimeoutError");
    assert.equal(error.cause.message, "The token request timed out.");
    assert.deepEqual(
      h.outcomes.map((o) => o.outcome),
      ["timeout"],
    );
    assert.equal(
      h.lines.at(-1),
      "warn graph-obo-auth: a token timed out (leg=obo, correlationId=c-5)",
    );
    assert.equal(h.cleared(), 1);
  });

  it("times out while backing off or waiting for a gate", async () => {
    const backingOff = harness({ timeoutMs: 30, baseDelayMs: 10_000, maxDelayMs: 10_000 });
    const { send } = sendVia([
      () => Promise.resolve({ status: 503, headers: { "retry-after": "5" } }),
    ]);
    const slept = await requestToken(backingOff.context, {
      leg: "obo",
      what: "a token",
      client: backingOff.client,
      correlationId: "c-6",
      send,
    }).then(
      () => assert.fail("resolved"),
      (e: unknown) => e as OnBehalfOfError,
    );
    assert.equal(slept.code, "ERR_OBO_TIMEOUT");
    assert.equal(slept.correlationId, "c-6");

    const gated = harness({ timeoutMs: 30 });
    gated.gates.close("g", 4000, Date.now());
    const waited = await requestToken(gated.context, {
      leg: "exchange-token",
      what: "T1",
      client: gated.client,
      correlationId: "c-7",
      gate: "g",
      send: () => Promise.resolve(null),
    }).then(
      () => assert.fail("resolved"),
      (e: unknown) => e as OnBehalfOfError,
    );
    assert.equal(waited.code, "ERR_OBO_TIMEOUT");
    assert.equal(waited.leg, "exchange-token");
    assert.equal(waited.correlationId, undefined, "nothing was sent yet");
    assert.equal(
      waited.message,
      "The token request (exchange-token) did not complete within 30 ms.",
    );
  });

  it("opens a gate that another request closed meanwhile once its own request succeeds; an open gate is not waited for", async () => {
    const h = harness();
    const fetched = await requestToken(h.context, {
      leg: "exchange-token",
      what: "T1",
      client: h.client,
      correlationId: "c",
      gate: "g",
      send: () => {
        h.gates.close("g", 60_000, Date.now()); // another request of the leg got a 429
        return Promise.resolve({ accessToken: "t", expiresOn: null } as AuthenticationResult);
      },
    });
    assert.equal(fetched.accessToken, "t");
    assert.equal(h.gates.remaining("g", Date.now()), 0, "Entra answered: the leg is open");
    assert.ok(!h.lines.some((line) => line.includes("waiting")), "nothing was waited for");
  });

  it("logs a final failure without a status or an Entra error code as just its code", async () => {
    const h = harness();
    const error = await requestToken(h.context, {
      leg: "obo",
      what: "a token",
      client: h.client,
      correlationId: "c-8",
      send: () => Promise.reject(new Error("MSAL broke")),
    }).then(
      () => assert.fail("resolved"),
      (e: unknown) => e as OnBehalfOfError,
    );
    assert.equal(
      h.lines.at(-1),
      `warn graph-obo-auth: a token failed: ${error.code}  (leg=obo, correlationId=c-8)`,
    );
  });

  it("waits for a gate closed for exactly maxRetryAfterMs", async () => {
    class FixedGates extends LegGates {
      public override remaining(): number {
        return 20;
      }
    }
    const h = harness({ maxRetryAfterMs: 20 });
    const { send, calls } = sendVia([ok]);
    await requestToken(
      { ...h.context, gates: new FixedGates() },
      { leg: "exchange-token", what: "T1", client: h.client, correlationId: "c", gate: "g", send },
    );
    assert.equal(calls(), 1);
  });

  it("aborts the request on the wire when the deadline fires", async () => {
    const h = harness({ timeoutMs: 30 });
    const signals: AbortSignal[] = [];
    const network = new ObservingNetworkClient({
      sendGetRequestAsync: () => Promise.reject(new Error("unused")),
      sendPostRequestAsync: (_url, options) => {
        const signal = (options as AbortableNetworkRequestOptions | undefined)?.signal;
        if (signal !== undefined) signals.push(signal);
        return new Promise(() => undefined);
      },
    });
    await assert.rejects(
      requestToken(h.context, {
        leg: "obo",
        what: "a token",
        client: h.client,
        correlationId: "c",
        send: async () => {
          await network.sendPostRequestAsync(URL);
          return null;
        },
      }),
      { code: "ERR_OBO_TIMEOUT" },
    );
    assert.equal(signals.length, 1);
    assert.equal(signals[0]?.aborted, true, "the socket is freed");
  });
});
