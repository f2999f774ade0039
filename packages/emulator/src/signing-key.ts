import { generateKeyPair, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import {
  SignJWT,
  calculateJwkThumbprint,
  compactVerify,
  decodeProtectedHeader,
  exportJWK,
  type JWK,
  type JWTPayload,
} from "jose";

/** The public half of the emulator's signing key, as served in its JWKS. */
export interface EmulatorJwk extends JWK {
  /** The key id, as in every token's header (the JWK thumbprint). */
  readonly kid: string;
  /** `RSA`. */
  readonly kty: string;
  /** `sig`. */
  readonly use: "sig";
  /** `RS256`. */
  readonly alg: "RS256";
}

/** Why a token did not verify. @internal */
export type TokenCheckFailure = "malformed" | "signature";

/** The outcome of checking a token's signature. @internal */
export type SignatureCheck =
  | { readonly ok: true; readonly payload: JWTPayload }
  | { readonly ok: false; readonly reason: TokenCheckFailure };

/**
 * The RS256 key the emulator signs every token with. Generated at start, never written anywhere;
 * its public half is the JWKS of every tenant.
 *
 * @internal
 */
export class SigningKey {
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  readonly kid: string;
  readonly jwk: EmulatorJwk;

  private constructor(privateKey: KeyObject, publicKey: KeyObject, kid: string, jwk: EmulatorJwk) {
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
    this.kid = kid;
    this.jwk = jwk;
  }

  /** Generates a fresh 2048-bit RSA key. */
  public static async generate(): Promise<SigningKey> {
    const { privateKey, publicKey } = await promisify(generateKeyPair)("rsa", {
      modulusLength: 2048,
    });
    const exported = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(exported);
    const jwk: EmulatorJwk = { ...exported, kty: "RSA", kid, use: "sig", alg: "RS256" };
    return new SigningKey(privateKey, publicKey, kid, jwk);
  }

  /**
   * Signs claims as a JWT with header `{ alg: RS256, typ: JWT, kid }`.
   *
   * @param payload - the claims, times included
   */
  public sign(payload: JWTPayload): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.kid })
      .sign(this.#privateKey);
  }

  /**
   * Checks that a token is a JWT signed with this key. Claims (times, audience) are the caller's
   * to check.
   *
   * @param token - the compact JWT
   */
  public async check(token: string): Promise<SignatureCheck> {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return { ok: false, reason: "malformed" };
    }
    if (kid !== this.kid) return { ok: false, reason: "signature" };
    try {
      const { payload } = await compactVerify(token, this.#publicKey, { algorithms: ["RS256"] });
      const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
      if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
        return { ok: false, reason: "malformed" };
      }
      return { ok: true, payload: claims as JWTPayload };
    } catch {
      return { ok: false, reason: "signature" };
    }
  }
}
