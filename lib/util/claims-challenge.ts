import { resolveAuthority } from "../options/authority.js";
import { OnBehalfOfError, isOnBehalfOfError } from "./errors.js";

/** The HTTP answer a web API sends its client when the user must sign in again. */
export interface ClaimsChallengeResponse {
  /** Always 401. */
  readonly status: 401;
  /** The `WWW-Authenticate` header, in the claims-challenge format client-side MSALs parse. */
  readonly headers: {
    /** `Bearer realm="", authorization_uri="…", error="insufficient_claims", claims="<base64>"`. */
    readonly "WWW-Authenticate": string;
  };
  /** A JSON body for humans and logs; it contains no token. */
  readonly body: {
    /** `insufficient_claims` when there are claims to satisfy, else `interaction_required`. */
    readonly error: "insufficient_claims" | "interaction_required";
    /** What the client must do, in words. */
    readonly error_description: string;
    /** Entra's AADSTS number, for support. */
    readonly aadsts?: number;
    /** The correlation id of the refused token request, for support. */
    readonly correlation_id?: string;
  };
}

/**
 * Where the client is sent to sign in: the same `tenantId` / `authority` as the provider's, so the
 * challenge's `authorization_uri` names the provider's cloud and tenant.
 */
export interface ClaimsChallengeOptions {
  /** The provider's `tenantId`: a tenant id, a domain, or `organizations`/`common`. */
  readonly tenantId?: string | undefined;
  /**
   * The provider's `authority`, which selects the cloud, for example
   * `https://login.microsoftonline.us/<tenant>`.
   */
  readonly authority?: string | undefined;
}

/**
 * The challenge's `authorization_uri`: `<cloud>/<tenant>/oauth2/authorize`, the shape Microsoft
 * Graph sends in its own claims challenges (https://learn.microsoft.com/entra/identity-platform/claims-challenge,
 * "authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\""), with the
 * provider's cloud and tenant instead of the public cloud's `/common`. With no options, the
 * public cloud's `/common`, as before.
 *
 * @internal
 */
export function authorizationUri(options: ClaimsChallengeOptions | undefined): string {
  if (options === undefined || (options.tenantId === undefined && options.authority === undefined))
    return "https://login.microsoftonline.com/common/oauth2/authorize";
  const authority = resolveAuthority(options.tenantId, options.authority, {
    subject: "ClaimsChallengeOptions",
  });
  return `${authority.origin}/${authority.tenant}/oauth2/authorize`;
}

function quoted(value: string): string {
  return value.replace(/[\\"]/g, "").replace(/[\r\n]+/g, " ");
}

/**
 * Turns an `ERR_OBO_INTERACTION_REQUIRED` error into the `401` answer a web API sends its own
 * client, with the header
 * `WWW-Authenticate: Bearer realm="", authorization_uri="…", error="insufficient_claims", claims="<base64>"`.
 * The client's MSAL passes those claims to an interactive sign-in and then
 * calls the API again with the new token.
 *
 * @remarks
 * The client must not retry with its cached token: it needs a new one, acquired with the claims.
 * When Entra sent no claims (for example consent is missing), the header carries
 * `error="interaction_required"` and the client must sign the user in interactively.
 *
 * The header's `authorization_uri` is built from `options`, the provider's `tenantId` and
 * `authority`: pass them (any other provider option is ignored) so that a US Government or
 * single-tenant API does not point its clients at the public cloud's `/common`. A bad `tenantId`
 * or `authority` throws `ERR_OBO_CONFIGURATION`.
 *
 * @param error - anything caught; only interaction-required errors produce a challenge
 * @param options - the provider's `tenantId` and/or `authority`
 * @returns the response to send, or `undefined` when `error` is not an interaction-required error
 *
 * @example
 * ```ts
 * const challenge = claimsChallengeResponse(error, providerOptions);
 * if (challenge) return res.status(challenge.status).set(challenge.headers).json(challenge.body);
 * ```
 */
export function claimsChallengeResponse(
  error: unknown,
  options?: ClaimsChallengeOptions,
): ClaimsChallengeResponse | undefined {
  const uri = authorizationUri(options);
  if (!isOnBehalfOfError(error, "ERR_OBO_INTERACTION_REQUIRED")) return undefined;
  const details = {
    ...(error.aadsts === undefined ? {} : { aadsts: error.aadsts }),
    ...(error.correlationId === undefined ? {} : { correlation_id: error.correlationId }),
  };
  const description =
    "The user must sign in again to satisfy Conditional Access, multi-factor authentication or consent.";
  if (error.claims !== undefined && error.claims !== "") {
    const claims = Buffer.from(error.claims, "utf8").toString("base64");
    return {
      status: 401,
      headers: {
        "WWW-Authenticate": `Bearer realm="", authorization_uri="${uri}", error="insufficient_claims", claims="${claims}"`,
      },
      body: { error: "insufficient_claims", error_description: description, ...details },
    };
  }
  return {
    status: 401,
    headers: {
      "WWW-Authenticate": `Bearer realm="", authorization_uri="${uri}", error="interaction_required", error_description="${quoted(description)}"`,
    },
    body: { error: "interaction_required", error_description: description, ...details },
  };
}

/**
 * Reads a Bearer `insufficient_claims` challenge from `WWW-Authenticate` header values (as Graph
 * sends for Continuous Access Evaluation) and returns the claims as JSON text, or `undefined` when
 * there is none.
 *
 * @param headerValues - the header's value, or its values when there are several
 */
export function parseClaimsChallenge(
  headerValues: string | readonly string[] | null | undefined,
): string | undefined {
  if (headerValues === null || headerValues === undefined) return undefined;
  const values = typeof headerValues === "string" ? [headerValues] : headerValues;
  for (const value of values) {
    for (const challenge of parseChallenges(value)) {
      if (challenge.scheme !== "bearer") continue;
      const encoded = challenge.params.get("claims");
      if (
        challenge.params.get("error") !== "insufficient_claims" ||
        encoded === undefined ||
        encoded === ""
      )
        continue;
      const json = claimsJson(Buffer.from(encoded, "base64").toString("utf8"));
      if (json !== undefined) return json;
    }
  }
  return undefined;
}

interface Challenge {
  readonly scheme: string;
  readonly params: Map<string, string>;
}

/** Splits a `WWW-Authenticate` value into challenges: a bare word starts one, `name=value` pairs belong to it. */
function parseChallenges(value: string): Challenge[] {
  const challenges: Challenge[] = [];
  let current: Challenge | undefined;
  for (const match of value.matchAll(
    /([\w!#$%&'*+.^`|~-]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?/g,
  )) {
    const name = (match[1] ?? "").toLowerCase();
    const raw = match[2];
    if (raw === undefined) {
      current = { scheme: name, params: new Map() };
      challenges.push(current);
    } else if (current !== undefined) {
      const unquoted = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
      current.params.set(name, unquoted);
    }
  }
  return challenges;
}

/**
 * The error thrown when Graph still answers with a claims challenge after one retry with a token
 * acquired for those claims: the client must sign the user in again.
 *
 * @internal
 */
export function unresolvedChallengeError(claims: string): OnBehalfOfError {
  return new OnBehalfOfError(
    "ERR_OBO_INTERACTION_REQUIRED",
    "Microsoft Graph still demands more claims after a token was acquired for them (Continuous Access Evaluation). " +
      "Send the claims challenge back to the client.",
    { claims },
  );
}

/**
 * `text` when it is the JSON text of a claims request (a JSON object), `undefined` otherwise. The one
 * check of claims, for the `claims` option, Graph's challenges and Kiota's.
 *
 * @internal
 */
export function claimsJson(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? text
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claims as a challenge carries them (base64, as in `WWW-Authenticate` and Kiota's
 * `additionalAuthenticationContext.claims`) or as JSON text, decoded into the JSON text the `claims`
 * option takes; `undefined` when they are not a JSON object.
 *
 * @internal
 */
export function decodeClaims(value: string): string | undefined {
  const text = value.trim();
  if (text === "") return undefined;
  return claimsJson(text.startsWith("{") ? text : Buffer.from(text, "base64").toString("utf8"));
}
