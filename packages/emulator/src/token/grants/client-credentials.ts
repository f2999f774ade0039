import { aadsts } from "../aadsts.js";
import { parseScopes, responseScope } from "../requested-scopes.js";
import type { GrantContext, TokenResponse } from "./grant-context.js";

/**
 * Client credentials: app-only tokens. With `fmi_path` (blueprints only, for
 * `api://AzureADTokenExchange/.default`) the token is an agent identity's exchange token (T1).
 *
 * @param g - the request
 * @internal
 */
export async function clientCredentials(g: GrantContext): Promise<TokenResponse> {
  const { ctx, form, tenant, client } = g;
  const { app } = client;
  const requested = parseScopes(form.get("scope"), ctx.directory, tenant);
  if (!requested.isDefault) {
    throw aadsts.clientCredentialsNeedDefault(form.get("scope") ?? "");
  }
  const fmiPath = form.get("fmi_path") ?? undefined;
  // A blueprint's exchange token always names its agent identity: AADSTS82008 otherwise (the
  // three legs in AzureAD/microsoft-authentication-library-for-dotnet
  // docs/agentic/AgentIDs_RawHttpExamples_DotNet.md; the message as reported in
  // microsoft/Agent365-Samples). An agent identity's own exchange token (T2) has no fmi_path.
  if (
    app.kind === "blueprint" &&
    requested.resource.kind === "token-exchange" &&
    (fmiPath === undefined || fmiPath === "")
  ) {
    throw aadsts.exchangeTokenNeedsFmiPath();
  }
  if (fmiPath !== undefined) {
    if (app.kind !== "blueprint") {
      throw aadsts.unauthorizedGrant(
        app.clientId,
        "Only agent identity blueprints may request tokens with fmi_path.",
      );
    }
    if (requested.resource.kind !== "token-exchange") {
      throw aadsts.invalidScope(
        "Requests with fmi_path must ask for 'api://AzureADTokenExchange/.default'.",
      );
    }
  }
  const roles =
    requested.resource.kind === "token-exchange"
      ? []
      : ctx.directory.permissionsOf(app, requested.resource.id).roles;
  const issued = await g.issuer.appToken({
    app,
    servicePrincipalId: ctx.directory.servicePrincipalId(app, tenant.id),
    tenantId: tenant.id,
    clientAuth: client.method,
    resource: requested.resource,
    roles,
    clientCapabilities: g.claims.clientCapabilities,
    ...(fmiPath === undefined ? {} : { fmiPath }),
  });
  return {
    token_type: "Bearer",
    scope: responseScope(requested, []),
    expires_in: issued.expiresIn,
    ext_expires_in: issued.expiresIn,
    access_token: issued.token,
  };
}
