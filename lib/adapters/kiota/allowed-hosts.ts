import { configurationError } from "../../util/errors.js";

/**
 * The Microsoft Graph hosts of every cloud: global, US Government L4 and L5 (DoD), Germany,
 * China (21Vianet) and canary. The default `allowedHosts` of the Kiota provider.
 */
export const GRAPH_HOSTS: readonly string[] = Object.freeze([
  "graph.microsoft.com",
  "graph.microsoft.us",
  "dod-graph.microsoft.us",
  "graph.microsoft.de",
  "microsoftgraph.chinacloudapi.cn",
  // The French and German sovereign clouds' Graph (see lib/options/authority.ts).
  "graph.svc.sovcloud.fr",
  "graph.svc.sovcloud.de",
  "canary.graph.microsoft.com",
]);

/** Hosts that may be called over plain `http`: the local machine only. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Validates an `allowedHosts` option: host names only (no scheme, port or path), at least one.
 * Returns them lower-cased.
 *
 * @param hosts - the option as given
 * @internal
 */
export function normalizeAllowedHosts(
  hosts: ReadonlySet<string> | readonly string[] | undefined,
): ReadonlySet<string> {
  if (hosts === undefined) return new Set(GRAPH_HOSTS);
  const candidate: unknown = hosts;
  if (
    typeof candidate === "string" ||
    typeof (candidate as Partial<Iterable<unknown>> | null)?.[Symbol.iterator] !== "function"
  ) {
    throw configurationError(
      "allowedHosts",
      'must be a list of host names, e.g. ["graph.microsoft.com"].',
    );
  }
  const normalized = new Set<string>();
  for (const host of hosts) {
    if (typeof host !== "string" || !isHostName(host)) {
      throw configurationError(
        "allowedHosts",
        `must contain host names only, without scheme, port or path: "graph.microsoft.com", not "https://graph.microsoft.com:443/".`,
      );
    }
    normalized.add(host.toLowerCase());
  }
  if (normalized.size === 0) {
    throw configurationError(
      "allowedHosts",
      "must name at least one host: a token is never sent to every host.",
    );
  }
  return normalized;
}

function isHostName(host: string): boolean {
  if (host === "" || /[\s/\\@?#]/.test(host)) return false;
  try {
    const url = new URL(`https://${host}`);
    return url.hostname === host.toLowerCase() && url.port === "";
  } catch {
    return false;
  }
}

/** Where a request goes, as far as the token decision is concerned. @internal */
export type RequestTarget =
  | { readonly allowed: false }
  | { readonly allowed: true; readonly secure: boolean; readonly host: string };

/**
 * Decides whether a request URL may get a token: its host must be in `allowedHosts` (URLs with
 * user info never match), and it must be `https` unless it goes to the local machine.
 *
 * @param url - the request's URL
 * @param allowedHosts - the normalized allowed hosts
 * @internal
 */
export function requestTarget(url: string, allowedHosts: ReadonlySet<string>): RequestTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { allowed: false };
  }
  const host = parsed.hostname.toLowerCase();
  if (parsed.username !== "" || parsed.password !== "" || !allowedHosts.has(host)) {
    return { allowed: false };
  }
  const secure =
    parsed.protocol === "https:" || (parsed.protocol === "http:" && LOOPBACK_HOSTS.has(host));
  return { allowed: true, secure, host };
}
