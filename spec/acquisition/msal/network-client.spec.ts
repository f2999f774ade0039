import assert from "node:assert/strict";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import nock from "nock";
import {
  ObservingNetworkClient,
  observeAttempt,
  parseRetryAfter,
  type AbortableNetworkRequestOptions,
  type Attempt,
} from "../../../lib/acquisition/msal/network-client.js";

const URL_OF = (id: string): string =>
  `https://login.microsoftonline.com/t/oauth2/v2.0/token?client-request-id=${id}`;

/** A user network client whose POSTs wait until released or aborted through `options.signal`. */
class HangingClient implements INetworkModule {
  readonly signals: AbortSignal[] = [];
  readonly pending: ((status: number) => void)[] = [];
  readonly failures: (() => void)[] = [];
  sendGetRequestAsync<T>(): Promise<NetworkResponse<T>> {
    return Promise.reject(new Error("unused"));
  }
  sendPostRequestAsync<T>(
    _url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    const signal = (options as AbortableNetworkRequestOptions | undefined)?.signal;
    if (signal !== undefined) this.signals.push(signal);
    return new Promise((resolve, reject) => {
      signal?.addEventListener("abort", () => {
        reject(new Error("aborted"));
      });
      this.pending.push((status) => {
        resolve({ status, headers: status === 503 ? { "retry-after": "1" } : {}, body: {} as T });
      });
      this.failures.push(() => {
        reject(new Error("connection reset"));
      });
    });
  }
}

describe("ObservingNetworkClient", () => {
  it("hands the request's abort signal to a user network client, which can free the socket", async () => {
    const inner = new HangingClient();
    const client = new ObservingNetworkClient(inner);
    const controller = new AbortController();
    const attempt: Attempt = { signal: controller.signal, facts: undefined };
    const sent = observeAttempt(attempt, () =>
      client.sendPostRequestAsync(URL_OF("a"), { body: "x" }),
    );
    controller.abort();
    await assert.rejects(sent, /aborted/);
    assert.equal(inner.signals.length, 1);
    assert.equal(inner.signals[0]?.aborted, true);
    assert.equal(attempt.facts, undefined, "an aborted request is not a network failure");
  });

  it("never mixes up concurrent attempts, even with one correlation id", async () => {
    const inner = new HangingClient();
    const client = new ObservingNetworkClient(inner);
    const attempts: Attempt[] = Array.from({ length: 24 }, () => ({
      signal: undefined,
      facts: undefined,
    }));
    const sent = attempts.map((attempt) =>
      observeAttempt(attempt, () => client.sendPostRequestAsync(URL_OF("same-id"))),
    );
    inner.pending.forEach((release, i) => {
      release(i % 2 === 0 ? 503 : 200);
    });
    await Promise.all(sent);
    attempts.forEach((attempt, i) => {
      assert.equal(attempt.facts?.status, i % 2 === 0 ? 503 : 200);
    });
  });

  it("records status and Retry-After on the attempt, and a network failure as such", async () => {
    const inner = new HangingClient();
    const client = new ObservingNetworkClient(inner);
    const attempt: Attempt = { signal: undefined, facts: undefined };
    const sent = observeAttempt(attempt, () => client.sendPostRequestAsync(URL_OF("r")));
    inner.pending[0]?.(503);
    await sent;
    assert.deepEqual(attempt.facts, { status: 503, retryAfterMs: 1000 });
    const failing: Attempt = { signal: undefined, facts: undefined };
    const lost = observeAttempt(failing, () => client.sendPostRequestAsync(URL_OF("r")));
    inner.failures[1]?.();
    await assert.rejects(lost);
    assert.deepEqual(failing.facts, { networkFailure: true });
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds or an HTTP date, never a negative wait, and ignores anything else", () => {
    const now = Date.parse("2026-11-22T10:00:00Z");
    assert.equal(parseRetryAfter("2", now), 2000);
    assert.equal(parseRetryAfter(" 0 ", now), 0);
    assert.equal(parseRetryAfter("-5", now), 0);
    assert.equal(parseRetryAfter("Sun, 22 Nov 2026 10:00:30 GMT", now), 30_000);
    assert.equal(parseRetryAfter("Sun, 22 Nov 2026 09:59:00 GMT", now), 0);
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter("", now), undefined);
    assert.equal(parseRetryAfter("   ", now), undefined, "blank is not 0 seconds");
    assert.equal(parseRetryAfter("soon", now), undefined);
  });
});

describe("ObservingNetworkClient: the default transport (fetch)", () => {
  const TOKEN_URL = "https://login.microsoftonline.com/t/oauth2/v2.0/token";

  it("POSTs the body with MSAL's headers, and reads status, headers and the JSON answer", async () => {
    let seen: { body: unknown; type: unknown } | undefined;
    nock("https://login.microsoftonline.com")
      .post("/t/oauth2/v2.0/token")
      .reply(function (_uri, body) {
        seen = { body, type: this.req.headers["content-type"] };
        return [400, { error: "invalid_grant" }, { "Retry-After": "3", "X-Ms-Request-Id": "r" }];
      });
    const attempt: Attempt = { signal: new AbortController().signal, facts: undefined };
    const response = await observeAttempt(attempt, () =>
      new ObservingNetworkClient(undefined).sendPostRequestAsync<{ error: string }>(TOKEN_URL, {
        body: "grant_type=x",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      }),
    );
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { error: "invalid_grant" });
    assert.equal(response.headers["x-ms-request-id"], "r");
    assert.deepEqual(seen, { body: "grant_type=x", type: "application/x-www-form-urlencoded" });
    assert.deepEqual(attempt.facts, { status: 400, retryAfterMs: 3000 });
  });

  it("answers an empty or non-JSON body as {}", async () => {
    nock("https://login.microsoftonline.com").post("/t/oauth2/v2.0/token").reply(502, "");
    nock("https://login.microsoftonline.com")
      .post("/t/oauth2/v2.0/token")
      .reply(502, "<html>Bad gateway</html>");
    const client = new ObservingNetworkClient(undefined);
    for (let i = 0; i < 2; i++) {
      const response = await client.sendPostRequestAsync(TOKEN_URL);
      assert.equal(response.status, 502);
      assert.deepEqual(response.body, {});
    }
  });

  it("aborts the fetch when the attempt's deadline fires, and records no network failure", async () => {
    nock("https://login.microsoftonline.com")
      .post("/t/oauth2/v2.0/token")
      .delay(5000)
      .reply(200, {});
    const controller = new AbortController();
    const attempt: Attempt = { signal: controller.signal, facts: undefined };
    const sent = observeAttempt(attempt, () =>
      new ObservingNetworkClient(undefined).sendPostRequestAsync(TOKEN_URL, { body: "" }),
    );
    setTimeout(() => {
      controller.abort(new Error("deadline"));
    }, 20);
    await assert.rejects(sent);
    assert.equal(attempt.facts, undefined);
  });

  it("refuses at once, unsent, an attempt whose deadline has already fired", async () => {
    const controller = new AbortController();
    controller.abort(new Error("deadline"));
    const inner = new HangingClient();
    const attempt: Attempt = { signal: controller.signal, facts: undefined };
    await assert.rejects(
      observeAttempt(attempt, () =>
        new ObservingNetworkClient(inner).sendPostRequestAsync(TOKEN_URL),
      ),
      /deadline/,
    );
    assert.equal(inner.signals.length, 0);
  });

  it("records a network failure outside a deadline, and nothing without an attempt", async () => {
    nock("https://login.microsoftonline.com")
      .post("/t/oauth2/v2.0/token")
      .replyWithError("connect ECONNREFUSED");
    const attempt: Attempt = { signal: undefined, facts: undefined };
    await assert.rejects(
      observeAttempt(attempt, () =>
        new ObservingNetworkClient(undefined).sendPostRequestAsync(TOKEN_URL),
      ),
    );
    assert.deepEqual(attempt.facts, { networkFailure: true });
    nock("https://login.microsoftonline.com").post("/t/oauth2/v2.0/token").reply(200, {});
    const response = await new ObservingNetworkClient(undefined).sendPostRequestAsync(TOKEN_URL);
    assert.equal(response.status, 200);
  });

  it("passes options to a user network client as they are when there is no attempt", async () => {
    const seen: unknown[] = [];
    const inner: INetworkModule = {
      sendGetRequestAsync: <T>(
        url: string,
        options?: NetworkRequestOptions,
        timeout?: number,
      ): Promise<NetworkResponse<T>> => {
        seen.push({ url, options, timeout });
        return Promise.resolve({ status: 200, headers: {}, body: {} as T });
      },
      sendPostRequestAsync: <T>(
        url: string,
        options?: NetworkRequestOptions,
      ): Promise<NetworkResponse<T>> => {
        seen.push({ url, options });
        return Promise.resolve({ status: 200, headers: {}, body: {} as T });
      },
    };
    const client = new ObservingNetworkClient(inner);
    await client.sendPostRequestAsync(TOKEN_URL, { body: "b" });
    await client.sendPostRequestAsync(TOKEN_URL);
    await client.sendGetRequestAsync("https://login.microsoftonline.com/x", { headers: {} }, 100);
    assert.deepEqual(seen, [
      { url: TOKEN_URL, options: { body: "b" } },
      { url: TOKEN_URL, options: {} },
      { url: "https://login.microsoftonline.com/x", options: { headers: {} }, timeout: 100 },
    ]);
  });

  it("GETs with fetch, bounded by MSAL's timeout", async () => {
    nock("https://login.microsoftonline.com")
      .get("/common/discovery/instance")
      .reply(200, { tenant_discovery_endpoint: "x" });
    nock("https://login.microsoftonline.com").get("/slow").delay(5000).reply(200, {});
    const client = new ObservingNetworkClient(undefined);
    const response = await client.sendGetRequestAsync<{ tenant_discovery_endpoint: string }>(
      "https://login.microsoftonline.com/common/discovery/instance",
    );
    assert.equal(response.status, 200);
    assert.equal(response.body.tenant_discovery_endpoint, "x");
    await assert.rejects(
      client.sendGetRequestAsync("https://login.microsoftonline.com/slow", undefined, 20),
      { name: "TimeoutError" },
    );
  });
});
