import { AsyncLocalStorage } from "node:async_hooks";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import type { ResponseFacts } from "./msal-errors.js";
import type { ProxyRoute } from "./proxy.js";

/**
 * Parses `Retry-After` (seconds or an HTTP date) into milliseconds.
 *
 * @internal
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) return headers[key];
  }
  return undefined;
}

/** The `refresh_token` of a token response's body, if it has one. */
function refreshTokenOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const value = (body as { refresh_token?: unknown }).refresh_token;
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The default transport, like msal-node's own: `fetch`, JSON bodies; through a proxy if one is set. */
async function fetchRequest<T>(
  method: "GET" | "POST",
  url: string,
  options: NetworkRequestOptions | undefined,
  signal: AbortSignal | undefined,
  proxy: ProxyRoute | undefined,
): Promise<NetworkResponse<T>> {
  const init: RequestInit = { method, headers: options?.headers ?? {} };
  if (options?.body !== undefined) init.body = options.body;
  if (signal !== undefined) init.signal = signal;
  const response = proxy === undefined ? await fetch(url, init) : await proxy.fetch(url, init);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const text = await response.text();
  let body: unknown = {};
  if (text !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      // Entra answers JSON; a proxy or load balancer may not. MSAL maps an empty body by status.
      body = {};
    }
  }
  return { headers, body: body as T, status: response.status };
}

/**
 * What MSAL's `NetworkRequestOptions` carry, plus the request's `signal`: a network client given
 * as `msalSystemOptions.networkClient` receives it and should abort the request when it fires.
 */
export interface AbortableNetworkRequestOptions extends NetworkRequestOptions {
  /** Fires when the provider gives up on the request (time-out); free its socket then. */
  readonly signal?: AbortSignal;
}

/**
 * One attempt of a token request: what aborts it, and what its answer said. The network client
 * finds it in the async context of the MSAL call (see {@link observeAttempt}), so that concurrent
 * attempts never mix, even when they share a correlation id.
 *
 * @internal
 */
export interface Attempt {
  readonly signal: AbortSignal | undefined;
  facts: ResponseFacts | undefined;
  /**
   * Set for a long-running session's request: the answer's `refresh_token` is then kept in
   * `refreshToken`, read from this very answer (msal-node does not return it, and its store is
   * shared by concurrent requests).
   */
  readonly keepRefreshToken?: boolean;
  refreshToken?: string | undefined;
}

const attempts = new AsyncLocalStorage<Attempt>();

/**
 * Runs `send` (an MSAL call) with `attempt` as the attempt its token request belongs to; the
 * network client records the answer's status and `Retry-After` on it.
 *
 * @internal
 */
export function observeAttempt<T>(attempt: Attempt, send: () => T): T {
  return attempts.run(attempt, send);
}

/**
 * The network module the provider gives MSAL. It sends requests with the user's network client
 * (`msalSystemOptions.networkClient`) or with `fetch` (through the configured proxy), and records
 * each token response's status and `Retry-After` on its {@link Attempt}, which MSAL does not
 * report on its On-Behalf-Of errors. It aborts a request whose caller gave up, and hands the
 * abort signal to the user's network client as `options.signal`.
 *
 * @remarks
 * The attempt lives only as long as its request: an answer that arrives after its request was
 * given up leaves nothing behind.
 *
 * @internal
 */
export class ObservingNetworkClient implements INetworkModule {
  readonly #inner: INetworkModule | undefined;
  readonly #proxy: ProxyRoute | undefined;

  /**
   * @param inner - the user's network client, if any
   * @param proxy - where requests go when there is no user network client
   */
  public constructor(inner: INetworkModule | undefined, proxy?: ProxyRoute) {
    this.#inner = inner;
    this.#proxy = proxy;
  }

  public async sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    if (this.#inner !== undefined) return this.#inner.sendGetRequestAsync<T>(url, options, timeout);
    return fetchRequest<T>(
      "GET",
      url,
      options,
      timeout === undefined ? undefined : AbortSignal.timeout(timeout),
      this.#proxy,
    );
  }

  public async sendPostRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    const attempt = attempts.getStore();
    const signal = attempt?.signal;
    signal?.throwIfAborted();
    let response: NetworkResponse<T>;
    try {
      if (this.#inner === undefined) {
        response = await fetchRequest<T>("POST", url, options, signal, this.#proxy);
      } else {
        const withSignal: AbortableNetworkRequestOptions =
          signal === undefined ? (options ?? {}) : { ...options, signal };
        response = await this.#inner.sendPostRequestAsync<T>(url, withSignal);
      }
    } catch (error) {
      if (attempt !== undefined && signal?.aborted !== true)
        attempt.facts = { networkFailure: true };
      throw error;
    }
    if (attempt !== undefined) {
      attempt.facts = {
        status: response.status,
        retryAfterMs: parseRetryAfter(headerOf(response.headers, "retry-after"), Date.now()),
      };
      if (attempt.keepRefreshToken === true) attempt.refreshToken = refreshTokenOf(response.body);
    }
    return response;
  }
}
