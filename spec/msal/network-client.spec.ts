import assert from "node:assert/strict";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import {
  ObservingNetworkClient,
  type AbortableNetworkRequestOptions,
} from "../../lib/msal/network-client.js";

const URL_OF = (id: string): string =>
  `https://login.microsoftonline.com/t/oauth2/v2.0/token?client-request-id=${id}`;

/** A user network client whose POSTs wait until released or aborted through `options.signal`. */
class HangingClient implements INetworkModule {
  readonly signals: AbortSignal[] = [];
  readonly pending: (() => void)[] = [];
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
      this.pending.push(() => {
        resolve({ status: 503, headers: { "retry-after": "1" }, body: {} as T });
      });
    });
  }
}

describe("ObservingNetworkClient", () => {
  it("hands the request's abort signal to a user network client, which can free the socket", async () => {
    const inner = new HangingClient();
    const client = new ObservingNetworkClient(inner);
    const controller = new AbortController();
    client.watch("a", controller.signal);
    const sent = client.sendPostRequestAsync(URL_OF("a"), { body: "x" });
    controller.abort();
    await assert.rejects(sent, /aborted/);
    assert.equal(inner.signals.length, 1);
    assert.equal(inner.signals[0]?.aborted, true);
    client.take("a");
    assert.equal(client.inFlight, 0);
  });

  it("keeps nothing of an answer that arrives after its request was given up", async () => {
    const inner = new HangingClient();
    const client = new ObservingNetworkClient(inner);
    for (let i = 0; i < 24; i++) client.watch(`late-${i}`, undefined);
    const sent = Array.from({ length: 24 }, (_, i) =>
      client.sendPostRequestAsync(URL_OF(`late-${i}`)),
    );
    for (let i = 0; i < 24; i++) assert.deepEqual(client.take(`late-${i}`), {});
    for (const release of inner.pending) release();
    await Promise.all(sent);
    assert.equal(client.inFlight, 0, "late answers leave no entry behind");
  });

  it("records status and Retry-After of a registered request until taken", async () => {
    const inner = new HangingClient();
    const client = new ObservingNetworkClient(inner);
    client.watch("r", undefined);
    const sent = client.sendPostRequestAsync(URL_OF("r"));
    inner.pending[0]?.();
    await sent;
    assert.deepEqual(client.take("r"), { status: 503, retryAfterMs: 1000 });
    assert.deepEqual(client.take("r"), {});
  });
});
