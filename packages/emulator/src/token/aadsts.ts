import { EntraError } from "./entra-error.js";

/** A duration as .NET prints a TimeSpan, as Entra's messages do (`90.00:00:00`). */
function timeSpan(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const rest = seconds % 86_400;
  const pad = (n: number): string => String(n).padStart(2, "0");
  const clock = `${pad(Math.floor(rest / 3600))}:${pad(Math.floor((rest % 3600) / 60))}:${pad(rest % 60)}`;
  return days > 0 ? `${String(days)}.${clock}` : clock;
}

/**
 * The refusals the emulator's token endpoint answers with, one function per rule. Codes and
 * `error` values follow Entra's documentation and public captures (protocol.md §5); where Entra's
 * exact choice is not documented (marked "emulator's choice") the closest documented code is used.
 *
 * @internal
 */
export const aadsts = {
  /** Unknown tenant in the URL. */
  tenantNotFound: (tenant: string): EntraError =>
    new EntraError({
      error: "invalid_request",
      aadsts: 90002,
      message: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    }),
  /** A required form parameter is missing. */
  missingParameter: (name: string): EntraError =>
    new EntraError({
      error: "invalid_request",
      aadsts: 900144,
      message: `The request body must contain the following parameter: '${name}'.`,
    }),
  /** A malformed request (emulator's choice of the generic code). */
  invalidRequest: (detail: string): EntraError =>
    new EntraError({ error: "invalid_request", aadsts: 90023, message: detail }),
  /** `/common` or `/consumers` with a grant that needs a tenant. */
  commonNotSupported: (): EntraError =>
    new EntraError({
      error: "invalid_request",
      aadsts: 9001023,
      message:
        "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.",
    }),
  unsupportedGrantType: (grantType: string): EntraError =>
    new EntraError({
      error: "unsupported_grant_type",
      aadsts: 70003,
      message: `The app requested an unsupported grant type '${grantType}'.`,
    }),
  /** The client is not registered in (or not available to) the tenant. */
  applicationNotFound: (clientId: string, tenantName: string): EntraError =>
    new EntraError({
      error: "unauthorized_client",
      aadsts: 700016,
      message: `Application with identifier '${clientId}' was not found in the directory '${tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    }),
  missingCredential: (): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 7000218,
      message:
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    }),
  invalidClientSecret: (clientId: string): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 7000215,
      message: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    }),
  malformedJwt: (what: string): EntraError =>
    new EntraError({
      error: "invalid_request",
      aadsts: 50027,
      message: `Invalid JWT token. ${what}`,
    }),
  clientAssertionKeyNotFound: (thumbprint: string): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 700027,
      message: `Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}'.]`,
    }),
  clientAssertionBadSignature: (): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 700027,
      message:
        "Client assertion failed signature validation. [Reason - Client assertion contains an invalid signature.]",
    }),
  clientAssertionTimeRange: (nowSeconds: number, exp: unknown): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 700024,
      message: `Client assertion is not within its valid time range. Current time: ${new Date(nowSeconds * 1000).toISOString()}, expiry time of assertion ${typeof exp === "number" ? new Date(exp * 1000).toISOString() : "(none)"}.`,
    }),
  clientAssertionSubjectMismatchesIssuer: (): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 50048,
      message: "Subject mismatches Issuer claim in the client assertion.",
    }),
  clientAssertionWrongClient: (): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 700021,
      message: "Client assertion application identifier doesn't match 'client_id' parameter.",
    }),
  clientAssertionWrongAudience: (aud: string): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 50027,
      message: `Invalid JWT token. The client assertion's audience '${aud}' is not this tenant's token endpoint.`,
    }),
  /** A federated credential (T1) whose issuer this client does not trust. */
  ficNoMatchingIssuer: (clientId: string, detail: string): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 700211,
      message: `No matching federated identity record found for presented assertion issuer for application '${clientId}'. ${detail}`,
    }),
  /** A federated credential (T1) with the wrong audience. */
  ficWrongAudience: (aud: string): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 700212,
      message: `No matching federated identity record found for presented assertion audience '${aud}'. An agent identity authenticates with its blueprint's token for 'api://AzureADTokenExchange'.`,
    }),
  /**
   * A federated credential whose audience is another cloud's exchange audience: Entra's message
   * as quoted in AzureAD/microsoft-authentication-library-for-dotnet
   * docs/fic-token-exchange-auto-resolution-design.md.
   */
  ficOtherCloudAudience: (aud: string): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 70022204,
      message: `No matching federated identity record found for presented assertion audience '${aud}'. This cloud's exchange audience is 'api://AzureADTokenExchange'.`,
    }),
  /** A federated credential (T1) issued for another agent (fmi_path) or by another blueprint. */
  ficWrongSubject: (clientId: string, detail: string): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 700213,
      message: `No matching federated identity record found for presented assertion subject for application '${clientId}'. ${detail}`,
    }),
  ficUserToken: (): EntraError =>
    new EntraError({
      error: "invalid_client",
      aadsts: 700229,
      message:
        "Only app-only tokens can be used as Federated Identity Credentials for Microsoft Entra issuer. Use an app-only access token (generated during a client credentials flow) instead of a user-delegated access token.",
    }),
  assertionSignature: (reason: string): EntraError =>
    new EntraError({
      error: "invalid_grant",
      aadsts: 50013,
      message: `Assertion failed signature validation. [Reason - ${reason}]`,
    }),
  assertionInvalid: (reason: string): EntraError =>
    new EntraError({
      error: "invalid_grant",
      aadsts: 50013,
      message: `Assertion is invalid. ${reason}`,
    }),
  assertionExpired: (nowSeconds: number, exp: unknown): EntraError =>
    new EntraError({
      error: "invalid_grant",
      aadsts: 500133,
      message: `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${new Date(nowSeconds * 1000).toISOString()}, expiry time of assertion ${typeof exp === "number" ? new Date(exp * 1000).toISOString() : "(none)"}.`,
    }),
  appOnlyAssertion: (clientId: string): EntraError =>
    new EntraError({
      error: "invalid_grant",
      aadsts: 7000114,
      message: `Application '${clientId}' is not allowed to make application on-behalf-of calls: the assertion is an app-only token, not a user's.`,
    }),
  userNotFound: (user: string, tenantName: string): EntraError =>
    new EntraError({
      error: "invalid_grant",
      aadsts: 50034,
      message: `The user account ${user} does not exist in the '${tenantName}' directory.`,
    }),
  consentRequired: (clientId: string): EntraError =>
    new EntraError({
      error: "invalid_grant",
      aadsts: 65001,
      suberror: "consent_required",
      message: `The user or administrator has not consented to use the application with ID '${clientId}'. Send an interactive authorization request for this user and resource.`,
    }),
  invalidScope: (detail: string): EntraError =>
    new EntraError({
      error: "invalid_scope",
      aadsts: 70011,
      message: `The provided value for the input parameter 'scope' is not valid. ${detail}`,
    }),
  clientCredentialsNeedDefault: (scope: string): EntraError =>
    new EntraError({
      error: "invalid_scope",
      aadsts: 1002012,
      message: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    }),
  resourceNotFound: (resource: string, tenantName: string): EntraError =>
    new EntraError({
      error: "invalid_resource",
      aadsts: 500011,
      message: `The resource principal named ${resource} was not found in the tenant named ${tenantName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    }),
  /**
   * A blueprint asked for an exchange token without `fmi_path`. Entra's wording, as reported in
   * microsoft/Agent365-Samples and MSIdentityTools (AADSTS82008).
   */
  exchangeTokenNeedsFmiPath: (): EntraError =>
    new EntraError({
      error: "invalid_request",
      aadsts: 82008,
      message:
        "All agentic applications requesting a token exchange token must include the fmipath parameter on the token request.",
    }),
  /**
   * A delegated permission an agent identity has not been granted. Agents cannot take consent
   * interactively (AADSTS82014, https://learn.microsoft.com/entra/agent-id/agent-on-behalf-of-oauth-flow);
   * the `error` value is the emulator's choice (`invalid_grant` without `consent_required`, so
   * clients do not start an interactive prompt that cannot succeed).
   */
  agentConsentRequired: (clientId: string): EntraError =>
    new EntraError({
      error: "invalid_grant",
      aadsts: 82014,
      message: `Agent identity '${clientId}' has not been granted the requested permissions, and agent identities cannot be granted consent interactively. An administrator must grant the delegated permissions to the agent identity blueprint as inheritable permissions, or to the agent identity.`,
    }),
  /**
   * `user_id` that is not an object id: Entra answers with its generic issuance failure, as
   * reported in microsoft/Agents-for-js#932 (a UPN sent as `user_id`).
   */
  tokenIssuanceError: (): EntraError =>
    new EntraError({
      error: "server_error",
      aadsts: 50000,
      message: "There was an error issuing a token or an issue with our sign-in service.",
    }),
  /** A blueprint asked for a delegated token for itself (emulator's choice of code). */
  blueprintActsOnlyThroughAgents: (clientId: string): EntraError =>
    new EntraError({
      error: "unauthorized_client",
      aadsts: 90023,
      message: `Application '${clientId}' is an agent identity blueprint. A blueprint does not call APIs for itself: request the token as one of its agent identities.`,
    }),
  /** A `user_fic` credential (T2) presented a second time, when T2 is modelled as single-use. */
  userFicCredentialReused: (): EntraError =>
    new EntraError({
      error: "invalid_grant",
      aadsts: 50013,
      message:
        "Assertion is invalid. The user federated identity credential has already been used: request a new one.",
    }),
  /** The client may not use this grant (emulator's choice of code). */
  unauthorizedGrant: (clientId: string, detail: string): EntraError =>
    new EntraError({
      error: "unauthorized_client",
      aadsts: 90023,
      message: `Application '${clientId}' is not authorized for this request. ${detail}`,
    }),
  /**
   * A refresh token the emulator did not issue (malformed, forged, or from elsewhere). Entra
   * answers garbage refresh tokens with AADSTS9002313 ("Invalid request. Request is malformed or
   * invalid.", https://learn.microsoft.com/entra/identity-platform/reference-error-codes); the
   * `error` value is the emulator's choice.
   */
  refreshTokenMalformed: (): EntraError =>
    new EntraError({
      error: "invalid_grant",
      aadsts: 9002313,
      message: "Invalid request. Request is malformed or invalid.",
    }),
  /**
   * A refresh token issued to another client: refresh tokens are bound to the user and the client
   * (https://learn.microsoft.com/entra/identity-platform/refresh-tokens). AADSTS70000 is
   * reference-error-codes' InvalidGrant ("Authentication failed. The refresh token isn't valid").
   */
  refreshTokenOfAnotherClient: (): EntraError =>
    new EntraError({
      error: "invalid_grant",
      aadsts: 70000,
      message:
        "Provided grant is invalid or malformed: the refresh token was issued to another client.",
    }),
  /**
   * A refresh token past its lifetime: reference-error-codes AADSTS700082
   * ExpiredOrRevokedGrantInactiveToken ("The refresh token has expired due to inactivity. The
   * token was issued on (date) and was inactive for (time)"). `suberror` `bad_token`, which
   * msal-node classifies as interaction required.
   */
  refreshTokenExpired: (issuedAtMs: number, lifetimeSeconds: number): EntraError =>
    new EntraError({
      error: "invalid_grant",
      aadsts: 700082,
      suberror: "bad_token",
      message: `The refresh token has expired due to inactivity. The token was issued on ${new Date(issuedAtMs).toISOString()} and was inactive for ${timeSpan(lifetimeSeconds)}.`,
    }),
  /**
   * A refresh token issued before the user's sessions were revoked: reference-error-codes
   * AADSTS50173 FreshTokenNeeded ("The provided grant has expired due to it being revoked, and a
   * fresh auth token is needed"). `suberror` `bad_token`.
   */
  refreshTokenRevoked: (): EntraError =>
    new EntraError({
      error: "invalid_grant",
      aadsts: 50173,
      suberror: "bad_token",
      message:
        "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued before the user's sessions were revoked.",
    }),
} as const;
