import type { App, DirectoryUser, Tenant } from "../../directory.js";
import { clientInfo } from "../claims.js";
import { responseScope, type RequestedScopes } from "../requested-scopes.js";
import type { GrantContext, TokenResponse } from "./grant-context.js";

/** A delegated token to issue, and what goes with it in the answer. @internal */
export interface UserTokenAnswer {
  readonly user: DirectoryUser;
  readonly tenant: Tenant;
  /** The app the token is issued to. */
  readonly app: App;
  readonly requested: RequestedScopes;
  readonly granted: readonly string[];
  /** `user_fic`: the token is for the agent's own user account. */
  readonly agentUser?: boolean;
  /** Whether the answer carries a refresh token (On-Behalf-Of with `offline_access`, refreshes). */
  readonly refreshToken: boolean;
}

/**
 * The answer of every grant that issues a delegated token (On-Behalf-Of, `user_fic`,
 * `refresh_token`): the access token, its scope and lifetime, `client_info`, and the refresh and ID
 * tokens when they apply.
 *
 * @param g - the request
 * @param answer - the user, tenant, app and scopes
 * @internal
 */
export async function userTokenResponse(
  g: GrantContext,
  answer: UserTokenAnswer,
): Promise<TokenResponse> {
  const { user, tenant, app, requested, granted } = answer;
  const issued = await g.issuer.userToken(
    {
      user,
      tenantId: tenant.id,
      client: app,
      clientAuth: g.client.method,
      resource: requested.resource,
      scopes: granted,
      clientCapabilities: g.claims.clientCapabilities,
      ...(answer.agentUser === true ? { agentUser: true } : {}),
    },
    g.claims.nbfSeconds,
  );
  return {
    token_type: "Bearer",
    scope: responseScope(requested, granted),
    expires_in: issued.expiresIn,
    ext_expires_in: issued.expiresIn,
    access_token: issued.token,
    ...(answer.refreshToken
      ? { refresh_token: g.issuer.refreshToken(app.clientId, tenant.id, user.id) }
      : {}),
    client_info: clientInfo(user.id, tenant.id),
    ...(requested.openid
      ? { id_token: await g.issuer.idToken(user, tenant.id, app.clientId) }
      : {}),
  };
}
