import { createHash, randomBytes } from "node:crypto";

/** Entra's default refresh token lifetime outside single-page apps: 90 days. @internal */
export const DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS: number = 90 * 24 * 60 * 60;

/** What a refresh token stands for. Never holds the token itself. @internal */
export interface RefreshGrant {
  /** The client it was issued to (lower-case client id). */
  readonly clientId: string;
  /** The user's home tenant. */
  readonly tenantId: string;
  /** The user's object id. */
  readonly userId: string;
  /** When this token was issued (the emulator's clock, ms). */
  readonly issuedAtMs: number;
  /** When it expires unless replaced: issue time plus the lifetime (ms). */
  readonly expiresAtMs: number;
  /** Issue order, compared with revocations (a clock can tie). */
  readonly sequence: number;
}

/** Why a refresh token is refused. @internal */
export type RefreshRefusal = "unknown" | "expired" | "revoked";

function digest(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/**
 * The refresh tokens the emulator issued, by digest (the tokens themselves are kept nowhere), and
 * the users whose refresh tokens were revoked.
 *
 * @remarks
 * Tokens are opaque random strings, as Entra's are to clients ("Refresh tokens are encrypted and
 * only the Microsoft identity platform can read them",
 * https://learn.microsoft.com/entra/identity-platform/refresh-tokens). Each token is valid for
 * the lifetime from its own issue; using it does not extend it, the new token it is replaced with
 * has a fresh lifetime, and the old token is not revoked by its use (same page: "Refresh tokens
 * replace themselves with a fresh token upon every use. The Microsoft identity platform doesn't
 * revoke old refresh tokens when used to fetch new access tokens"). A revocation
 * (`revokeSignInSessions`, which resets the user's `refreshTokensValidFromDateTime`) invalidates
 * every refresh token issued to the user before it.
 *
 * @internal
 */
export class RefreshTokenStore {
  readonly #grants = new Map<string, RefreshGrant>();
  /** Per `tenant|user`: tokens with a sequence at or below this are revoked. */
  readonly #revokedThrough = new Map<string, number>();
  #sequence = 0;

  static #userKey(tenantId: string, userId: string): string {
    return `${tenantId}|${userId}`;
  }

  /**
   * Issues a refresh token.
   *
   * @param grant - client, tenant and user
   * @param nowMs - the emulator's time
   * @param lifetimeSeconds - how long the token is valid
   * @returns the opaque token
   */
  public issue(
    grant: Pick<RefreshGrant, "clientId" | "tenantId" | "userId">,
    nowMs: number,
    lifetimeSeconds: number,
  ): string {
    const token = `1.${randomBytes(48).toString("base64url")}`;
    this.#sequence += 1;
    this.#grants.set(digest(token), {
      clientId: grant.clientId.toLowerCase(),
      tenantId: grant.tenantId,
      userId: grant.userId,
      issuedAtMs: nowMs,
      expiresAtMs: nowMs + lifetimeSeconds * 1000,
      sequence: this.#sequence,
    });
    return token;
  }

  /**
   * What a token stands for, without judging it (for the request log and fault filters).
   *
   * @param token - the presented token
   */
  public peek(token: string | null): RefreshGrant | undefined {
    return token === null || token === "" ? undefined : this.#grants.get(digest(token));
  }

  /**
   * The grant of a token that may be redeemed now, or why it may not.
   *
   * @param token - the presented token
   * @param nowMs - the emulator's time
   */
  public redeemable(token: string, nowMs: number): RefreshGrant | RefreshRefusal {
    const grant = this.peek(token);
    if (grant === undefined) return "unknown";
    const revokedThrough = this.#revokedThrough.get(
      RefreshTokenStore.#userKey(grant.tenantId, grant.userId),
    );
    if (revokedThrough !== undefined && grant.sequence <= revokedThrough) return "revoked";
    if (nowMs >= grant.expiresAtMs) return "expired";
    return grant;
  }

  /**
   * Revokes every refresh token issued to a user so far.
   *
   * @param tenantId - the user's tenant
   * @param userId - the user's object id
   */
  public revoke(tenantId: string, userId: string): void {
    this.#revokedThrough.set(RefreshTokenStore.#userKey(tenantId, userId), this.#sequence);
  }

  /** Forgets the revocations (the issued tokens stay valid until they expire). */
  public reset(): void {
    this.#revokedThrough.clear();
  }
}
