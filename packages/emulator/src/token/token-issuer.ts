import type { EmulatorContext } from "../context.js";
import type { DirectoryUser } from "../directory.js";
import {
  appAccessTokenClaims,
  idTokenClaims,
  userAccessTokenClaims,
  type AppTokenSpec,
  type UserTokenSpec,
} from "./claims.js";

type Timed<T> = Omit<T, "origin" | "nowSeconds" | "lifetimeSeconds" | "agentFacets"> & {
  /** Overrides the emulator's token lifetime (may be negative: an already-expired token). */
  readonly lifetimeSeconds?: number;
};

/** A signed access token and what the token response says about it. @internal */
export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
}

/**
 * Signs tokens with the emulator's key and tells continuous access evaluation about each.
 *
 * @internal
 */
export class TokenIssuer {
  readonly #ctx: EmulatorContext;

  public constructor(ctx: EmulatorContext) {
    this.#ctx = ctx;
  }

  /**
   * Issues a delegated access token.
   *
   * @param spec - user, client, resource, scopes
   * @param requestedNbfSeconds - the `nbf` the request's claims asked for (CAE)
   */
  public async userToken(
    spec: Timed<UserTokenSpec>,
    requestedNbfSeconds?: number,
  ): Promise<IssuedToken> {
    const nowMs = this.#ctx.now();
    const lifetimeSeconds = spec.lifetimeSeconds ?? this.#ctx.tokenLifetimeSeconds;
    const claims = userAccessTokenClaims({
      ...spec,
      origin: this.#ctx.origin,
      nowSeconds: Math.floor(nowMs / 1000),
      lifetimeSeconds,
      agentFacets: this.#ctx.entra.agentFacetClaims,
    });
    this.#ctx.cae.issued(
      String(claims.uti),
      spec.tenantId,
      spec.user.id,
      nowMs,
      requestedNbfSeconds,
    );
    return { token: await this.#ctx.key.sign(claims), expiresIn: lifetimeSeconds };
  }

  /**
   * Issues an app-only access token.
   *
   * @param spec - app, resource, roles
   */
  public async appToken(spec: Timed<AppTokenSpec>): Promise<IssuedToken> {
    const nowMs = this.#ctx.now();
    const lifetimeSeconds = spec.lifetimeSeconds ?? this.#ctx.tokenLifetimeSeconds;
    const claims = appAccessTokenClaims({
      ...spec,
      origin: this.#ctx.origin,
      nowSeconds: Math.floor(nowMs / 1000),
      lifetimeSeconds,
      agentFacets: this.#ctx.entra.agentFacetClaims,
    });
    this.#ctx.cae.issuedAppToken(String(claims.uti), nowMs);
    return { token: await this.#ctx.key.sign(claims), expiresIn: lifetimeSeconds };
  }

  /**
   * Issues a refresh token bound to a client and a user, valid for the emulator's refresh token
   * lifetime.
   *
   * @param clientId - the client it is issued to
   * @param tenantId - the user's tenant
   * @param userId - the user's object id
   */
  public refreshToken(clientId: string, tenantId: string, userId: string): string {
    return this.#ctx.refreshTokens.issue(
      { clientId, tenantId, userId },
      this.#ctx.now(),
      this.#ctx.refreshTokenLifetimeSeconds,
    );
  }

  /**
   * Issues an ID token for a client.
   *
   * @param user - the user
   * @param tenantId - the tenant
   * @param clientId - the client that asked for `openid`
   */
  public idToken(user: DirectoryUser, tenantId: string, clientId: string): Promise<string> {
    return this.#ctx.key.sign(
      idTokenClaims({
        origin: this.#ctx.origin,
        user,
        tenantId,
        clientId,
        nowSeconds: Math.floor(this.#ctx.now() / 1000),
        lifetimeSeconds: this.#ctx.tokenLifetimeSeconds,
      }),
    );
  }
}
