import { aadsts } from "../aadsts.js";
import { grantDelegatedScopes, parseScopes } from "../requested-scopes.js";
import { userTokenResponse } from "./user-token-response.js";
import type { GrantContext, TokenResponse } from "./grant-context.js";

/**
 * `refresh_token` for confidential clients (client authentication as for every grant, done
 * before): a new access token for the requested scopes and a new refresh token.
 *
 * @remarks
 * Rules, from https://learn.microsoft.com/entra/identity-platform/refresh-tokens unless noted:
 * - "Refresh tokens are bound to a combination of user and client, but aren't tied to a resource
 *   or tenant": another client's token is refused (AADSTS70000); the user must exist in the
 *   request's tenant (the emulator has no guests, so that is the user's home tenant); any
 *   resource the client has consent for may be asked for, consent checked as for On-Behalf-Of.
 * - "Refresh tokens replace themselves with a fresh token upon every use. The Microsoft identity
 *   platform doesn't revoke old refresh tokens": every answer carries a new refresh token, and
 *   the presented one stays valid until its own lifetime ends (AADSTS700082).
 * - Revoked sessions (`revokeSessions`) refuse tokens issued before (AADSTS50173).
 * - Agent identities redeem the refresh tokens of their On-Behalf-Of exchanges, authenticated
 *   with their T1 ("Supported grant types are client_credential, jwt_bearer, and refresh_token",
 *   https://learn.microsoft.com/entra/agent-id/agent-on-behalf-of-oauth-flow).
 *
 * @param g - the request
 * @internal
 */
export async function refreshTokenGrant(g: GrantContext): Promise<TokenResponse> {
  const { ctx, form, tenant, client } = g;
  const presented = form.get("refresh_token");
  if (presented === null || presented === "") throw aadsts.missingParameter("refresh_token");
  const grant = ctx.refreshTokens.redeemable(presented, ctx.now());
  switch (grant) {
    case "unknown":
      throw aadsts.refreshTokenMalformed();
    case "revoked":
      throw aadsts.refreshTokenRevoked();
    case "expired": {
      const issuedAtMs = ctx.refreshTokens.peek(presented)?.issuedAtMs ?? 0;
      throw aadsts.refreshTokenExpired(issuedAtMs, ctx.refreshTokenLifetimeSeconds);
    }
    default:
      break;
  }
  if (grant.clientId !== client.app.clientId.toLowerCase()) {
    throw aadsts.refreshTokenOfAnotherClient();
  }
  const user =
    grant.tenantId === tenant.id ? ctx.directory.findUser(grant.userId, tenant.id) : undefined;
  if (user === undefined) throw aadsts.userNotFound(grant.userId, tenant.displayName);

  const requested = parseScopes(form.get("scope"), ctx.directory, tenant);
  if (requested.resource.kind === "token-exchange") {
    throw aadsts.invalidScope("A refresh token cannot request the token exchange resource.");
  }
  const granted = grantDelegatedScopes(ctx.directory, client.app, requested);
  return userTokenResponse(g, {
    user,
    tenant,
    app: client.app,
    requested,
    granted,
    refreshToken: true,
  });
}
