import { decodeJwt, decodeProtectedHeader, type JWTPayload } from "jose";
import { OnBehalfOfError } from "../util/errors.js";

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
  /** Expiry, in milliseconds since the epoch. */
  readonly expiresAtMs: number;
  /** The caller's tenant (`tid`), lower-cased, when present. */
  readonly tenantId: string | undefined;
  /** The caller's object id (`oid`), lower-cased, when present. */
  readonly objectId: string | undefined;
}

/** What an incoming token must satisfy before it is looked up or exchanged. @internal */
export interface AssertionRules {
  /** Audiences accepted, lower-cased: the client id, `api://<client id>`, and `audiences`. */
  readonly audiences: ReadonlySet<string>;
  /** The largest token accepted, in bytes. */
  readonly maxTokenBytes: number;
  /** Tolerance for `exp` and `nbf`, in milliseconds. */
  readonly clockSkewMs: number;
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

const JWS_COMPACT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

function malformed(problem: string, cause?: unknown): OnBehalfOfError {
  return new OnBehalfOfError(
    "ERR_OBO_USER_ASSERTION_MALFORMED",
    `The user assertion ${problem} Pass the access token the caller sent in its Authorization header.`,
    cause === undefined ? {} : { cause: new Error(describeJoseError(cause)) },
  );
}

/**
 * Refuses an assertion longer than `maxTokenBytes`, before it is hashed or decoded.
 *
 * @internal
 */
export function refuseOversized(assertion: string, maxTokenBytes: number): void {
  if (assertion.length > maxTokenBytes) {
    throw malformed(`is larger than maxTokenBytes (${maxTokenBytes} bytes).`);
  }
}

/** jose's errors may carry the decoded claims (personal data): keep the kind and message only. */
function describeJoseError(cause: unknown): string {
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : "decoding failed";
}

/**
 * Every check of an incoming access token that needs no signing key and no network, so that
 * garbage never costs a cache read or a token request: size, a signed compact JWT, `exp` present
 * and not past, `nbf` not in the future, and an audience of this API (not Microsoft Graph). Entra
 * verifies the signature itself when the token is exchanged.
 *
 * @param assertion - the raw token, already cleaned
 * @param nowMs - the current time
 * @param rules - audiences, size bound and clock skew
 * @throws {@link OnBehalfOfError} `ERR_OBO_USER_ASSERTION_MALFORMED`, `…_EXPIRED` or
 *   `…_WRONG_AUDIENCE`
 * @internal
 */
export function checkUserAssertion(
  assertion: string,
  nowMs: number,
  rules: AssertionRules,
): UserAssertionInfo {
  refuseOversized(assertion, rules.maxTokenBytes);
  if (!JWS_COMPACT.test(assertion)) {
    throw malformed("is not a signed JWT (three base64url segments, the last one the signature).");
  }
  let payload: JWTPayload;
  try {
    const { alg } = decodeProtectedHeader(assertion);
    if (typeof alg !== "string" || alg.toLowerCase() === "none") {
      throw malformed('is not signed (its header says alg "none").');
    }
    payload = decodeJwt(assertion);
  } catch (cause) {
    if (cause instanceof OnBehalfOfError) throw cause;
    throw malformed("is not a decodable JWT.", cause);
  }
  if (typeof payload.exp !== "number" || !Number.isFinite(payload.exp)) {
    throw malformed("has no expiry (exp claim).");
  }
  const expiresAtMs = payload.exp * 1000;
  if (nowMs > expiresAtMs + rules.clockSkewMs) {
    throw new OnBehalfOfError(
      "ERR_OBO_USER_ASSERTION_EXPIRED",
      "The user assertion has expired. The client must send a fresh access token for this API.",
    );
  }
  if (typeof payload.nbf === "number" && payload.nbf * 1000 > nowMs + rules.clockSkewMs) {
    throw malformed("is not valid yet (its nbf claim lies in the future beyond clockSkewMs).");
  }
  checkAudience(payload.aud, rules.audiences);
  return {
    expiresAtMs,
    tenantId: lowerCasedClaim(payload.tid),
    objectId: lowerCasedClaim(payload.oid),
  };
}

function lowerCasedClaim(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value.toLowerCase() : undefined;
}

function checkAudience(aud: unknown, accepted: ReadonlySet<string>): void {
  const audiences = (Array.isArray(aud) ? aud : [aud]).filter(
    (value): value is string => typeof value === "string",
  );
  if (audiences.some((audience) => accepted.has(audience.toLowerCase()))) return;
  if (audiences.some(isGraphAudience)) {
    throw new OnBehalfOfError(
      "ERR_OBO_USER_ASSERTION_WRONG_AUDIENCE",
      "The user assertion is a Microsoft Graph token, not a token for this API. The client must request a token " +
        'for this API (scope "api://<this API\'s client id>/<scope>", for example "api://<client id>/access_as_user") ' +
        "and send that; this API then exchanges it for a Graph token.",
    );
  }
  throw new OnBehalfOfError(
    "ERR_OBO_USER_ASSERTION_WRONG_AUDIENCE",
    `The user assertion is not a token for this API: its audience must be one of ${[...accepted].join(", ")}. ` +
      'For a custom App ID URI, add it to the "audiences" option.',
  );
}
