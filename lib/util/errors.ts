import { GraphClientError } from "@microsoft/microsoft-graph-client";

/**
 * Every stable error code this package throws. Codes are part of the public API: they are never
 * renamed or removed, only added.
 *
 * @remarks
 * | code | meaning |
 * | --- | --- |
 * | `ERR_OBO_CONFIGURATION` | an option is missing, conflicting or malformed (see {@link OnBehalfOfError.option}) |
 * | `ERR_OBO_USER_ASSERTION_MISSING` | no incoming access token for the current request |
 * | `ERR_OBO_USER_ASSERTION_MALFORMED` | the incoming token is not a decodable JWT |
 * | `ERR_OBO_USER_ASSERTION_EXPIRED` | the incoming token has expired |
 * | `ERR_OBO_USER_ASSERTION_WRONG_AUDIENCE` | the incoming token is a Microsoft Graph token, not a token for this API |
 * | `ERR_OBO_TENANT_NOT_ALLOWED` | the caller's tenant is not in `allowedTenants` |
 * | `ERR_OBO_TOKEN_REQUEST_FAILED` | Entra refused the exchange, or the token endpoint could not be reached |
 * | `ERR_OBO_INTERACTION_REQUIRED` | MFA, Conditional Access or consent: the client must sign the user in again (see {@link OnBehalfOfError.claims}) |
 * | `ERR_OBO_ACCESS_TOKEN_INVALID` | inbound validation: the caller's token is not acceptable (answer 401) |
 * | `ERR_OBO_ACCESS_TOKEN_INSUFFICIENT_SCOPE` | inbound validation: the token lacks a required scope or role (answer 403) |
 * | `ERR_OBO_TIMEOUT` | the acquisition did not finish within `timeoutMs` |
 * | `ERR_OBO_ABORTED` | the caller's `AbortSignal` fired |
 * | `ERR_OBO_SESSION_STORE_UNAVAILABLE` | the session store cannot answer now (Redis unreachable, the in-memory store full); the session is not known to be gone: retry later |
 * | `ERR_OBO_SESSION_NOT_FOUND` | a long-running session key is malformed, tampered with, unknown, ended or expired (no token request was sent) |
 * | `ERR_OBO_SESSION_REVOKED` | Entra refused the session's refresh token (revoked, expired, password reset, Conditional Access); the session is ended (see {@link OnBehalfOfError.claims}) |
 */
export type OnBehalfOfErrorCode =
  | "ERR_OBO_CONFIGURATION"
  | "ERR_OBO_USER_ASSERTION_MISSING"
  | "ERR_OBO_USER_ASSERTION_MALFORMED"
  | "ERR_OBO_USER_ASSERTION_EXPIRED"
  | "ERR_OBO_USER_ASSERTION_WRONG_AUDIENCE"
  | "ERR_OBO_TENANT_NOT_ALLOWED"
  | "ERR_OBO_TOKEN_REQUEST_FAILED"
  | "ERR_OBO_INTERACTION_REQUIRED"
  | "ERR_OBO_ACCESS_TOKEN_INVALID"
  | "ERR_OBO_ACCESS_TOKEN_INSUFFICIENT_SCOPE"
  | "ERR_OBO_TIMEOUT"
  | "ERR_OBO_ABORTED"
  | "ERR_OBO_SESSION_STORE_UNAVAILABLE"
  | "ERR_OBO_SESSION_NOT_FOUND"
  | "ERR_OBO_SESSION_REVOKED";

/**
 * Which token request failed, for flows made of several requests (agent identities).
 *
 * - `obo`: the On-Behalf-Of exchange of the user's token;
 * - `exchange-token`: the blueprint's exchange token (T1) for an agent identity;
 * - `app-only`: an app-only token of an agent identity;
 * - `agent-user`: a token for an agent's user account (`user_fic`);
 * - `refresh-token`: a long-running session's refresh token redeemed (plain or as an agent identity).
 */
export type TokenRequestLeg =
  "obo" | "exchange-token" | "app-only" | "agent-user" | "refresh-token";

/** Details that an {@link OnBehalfOfError} can carry besides its code and message. */
export interface OnBehalfOfErrorDetails {
  /** The original failure. */
  readonly cause?: unknown;
  /** For `ERR_OBO_CONFIGURATION`: the dotted path of the offending option. */
  readonly option?: string;
  /** Entra's `error` value, for example `invalid_grant`. */
  readonly error?: string;
  /** Entra's `suberror` value, for example `basic_action`. */
  readonly suberror?: string;
  /** The first AADSTS number of Entra's `error_codes`, for example `50076`. */
  readonly aadsts?: number;
  /** The correlation id of the failing token request (Entra's `correlation_id`, or the one sent). */
  readonly correlationId?: string;
  /** The claims challenge as JSON text, for `ERR_OBO_INTERACTION_REQUIRED` when Entra sent one. */
  readonly claims?: string;
  /** HTTP status of the token endpoint's answer, when known. */
  readonly status?: number;
  /** Which token request failed. */
  readonly leg?: TokenRequestLeg;
  /** How long Entra asked the caller to wait before retrying (`Retry-After`), in milliseconds. */
  readonly retryAfterMs?: number;
}

/**
 * The one error class of this package. Every failure carries a stable {@link OnBehalfOfErrorCode}
 * in `code` and, where there was one, the original failure as `cause`.
 *
 * @remarks
 * It extends the Graph client's `GraphClientError`, so that `graph.api(...).get()` rethrows it
 * unchanged instead of flattening it into `GraphError(statusCode -1)`. Messages never contain a
 * token, an assertion or a secret.
 *
 * @example Telling errors apart
 * ```ts
 * try {
 *   await graph.api("/me").get();
 * } catch (e) {
 *   if (e instanceof OnBehalfOfError && e.code === "ERR_OBO_INTERACTION_REQUIRED") {
 *     // pass the claims challenge on to the client
 *   }
 * }
 * ```
 */
export class OnBehalfOfError extends GraphClientError {
  /** The stable error code. */
  public readonly code: OnBehalfOfErrorCode;
  /** For `ERR_OBO_CONFIGURATION`: the dotted path of the offending option. */
  public readonly option: string | undefined;
  /** Entra's `error` value, for example `invalid_grant`. */
  public readonly error: string | undefined;
  /** Entra's `suberror` value. */
  public readonly suberror: string | undefined;
  /** The first AADSTS number reported by Entra. */
  public readonly aadsts: number | undefined;
  /** Correlation id of the failing token request. */
  public readonly correlationId: string | undefined;
  /** The claims challenge as JSON text (not base64), when Entra sent one. */
  public readonly claims: string | undefined;
  /** HTTP status of the token endpoint's answer, when known. */
  public readonly status: number | undefined;
  /** Which token request failed. */
  public readonly leg: TokenRequestLeg | undefined;
  /** How long Entra asked the caller to wait, in milliseconds, when it said so. */
  public readonly retryAfterMs: number | undefined;

  /**
   * @param code - the stable error code
   * @param message - a human-readable explanation; must never contain a token or secret
   * @param details - the original failure and Entra's details
   */
  public constructor(
    code: OnBehalfOfErrorCode,
    message: string,
    details: OnBehalfOfErrorDetails = {},
  ) {
    super(message);
    // GraphClientError resets the prototype to its own; restore ours so instanceof works.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "OnBehalfOfError";
    this.code = code;
    if (details.cause !== undefined) {
      Object.defineProperty(this, "cause", {
        value: details.cause,
        enumerable: false,
        writable: true,
        configurable: true,
      });
    }
    this.option = details.option;
    this.error = details.error;
    this.suberror = details.suberror;
    this.aadsts = details.aadsts;
    this.correlationId = details.correlationId;
    this.claims = details.claims;
    this.status = details.status;
    this.leg = details.leg;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * Builds an `ERR_OBO_CONFIGURATION` error whose message names its subject (the component whose
 * options these are) and the option.
 *
 * @param option - the dotted path of the offending option
 * @param problem - what is wrong, as the end of a sentence
 * @param cause - the original failure, if any
 * @param subject - the component: the provider by default
 * @internal
 */
export function configurationError(
  option: string,
  problem: string,
  cause?: unknown,
  subject = "OnBehalfOfAuthenticationProvider",
): OnBehalfOfError {
  return new OnBehalfOfError(
    "ERR_OBO_CONFIGURATION",
    `${subject}: option "${option}" ${problem}`,
    cause === undefined ? { option } : { option, cause },
  );
}

/**
 * Whether a value is an {@link OnBehalfOfError}, optionally with the given code. Unlike
 * `instanceof`, it also recognises errors from another copy of this package.
 *
 * @param value - anything that was thrown
 * @param code - the code to match
 */
export function isOnBehalfOfError(
  value: unknown,
  code?: OnBehalfOfErrorCode,
): value is OnBehalfOfError {
  if (value instanceof OnBehalfOfError) return code === undefined || value.code === code;
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { name?: unknown; code?: unknown };
  return (
    candidate.name === "OnBehalfOfError" &&
    typeof candidate.code === "string" &&
    candidate.code.startsWith("ERR_OBO_") &&
    (code === undefined || candidate.code === code)
  );
}
