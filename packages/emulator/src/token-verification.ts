import type { JWTPayload } from "jose";
import type { SigningKey } from "./signing-key.js";

/** Why a token was refused. @internal */
export type TokenRefusal = "malformed" | "signature" | "expired" | "not_yet_valid";

/** The outcome of verifying a token the emulator should have issued. @internal */
export type VerifiedToken =
  | { readonly ok: true; readonly payload: JWTPayload }
  | { readonly ok: false; readonly reason: TokenRefusal; readonly payload?: JWTPayload };

/** Clock tolerance for `nbf`, as Entra allows (seconds). */
const NBF_SKEW_SECONDS = 300;

/**
 * Verifies a token the emulator issued: its signature, then `exp` (no tolerance, so tests can
 * mint already-expired tokens) and `nbf` (5 minutes of tolerance).
 *
 * @param key - the emulator's signing key
 * @param token - the compact JWT
 * @param nowSeconds - the current time
 * @internal
 */
export async function verifyEmulatorToken(
  key: SigningKey,
  token: string,
  nowSeconds: number,
): Promise<VerifiedToken> {
  const checked = await key.check(token);
  if (!checked.ok) return checked;
  const { payload } = checked;
  if (typeof payload.exp !== "number" || payload.exp <= nowSeconds) {
    return { ok: false, reason: "expired", payload };
  }
  if (typeof payload.nbf === "number" && payload.nbf > nowSeconds + NBF_SKEW_SECONDS) {
    return { ok: false, reason: "not_yet_valid", payload };
  }
  return { ok: true, payload };
}

/**
 * The audiences of a token, as an array.
 *
 * @param payload - the token's claims
 * @internal
 */
export function audiencesOf(payload: JWTPayload): string[] {
  const { aud } = payload;
  if (typeof aud === "string") return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === "string") : [];
}
