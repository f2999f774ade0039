import { audiencesOf, verifyEmulatorToken } from "../../token-verification.js";
import { isGuid } from "../../ids.js";
import { isExchangeAudience, isOtherCloudExchangeAudience } from "../../well-known.js";
import { aadsts } from "../aadsts.js";
import { grantDelegatedScopes, parseScopes } from "../requested-scopes.js";
import { userTokenResponse } from "./user-token-response.js";
import type { GrantContext, TokenResponse } from "./grant-context.js";

/**
 * `user_fic`: an agent identity (authenticated with T1) gets a token for its own user account,
 * presenting its own exchange token (T2) as `user_federated_identity_credential`.
 *
 * @param g - the request
 * @internal
 */
export async function userFederatedIdentityCredential(g: GrantContext): Promise<TokenResponse> {
  const { ctx, form, tenant, client } = g;
  const { app } = client;
  if (app.kind !== "agent") {
    throw aadsts.unauthorizedGrant(
      app.clientId,
      "Only agent identities may use the user_fic grant.",
    );
  }
  const credential = form.get("user_federated_identity_credential");
  if (credential === null || credential === "") {
    throw aadsts.missingParameter("user_federated_identity_credential");
  }
  const nowSeconds = Math.floor(ctx.now() / 1000);
  const verified = await verifyEmulatorToken(ctx.key, credential, nowSeconds);
  if (!verified.ok) {
    if (verified.reason === "expired" || verified.reason === "not_yet_valid") {
      throw aadsts.assertionExpired(nowSeconds, verified.payload?.exp);
    }
    throw aadsts.assertionSignature(
      "The user federated identity credential has an invalid signature.",
    );
  }
  const t2 = verified.payload;
  const otherCloud = audiencesOf(t2).find(isOtherCloudExchangeAudience);
  if (otherCloud !== undefined) throw aadsts.ficOtherCloudAudience(otherCloud);
  const forExchange = audiencesOf(t2).some(isExchangeAudience);
  if (!forExchange || t2.azp !== app.clientId || t2.idtyp !== "app" || t2.tid !== tenant.id) {
    throw aadsts.assertionInvalid(
      "The user federated identity credential must be the agent identity's own token for 'api://AzureADTokenExchange' in this tenant.",
    );
  }
  if (ctx.entra.userFicCredential === "single-use") {
    const uti = String(t2.uti);
    if (ctx.usedUserFicCredentials.has(uti)) throw aadsts.userFicCredentialReused();
    ctx.usedUserFicCredentials.add(uti);
  }
  // `user_id` is the agent user's object id, `username` its UPN (msal-node
  // UserFederatedIdentityCredentialClient; MSAL.NET docs/agentic/AgentIDs_RawHttpExamples_DotNet.md).
  // A UPN in `user_id` is AADSTS50000 (microsoft/Agents-for-js#932).
  const userId = form.get("user_id");
  const username = form.get("username");
  if (userId === null && username === null) throw aadsts.missingParameter("user_id");
  if (userId !== null && username !== null) {
    throw aadsts.invalidRequest("Send either 'user_id' or 'username', not both.");
  }
  if (userId !== null && !isGuid(userId)) throw aadsts.tokenIssuanceError();
  const wanted = userId ?? username ?? "";
  const found = ctx.directory.findUser(wanted, tenant.id);
  const user =
    found !== undefined &&
    (userId !== null || found.userPrincipalName.toLowerCase() === wanted.toLowerCase())
      ? found
      : undefined;
  if (user === undefined) throw aadsts.userNotFound(wanted, tenant.displayName);
  if (user.agentIdentity !== app.clientId) {
    throw aadsts.userNotFound(
      `${wanted} as a user account of agent identity '${app.clientId}'`,
      tenant.displayName,
    );
  }
  const requested = parseScopes(form.get("scope"), ctx.directory, tenant);
  if (requested.resource.kind === "token-exchange") {
    throw aadsts.invalidScope("user_fic cannot request the token exchange resource.");
  }
  // Grants for an agent's user account are per user: the agent's tenant-wide (inherited) grants
  // plus the ones made for this user alone.
  const granted = grantDelegatedScopes(
    ctx.directory,
    app,
    requested,
    requested.resource.kind === "graph" ? user.agentGraphScopes : [],
  );
  return userTokenResponse(g, {
    user,
    tenant,
    app,
    requested,
    granted,
    agentUser: true,
    refreshToken: false,
  });
}
