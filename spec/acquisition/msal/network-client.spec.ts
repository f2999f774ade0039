import assert from "node:assert/strict";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import {
  ObservingNetworkClient,
  observeAttempt,
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
