import type { App, Directory, Resource, Tenant } from "../directory.js";
import { aadsts } from "./aadsts.js";
import { EntraError } from "./entra-error.js";

const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

/** The `scope` parameter, understood. @internal */
export interface RequestedScopes {
  readonly resource: Resource;
  /** Scope names without the resource prefix; empty for `.default`. */
  readonly names: readonly string[];
  readonly isDefault: boolean;
  /** Whether `openid` was asked for (an ID token is then returned on user flows). */
  readonly openid: boolean;
  /** Whether `offline_access` was asked for (a refresh token is then returned on On-Behalf-Of). */
  readonly offlineAccess: boolean;
}

function split(scope: string): { prefix: string; name: string } {
  const scheme = scope.indexOf("://");
  if (scheme >= 0) {
    const slash = scope.lastIndexOf("/");
    return slash > scheme + 2
      ? { prefix: scope.slice(0, slash), name: scope.slice(slash + 1) }
      : { prefix: scope, name: "" };
  }
  const slash = scope.indexOf("/");
  if (slash >= 0) return { prefix: scope.slice(0, slash), name: scope.slice(slash + 1) };
  // A bare name is a Microsoft Graph scope, as in Entra.
  return { prefix: "https://graph.microsoft.com", name: scope };
}

/**
 * Parses `scope`: one resource (Graph, an API registered in the emulator, or the token-exchange
 * resource), its scope names or `.default`, and the OpenID Connect scopes.
 *
 * @param scopeParam - the raw `scope` form value
 * @param directory - where resources are looked up
 * @param tenant - the request's tenant, for messages
 * @internal
 */
export function parseScopes(
  scopeParam: string | null,
  directory: Directory,
  tenant: Tenant,
): RequestedScopes {
  if (scopeParam === null || scopeParam.trim() === "") throw aadsts.missingParameter("scope");
  const all = scopeParam.split(/\s+/).filter((s) => s !== "");
  const openid = all.some((s) => s.toLowerCase() === "openid");
  const offlineAccess = all.some((s) => s.toLowerCase() === "offline_access");
  const resourceScopes = all.filter((s) => !OIDC_SCOPES.has(s.toLowerCase()));
  if (resourceScopes.length === 0) {
    throw new EntraError({
      error: "invalid_scope",
      aadsts: 700023,
      message:
        "The provided value for the input parameter scope is not valid when requesting an access token: it names no resource.",
    });
  }
  let resource: Resource | undefined;
  const names: string[] = [];
  let isDefault = false;
  for (const scope of resourceScopes) {
    const { prefix, name } = split(scope);
    const found = directory.findResource(prefix);
    if (found === undefined) throw aadsts.resourceNotFound(prefix, tenant.displayName);
    if (resource !== undefined && resource.id !== found.id) {
      throw new EntraError({
        error: "invalid_scope",
        aadsts: 700022,
        message:
          "The provided value for the input parameter scope is not valid because it contains more than one resource.",
      });
    }
    resource = found;
    if (name === "") throw aadsts.invalidScope(`The scope '${scope}' names no permission.`);
    if (name === ".default") isDefault = true;
    else names.push(name);
  }
  if (resource === undefined) throw aadsts.missingParameter("scope");
  if (isDefault && names.length > 0) {
    throw aadsts.invalidScope("'.default' cannot be combined with resource-specific scopes.");
  }
  const exposed = resource.exposedScopes;
  if (exposed !== undefined) {
    for (const name of names) {
      if (!exposed.some((e) => e.toLowerCase() === name.toLowerCase())) {
        throw aadsts.invalidScope(
          `The scope '${name}' does not exist on the resource '${resource.scopePrefix}'.`,
        );
      }
    }
  }
  return { resource, names, isDefault, openid, offlineAccess };
}

/**
 * The delegated scopes to grant: the consented ones for `.default`, else the requested ones,
 * each of which must be consented. A missing grant is AADSTS65001 for an ordinary app and
 * AADSTS82014 for an agent identity, which cannot take consent interactively
 * (https://learn.microsoft.com/entra/agent-id/agent-on-behalf-of-oauth-flow).
 *
 * @param directory - for the app's permissions
 * @param app - the client
 * @param requested - the parsed scopes
 * @param perUser - scopes granted to the client for this user only (an agent's user account)
 * @internal
 */
export function grantDelegatedScopes(
  directory: Directory,
  app: App,
  requested: RequestedScopes,
  perUser: readonly string[] = [],
): string[] {
  const tenantWide = directory.permissionsOf(app, requested.resource.id).scopes;
  const consented = [...new Set([...tenantWide, ...perUser])];
  const refuse = (): EntraError =>
    app.kind === "agent"
      ? aadsts.agentConsentRequired(app.clientId)
      : aadsts.consentRequired(app.clientId);
  if (requested.isDefault) {
    if (consented.length === 0) throw refuse();
    return consented;
  }
  return requested.names.map((name) => {
    const match = consented.find((c) => c.toLowerCase() === name.toLowerCase());
    if (match === undefined) throw refuse();
    return match;
  });
}

/**
 * The `scope` of a token response: the granted scopes, qualified with the resource, plus
 * `.default` when it was asked for (so msal-node's cache finds the token for `.default` again).
 *
 * @param requested - the parsed scopes
 * @param granted - the granted scope names
 * @internal
 */
export function responseScope(requested: RequestedScopes, granted: readonly string[]): string {
  const prefix = requested.resource.scopePrefix;
  const qualified = granted.map((name) => `${prefix}/${name}`);
  if (requested.isDefault) qualified.push(`${prefix}/.default`);
  return qualified.join(" ");
}
