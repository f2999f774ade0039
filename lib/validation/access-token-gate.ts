/**
 * The framework-neutral part of the inbound-token middlewares: read the bearer token, validate it,
 * and decide the answer. The Express middleware and the Fastify hook only apply the outcome.
 *
 * @internal
 */
import { isOnBehalfOfError } from "../util/errors.js";
import { createLogger, type Logger } from "../util/logger.js";
import { bearerChallenge, bearerToken } from "./bearer.js";
import type { AccessTokenClaims } from "./claims.js";
import { invalid, resolveValidationOptions, type AccessTokenValidationOptions } from "./options.js";
import { isSigningKeyFailure } from "./token-errors.js";
import { validatorFor } from "./validate-access-token.js";
import { rememberVerifiedTokens } from "./verified-token-memo.js";

/** Options of the inbound-token middlewares: those of the validation, and how to answer. */
export interface RequireAccessTokenOptions extends AccessTokenValidationOptions {
  /**
   * The `realm` of the `WWW-Authenticate` challenges. Must not contain `"` or `\`.
   *
   * @defaultValue `""`
   */
  readonly realm?: string | undefined;
  /**
   * Where to log refused requests (`verbose`) and failures to obtain the signing keys (`warn`).
   * Never receives a token.
   */
  readonly logger?: Logger | undefined;
  /**
   * Remember up to this many tokens already verified, so that a token sent again (the very same
   * text) skips the signature check, a large part of what validation costs. `exp` and `nbf` are
   * still checked on every request (with `clockSkewMs`), a token is verified again once it has
   * been remembered as long as the signing keys are kept (`jwksCacheMaxAgeMs`, 10 minutes by
   * default, and 10 minutes with a key set or resolver of your own), and the oldest token is
   * forgotten first. Refused tokens are never remembered. Requests that send the same token share
   * one frozen {@link AccessTokenClaims} object. Memory: about the token's size (1–2 KB for Entra)
   * plus its claims per entry.
   *
   * @defaultValue 0 (off: every request verifies its token's signature)
   */
  readonly rememberVerifiedTokens?: number | undefined;
}

/** A refusal to send: status, headers and JSON body. @internal */
export interface Refusal {
  readonly status: 401 | 403;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly error: string; readonly error_description: string };
}

/** What the gate decided for one request. @internal */
export type GateOutcome =
  | { readonly pass: true; readonly token: string; readonly claims: AccessTokenClaims }
  | { readonly pass: false; readonly refusal: Refusal };

/**
 * Decides for one `Authorization` header value. Rejects (after a `warn`) when the signing keys
 * cannot be obtained: an outage on the API's side, for the framework's error handler. @internal
 */
export type AccessTokenGate = (
  authorization: string | readonly string[] | undefined,
) => Promise<GateOutcome>;

/** The messages along an error's cause chain, for the log. */
function reasons(error: unknown): string {
  const messages: string[] = [];
  let current = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    messages.push(current.message);
    current = current.cause;
  }
  return messages.length === 0 ? "an unknown failure" : messages.join(": ");
}

function checkRealm(realm: unknown): string {
  if (realm === undefined) return "";
  if (typeof realm !== "string" || /[^\x20\x21\x23-\x5B\x5D-\x7E]/.test(realm)) {
    throw invalid("realm", 'must be a string of printable ASCII characters other than " and \\.');
  }
  return realm;
}

function refusal(
  status: 401 | 403,
  challenge: Parameters<typeof bearerChallenge>[0],
  body: Refusal["body"],
): GateOutcome {
  return {
    pass: false,
    refusal: {
      status,
      headers: {
        "WWW-Authenticate": bearerChallenge(challenge),
        "Content-Type": "application/json; charset=utf-8",
        "Cache-Control": "no-store",
      },
      body,
    },
  };
}

/**
 * Creates the gate; options are checked now (`ERR_OBO_CONFIGURATION`).
 *
 * @param options - the validation options, realm and logger
 * @param name - the logger's prefix
 * @internal
 */
export function accessTokenGate(options: RequireAccessTokenOptions, name: string): AccessTokenGate {
  const resolved = resolveValidationOptions(options);
  const realm = checkRealm(options.realm);
  if (options.logger !== undefined && typeof options.logger !== "object") {
    throw invalid("logger", "must be an object with error, warn, info and verbose methods.");
  }
  const log = createLogger(options.logger, name);
  const memo = options.rememberVerifiedTokens;
  if (memo !== undefined && (!Number.isSafeInteger(memo) || memo < 0)) {
    throw invalid("rememberVerifiedTokens", "must be a whole number of tokens, 0 or more.");
  }
  const validate =
    memo === undefined || memo === 0
      ? validatorFor(resolved)
      : rememberVerifiedTokens(validatorFor(resolved), {
          maxEntries: memo,
          clockSkewMs: resolved.clockSkewMs,
          // As long as the signing keys are kept: a withdrawn key stops covering remembered tokens then.
          maxAgeMs: resolved.keys.kind === "remote" ? resolved.keys.cacheMaxAgeMs : 600_000,
        });
  const scope = resolved.requiredScopes;

  return async (authorization) => {
    const token = bearerToken(authorization);
    if (token === undefined) {
      log.verbose("request refused: no bearer token");
      return refusal(
        401,
        { realm },
        {
          error: "unauthorized",
          error_description: "An access token is required: send Authorization: Bearer <token>.",
        },
      );
    }
    try {
      return { pass: true, token, claims: await validate(token) };
    } catch (error) {
      if (isSigningKeyFailure(error) || !isOnBehalfOfError(error)) {
        log.warn(`cannot validate access tokens: ${reasons(error)}`);
        throw error;
      }
      log.verbose(`request refused: ${error.message}`);
      const insufficient = error.code === "ERR_OBO_ACCESS_TOKEN_INSUFFICIENT_SCOPE";
      const code = insufficient ? "insufficient_scope" : "invalid_token";
      return refusal(
        insufficient ? 403 : 401,
        { realm, error: code, description: error.message, ...(insufficient ? { scope } : {}) },
        { error: code, error_description: error.message },
      );
    }
  };
}
