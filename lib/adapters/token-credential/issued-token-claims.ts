import { decodeJwt } from "jose";

/** What the credential reads from an access token it hands out, without verifying it. @internal */
export interface IssuedTokenClaims {
  /** `exp` in milliseconds since the epoch, when the token is a JWT with one. */
  readonly expiresAtMs: number | undefined;
  /** `tid`, lower-cased, when present. */
  readonly tenantId: string | undefined;
}

/**
 * Reads `exp` and `tid` from an access token without verifying it. Opaque tokens yield neither.
 *
 * @param token - the access token
 * @internal
 */
export function readIssuedTokenClaims(token: string): IssuedTokenClaims {
  try {
    const payload = decodeJwt(token);
    return {
      expiresAtMs:
        typeof payload.exp === "number" && Number.isFinite(payload.exp)
          ? payload.exp * 1000
          : undefined,
      tenantId: typeof payload.tid === "string" ? payload.tid.toLowerCase() : undefined,
    };
  } catch {
    return { expiresAtMs: undefined, tenantId: undefined };
  }
}
