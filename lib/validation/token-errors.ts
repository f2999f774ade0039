import { errors } from "jose";
import { OnBehalfOfError } from "../util/errors.js";
import { SigningKeysUnavailable } from "./key-source.js";
import { sanitizedCause } from "./safe-cause.js";

/** Errors raised because the signing keys could not be obtained; see {@link isSigningKeyFailure}. */
const signingKeyFailures = new WeakSet<OnBehalfOfError>();

/**
 * An `ERR_OBO_ACCESS_TOKEN_INVALID` error. The message says which check failed; it never contains
 * the token or values taken from it. The cause is attached as {@link sanitizedCause} copies it:
 * its kind and message, never the claims or the token.
 *
 * @param message - which check failed
 * @param cause - the original failure
 * @param token - the token being validated, kept out of the cause's messages
 * @internal
 */
export function invalidToken(message: string, cause?: unknown, token?: string): OnBehalfOfError {
  const safe = cause === undefined ? undefined : sanitizedCause(cause, token);
  return new OnBehalfOfError(
    "ERR_OBO_ACCESS_TOKEN_INVALID",
    message,
    safe === undefined ? {} : { cause: safe },
  );
}

function describeClaimFailure(claim: string, reason: string): string {
  if (reason === "missing") return `The access token lacks the ${claim} claim.`;
  switch (claim) {
    case "nbf":
      return "The access token is not valid yet (nbf).";
    case "aud":
      return "The access token is not meant for this API (aud).";
    default:
      return `The access token's ${claim} claim is invalid.`;
  }
}

/**
 * Translates a failure of jose's `jwtVerify` (or of the key resolver) into an
 * `ERR_OBO_ACCESS_TOKEN_INVALID` error with a sanitized copy of jose's error as `cause`.
 *
 * @param error - what `jwtVerify` threw
 * @param token - the token being validated
 * @internal
 */
export function fromVerifyError(error: unknown, token: string): OnBehalfOfError {
  if (error instanceof SigningKeysUnavailable) {
    const wrapped = invalidToken(
      "The signing keys could not be retrieved, so the access token cannot be checked.",
      error.cause,
      token,
    );
    signingKeyFailures.add(wrapped);
    return wrapped;
  }
  let message: string;
  if (error instanceof errors.JOSEAlgNotAllowed) {
    message = "The access token is not signed with RS256, the only accepted algorithm.";
  } else if (error instanceof errors.JWSSignatureVerificationFailed) {
    message = "The access token's signature is invalid.";
  } else if (error instanceof errors.JWKSNoMatchingKey) {
    message = "No signing key matches the access token's key id (kid).";
  } else if (error instanceof errors.JWKSMultipleMatchingKeys) {
    message = "The access token does not name a single signing key (kid).";
  } else if (error instanceof errors.JWTExpired) {
    message = "The access token has expired.";
  } else if (error instanceof errors.JWTClaimValidationFailed) {
    message = describeClaimFailure(error.claim, error.reason);
  } else if (error instanceof errors.JOSEError) {
    message = "The access token is not a well-formed signed JWT.";
  } else {
    message = "The access token could not be verified.";
  }
  return invalidToken(message, error, token);
}

/**
 * Whether an error from the validation means that the signing keys could not be obtained (an
 * outage on this API's side) rather than that the token is bad.
 *
 * @param error - an error thrown by a validator
 * @internal
 */
export function isSigningKeyFailure(error: unknown): boolean {
  return error instanceof OnBehalfOfError && signingKeyFailures.has(error);
}
