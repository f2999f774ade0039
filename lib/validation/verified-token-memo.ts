/**
 * Remembers incoming access tokens already verified, so a client that sends the same token again
 * skips the signature check. Keyed by the token's exact text: different bytes are never served
 * from the memo. The time claims are checked again on every use, as jose checks them (`exp`,
 * `nbf`, with the same clock skew), and an entry whose time has passed is dropped and the token
 * verified again, which refuses it with the usual error. An entry is also dropped once it is as
 * old as the signing keys are kept (`maxAgeMs`), so a key withdrawn from the key set stops
 * covering remembered tokens as soon as it stops covering new ones.
 *
 * @internal
 */
import type { AccessTokenClaims } from "./claims.js";
import type { AccessTokenValidator } from "./validate-access-token.js";

/** Options of {@link rememberVerifiedTokens}. @internal */
export interface VerifiedTokenMemoOptions {
  /** The most tokens remembered; the oldest is forgotten first. */
  readonly maxEntries: number;
  /** The validation's clock skew, in ms (the same tolerance jose applies). */
  readonly clockSkewMs: number;
  /** How long an entry may serve before the token is verified again, in ms. */
  readonly maxAgeMs: number;
  /** The clock, ms since the epoch. @defaultValue `Date.now` */
  readonly now?: (() => number) | undefined;
}

/**
 * Whether the time claims still hold at `nowMs`: jose's rule (whole seconds, the tolerance on
 * both sides), so a remembered token is refused exactly when a fresh verification would refuse it.
 */
function timely(claims: AccessTokenClaims, nowMs: number, toleranceS: number): boolean {
  // jose: `nbf > now + tolerance` and `exp <= now - tolerance` are refused, now in whole seconds.
  const now = Math.floor(nowMs / 1000);
  if (claims.nbf !== undefined && claims.nbf > now + toleranceS) return false;
  return claims.exp > now - toleranceS;
}

interface Remembered {
  readonly claims: AccessTokenClaims;
  /** When the entry stops serving (ms), whatever the token's own lifetime. */
  readonly until: number;
}

/** Claims shared by every request that sends the same token: no request may change them. */
function freeze(claims: AccessTokenClaims): AccessTokenClaims {
  for (const value of [claims.scp, claims.roles, claims.payload]) Object.freeze(value);
  return Object.freeze(claims);
}

/**
 * Wraps a validator with a bounded memo of verified tokens.
 *
 * @param validate - the full validation (signature, issuer, audience, tenant, permissions)
 * @param options - bound, clock skew and clock
 * @returns a validator that verifies a token's signature once while it is remembered
 * @internal
 */
export function rememberVerifiedTokens(
  validate: AccessTokenValidator,
  options: VerifiedTokenMemoOptions,
): AccessTokenValidator {
  const { maxEntries, clockSkewMs, maxAgeMs } = options;
  const now = options.now ?? Date.now;
  const toleranceS = clockSkewMs / 1000;
  const memo = new Map<string, Remembered>();
  return async (token) => {
    const remembered = memo.get(token);
    if (remembered !== undefined) {
      const at = now();
      if (at < remembered.until && timely(remembered.claims, at, toleranceS)) {
        return remembered.claims;
      }
      memo.delete(token);
    }
    const claims = freeze(await validate(token));
    // Two first requests with the same token may both get here: the second only replaces.
    if (memo.size >= maxEntries && !memo.has(token)) {
      // A Map iterates in insertion order: the first key is the oldest entry.
      const oldest = memo.keys().next();
      if (oldest.done !== true) memo.delete(oldest.value);
    }
    memo.set(token, { claims, until: now() + maxAgeMs });
    return claims;
  };
}
