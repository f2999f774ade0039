import { decodeJwt, type JWTPayload } from "jose";
import { OnBehalfOfError } from "./errors.js";

/** Audiences of Microsoft Graph in every cloud: a token for one of them cannot be exchanged. */
const GRAPH_AUDIENCES = new Set([
  "00000003-0000-0000-c000-000000000000",
  "https://graph.microsoft.com",
  "https://graph.microsoft.us",
  "https://dod-graph.microsoft.us",
  "https://graph.microsoft.de",
  "https://microsoftgraph.chinacloudapi.cn",
  "https://canary.graph.microsoft.com",
]);

/**
 * Whether a token audience is Microsoft Graph (any cloud, with or without a trailing slash).
 *
 * @internal
 */
export function isGraphAudience(audience: string): boolean {
  return GRAPH_AUDIENCES.has(audience.replace(/\/+$/, "").toLowerCase());
}

/** What the provider reads from an incoming access token, without verifying it. @internal */
export interface UserAssertionInfo {
  /** Expiry, in milliseconds since the epoch; `undefined` if the token has no `exp`. */
  readonly expiresAtMs: number | undefined;
  /** The caller's tenant (`tid`), when present. */
  readonly tenantId: string | undefined;
}

/**
 * Strips an optional `Bearer ` prefix and surrounding white space. Returns `undefined` for a
 * missing or empty value.
 *
 * @internal
 */
export function cleanUserAssertion(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new OnBehalfOfError(
      "ERR_OBO_USER_ASSERTION_MALFORMED",
      "The user assertion must be a string: the raw access token the caller sent to this API.",
    );
  }
  let token = value.trim();
  if (/^bearer\s/i.test(token)) token = token.slice(6).trim();
  return token === "" ? undefined : token;
}

/**
 * Decodes the incoming access token and runs the local checks that need no network: it must be a
 * JWT, unexpired (with `clockSkewMs` of tolerance) and not a Microsoft Graph token.
 *
 * @param assertion - the raw token, already cleaned
 * @param nowMs - the current time
 * @param clockSkewMs - tolerance for the expiry check
 * @internal
 */
export function inspectUserAssertion(
  assertion: string,
  nowMs: number,
  clockSkewMs: number,
): UserAssertionInfo {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(assertion);
  } catch (cause) {
    throw new OnBehalfOfError(
      "ERR_OBO_USER_ASSERTION_MALFORMED",
      "The user assertion is not a decodable JWT. Pass the access token the caller sent in its Authorization header.",
      { cause },
    );
  }
  const expiresAtMs = typeof payload.exp === "number" ? payload.exp * 1000 : undefined;
  if (expiresAtMs !== undefined && nowMs > expiresAtMs + clockSkewMs) {
    throw new OnBehalfOfError(
      "ERR_OBO_USER_ASSERTION_EXPIRED",
      "The user assertion has expired. The client must send a fresh access token for this API.",
    );
  }
  const audiences =
    payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (audiences.some(isGraphAudience)) {
    throw new OnBehalfOfError(
      "ERR_OBO_USER_ASSERTION_WRONG_AUDIENCE",
      "The user assertion is a Microsoft Graph token, not a token for this API. The client must request a token " +
        'for this API (scope "api://<this API\'s client id>/<scope>", for example "api://<client id>/access_as_user") ' +
        "and send that; this API then exchanges it for a Graph token.",
    );
  }
  const tid = payload.tid;
  return {
    expiresAtMs,
    tenantId: typeof tid === "string" && tid !== "" ? tid.toLowerCase() : undefined,
  };
}
