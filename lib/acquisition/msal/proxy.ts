import { EnvHttpProxyAgent, ProxyAgent, fetch as undiciFetch, type Dispatcher } from "undici";
import { configurationError } from "../../util/errors.js";

/** Sends token requests through an HTTP(S) proxy. @internal */
export interface ProxyRoute {
  fetch(url: string, init: RequestInit): Promise<Response>;
}

const PROXY_VARIABLES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] as const;

function routeThrough(dispatcher: Dispatcher): ProxyRoute {
  return {
    fetch: async (url, init) =>
      (await undiciFetch(url, {
        ...(init as Parameters<typeof undiciFetch>[1]),
        dispatcher,
      })) as unknown as Response,
  };
}

/**
 * The proxy token requests go through: `proxyUrl` when given; otherwise `HTTPS_PROXY` /
 * `HTTP_PROXY` (either case) with `NO_PROXY` exceptions, as the Azure SDKs do; otherwise none (then
 * the global `fetch` is used). Requests go through undici's `ProxyAgent` (HTTP CONNECT tunnels).
 *
 * @param proxyUrl - the option's value, not yet checked
 * @param option - the option's name, for errors
 * @param env - the environment (for tests)
 * @throws {@link OnBehalfOfError} `ERR_OBO_CONFIGURATION` for a URL that is not http(s)
 * @internal
 */
export function resolveProxy(
  proxyUrl: unknown,
  option: string,
  env: NodeJS.ProcessEnv = process.env,
): ProxyRoute | undefined {
  if (proxyUrl !== undefined) {
    let url: URL | undefined;
    if (typeof proxyUrl === "string") {
      try {
        url = new URL(proxyUrl);
      } catch {
        url = undefined;
      }
    }
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
      throw configurationError(
        option,
        'must be an http(s) URL, e.g. "http://proxy.contoso.com:8080".',
      );
    }
    return routeThrough(new ProxyAgent(url.href));
  }
  if (!PROXY_VARIABLES.some((name) => (env[name] ?? "") !== "")) return undefined;
  const httpsProxy = env.HTTPS_PROXY ?? env.https_proxy;
  const httpProxy = env.HTTP_PROXY ?? env.http_proxy;
  const noProxy = env.NO_PROXY ?? env.no_proxy;
  return routeThrough(
    new EnvHttpProxyAgent({
      ...(httpsProxy === undefined ? {} : { httpsProxy }),
      ...(httpProxy === undefined ? {} : { httpProxy }),
      ...(noProxy === undefined ? {} : { noProxy }),
    }),
  );
}
