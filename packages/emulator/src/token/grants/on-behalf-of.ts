import type { DirectoryUser } from "../../directory.js";
import { audiencesOf, verifyEmulatorToken } from "../../token-verification.js";
import { aadsts } from "../aadsts.js";
import { grantDelegatedScopes, parseScopes } from "../requested-scopes.js";
import { userTokenResponse } from "./user-token-response.js";
import type { GrantContext, TokenResponse } from "./grant-context.js";

/**
 * The audiences an OBO assertion may have for a client: its own client id or app ID URI, or for
 * an agent identity its blueprint's.
 */
function expectedAudiences(g: GrantContext): { audiences: Set<string>; owner: string } {
  const { app } = g.client;
  const owner =
    app.kind === "agent" && app.blueprint !== undefined
      ? (g.ctx.directory.findApp(app.blueprint) ?? app)
      : app;
  return {
    audiences: new Set([owner.clientId, owner.appIdUri.toLowerCase()]),
    owner: owner.clientId,
  };
}

/**
 * On-Behalf-Of (`jwt-bearer`, `requested_token_use=on_behalf_of`): exchanges a user's token for
 * the calling app (or, for an agent identity, its blueprint) for a token to another resource.
 *
 * @param g - the request
 * @internal
 */
export async function onBehalfOf(g: GrantContext): Promise<TokenResponse> {
  const { ctx, form, tenant, client } = g;
  // A blueprint does not call APIs for itself ("A blueprint can perform exactly one operation in
  // the tenant: provision or deprovision agent identities",
  // https://learn.microsoft.com/entra/agent-id/agent-blueprint); `entra.blueprintOnBehalfOf`
  // models the protocol page's reading, which lists jwt-bearer for blueprints.
  if (client.app.kind === "blueprint" && ctx.entra.blueprintOnBehalfOf === "refuse") {
    throw aadsts.blueprintActsOnlyThroughAgents(client.app.clientId);
  }
  const assertion = form.get("assertion");
  if (assertion === null || assertion === "") throw aadsts.missingParameter("assertion");
  const nowSeconds = Math.floor(ctx.now() / 1000);
  const verified = await verifyEmulatorToken(ctx.key, assertion, nowSeconds);
  if (!verified.ok) {
    switch (verified.reason) {
      case "malformed":
        throw aadsts.malformedJwt("The assertion is not a well-formed JWT.");
      case "signature":
        throw aadsts.assertionSignature("The key was not found or the signature is invalid.");
      case "expired":
      case "not_yet_valid":
        throw aadsts.assertionExpired(nowSeconds, verified.payload?.exp);
    }
  }
  const user = verified.payload;
  const { audiences, owner } = expectedAudiences(g);
  const presented = audiencesOf(user);
  if (!presented.some((aud) => audiences.has(aud.toLowerCase().replace(/\/+$/, "")))) {
    throw aadsts.assertionSignature(
      `The assertion's audience '${presented.join(", ")}' is not the application '${owner}' presenting it. ` +
        "Send the token the client obtained for this API, not a token for another resource.",
    );
  }
  if (user.idtyp === "app" || typeof user.scp !== "string" || typeof user.oid !== "string") {
    throw aadsts.appOnlyAssertion(client.app.clientId);
  }
  if (user.tid !== tenant.id) {
    throw aadsts.assertionInvalid(
      `The assertion was issued by tenant '${String(user.tid)}', but the request is for tenant '${tenant.id}'.`,
    );
  }
  const person: DirectoryUser | undefined = ctx.directory.findUser(user.oid, tenant.id);
  if (person === undefined) throw aadsts.userNotFound(user.oid, tenant.displayName);

  const requested = parseScopes(form.get("scope"), ctx.directory, tenant);
  if (requested.resource.kind === "token-exchange") {
    throw aadsts.invalidScope("On-Behalf-Of cannot request the token exchange resource.");
  }
  const granted = grantDelegatedScopes(ctx.directory, client.app, requested);
  // "refresh_token: ... only provided if the offline_access scope was requested"
  // (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow); agent
  // identities likewise ("Supported grant types are client_credential, jwt_bearer, and
  // refresh_token", https://learn.microsoft.com/entra/agent-id/agent-on-behalf-of-oauth-flow).
  return userTokenResponse(g, {
    user: person,
    tenant,
    app: client.app,
    requested,
    granted,
    refreshToken: requested.offlineAccess,
  });
}
