import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import type { ResponseFacts } from "./msal-errors.js";

function correlationIdOf(url: string): string | undefined {
  const query = url.indexOf("?");
  if (query < 0) return undefined;
  return new URLSearchParams(url.slice(query + 1)).get("client-request-id") ?? undefined;
}

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

/** The default transport, like msal-node's own: global `fetch`, JSON bodies. */
async function fetchRequest<T>(
  method: "GET" | "POST",
  url: string,
  options: NetworkRequestOptions | undefined,
  signal: AbortSignal | undefined,
): Promise<NetworkResponse<T>> {
  const init: RequestInit = { method, headers: options?.headers ?? {} };
  if (options?.body !== undefined) init.body = options.body;
  if (signal !== undefined) init.signal = signal;
  const response = await fetch(url, init);
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
 * The network module the provider gives MSAL. It sends requests with the user's network client
 * (`msalSystemOptions.networkClient`) or with `fetch`, and remembers each token response's status
 * and `Retry-After` by correlation id, which MSAL does not report on its On-Behalf-Of errors. It
 * also aborts a request whose caller gave up.
 *
 * @internal
 */
export class ObservingNetworkClient implements INetworkModule {
  readonly #inner: INetworkModule | undefined;
  readonly #observations = new Map<string, ResponseFacts>();
  readonly #signals = new Map<string, AbortSignal>();

  public constructor(inner: INetworkModule | undefined) {
    this.#inner = inner;
  }

  /** Registers the signal that aborts the request with this correlation id. */
  public watch(correlationId: string, signal: AbortSignal | undefined): void {
    if (signal !== undefined) this.#signals.set(correlationId, signal);
  }

  /** Returns, and forgets, what was seen for a correlation id. */
  public take(correlationId: string): ResponseFacts {
    const seen = this.#observations.get(correlationId);
    this.#observations.delete(correlationId);
    this.#signals.delete(correlationId);
    return seen ?? {};
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
    );
  }

  public async sendPostRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    const correlationId = correlationIdOf(url);
    const signal = correlationId === undefined ? undefined : this.#signals.get(correlationId);
    signal?.throwIfAborted();
    let response: NetworkResponse<T>;
    try {
      response =
        this.#inner === undefined
          ? await fetchRequest<T>("POST", url, options, signal)
          : await this.#inner.sendPostRequestAsync<T>(url, options);
    } catch (error) {
      if (correlationId !== undefined && signal?.aborted !== true) {
        this.#observations.set(correlationId, { networkFailure: true });
      }
      throw error;
    }
    if (correlationId !== undefined) {
      this.#observations.set(correlationId, {
        status: response.status,
        retryAfterMs: parseRetryAfter(headerOf(response.headers, "retry-after"), Date.now()),
      });
    }
    return response;
  }
}
