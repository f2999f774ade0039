import { Agent, request } from "node:https";
import {
  ClientAuthError,
  ClientAuthErrorCodes,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from "@azure/msal-node";

/**
 * An msal-node network client that talks only to the emulator and trusts only the emulator's CA,
 * over a keep-alive `node:https` agent. Nothing global changes: no `NODE_TLS_REJECT_UNAUTHORIZED`,
 * no global agent, no global CA.
 *
 * @remarks
 * Requests to any other origin fail at once with a `network_error`, so a test can never leak a
 * discovery request to the real Entra.
 */
export class EmulatorNetworkClient implements INetworkModule {
  readonly #origin: string;
  readonly #agent: Agent;

  /**
   * @param origin - the emulator's origin (`https://localhost:<port>`)
   * @param caPem - the emulator's CA certificate
   */
  public constructor(origin: string, caPem: string) {
    this.#origin = origin;
    this.#agent = new Agent({ keepAlive: true, ca: caPem, maxSockets: 16 });
  }

  /**
   * Sends a GET request (OpenID discovery).
   *
   * @param url - the URL
   * @param options - headers
   * @param timeout - milliseconds before giving up
   */
  public sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.#send<T>("GET", url, options, timeout);
  }

  /**
   * Sends a POST request (token requests).
   *
   * @param url - the URL
   * @param options - headers and form body
   */
  public sendPostRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    return this.#send<T>("POST", url, options);
  }

  /** Closes idle connections. */
  public destroy(): void {
    this.#agent.destroy();
  }

  #send<T>(
    method: "GET" | "POST",
    url: string,
    options: NetworkRequestOptions | undefined,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    const target = new URL(url);
    if (target.origin !== this.#origin) {
      return Promise.reject(
        new ClientAuthError(
          ClientAuthErrorCodes.networkError,
          `The emulator's network client only reaches ${this.#origin}; MSAL asked for ${target.origin}.`,
        ),
      );
    }
    const body = method === "POST" ? (options?.body ?? "") : undefined;
    // graph-obo-auth hands its abort signal over as `options.signal`: a request it gave up on
    // frees its socket at once, so that hung requests never starve other users of connections.
    const signal = (options as { readonly signal?: AbortSignal } | undefined)?.signal;
    return new Promise((resolve, reject) => {
      const req = request(
        target,
        {
          method,
          agent: this.#agent,
          headers: {
            ...(options?.headers ?? {}),
            ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }),
          },
          ...(timeout === undefined ? {} : { timeout }),
          ...(signal === undefined ? {} : { signal }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (error) => {
            reject(networkError(error));
          });
          res.on("end", () => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined)
                headers[name] = Array.isArray(value) ? value.join(", ") : value;
            }
            let parsed: unknown;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {
              reject(
                new ClientAuthError(
                  ClientAuthErrorCodes.tokenParsingError,
                  "Failed to parse the emulator's response.",
                ),
              );
              return;
            }
            resolve({ headers, body: parsed as T, status: res.statusCode ?? 0 });
          });
        },
      );
      req.on("timeout", () => {
        req.destroy(new Error("Request timeout"));
      });
      req.on("error", (error) => {
        reject(networkError(error));
      });
      req.end(body);
    });
  }
}

function networkError(error: Error): ClientAuthError {
  return new ClientAuthError(
    ClientAuthErrorCodes.networkError,
    `Network request failed: ${error.message}`,
  );
}
