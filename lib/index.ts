/**
 * On-Behalf-Of authentication for the Microsoft Graph JS client: exchange the signed-in user's
 * incoming access token for a Graph token with msal-node, cache it per user, and return it.
 *
 * @packageDocumentation
 */
export {
  OnBehalfOfAuthenticationProvider,
  type OnBehalfOfTokenOptions,
  type StartSessionOptions,
} from "./adapters/graph/on-behalf-of-authentication-provider.js";
export type { SessionInfo, SessionUser } from "./session/sessions.js";
export type { SessionOptions } from "./session/session-options.js";
export type {
  OnBehalfOfAuthenticationProviderOptions,
  UserAssertionAccessor,
  MsalAuthorityOptions,
  RetryOptions,
  ProviderSettings,
  ClientCredentialOptions,
} from "./options/provider-options.js";
export type { CloudOptions } from "./options/authority.js";
export type { AbortableNetworkRequestOptions } from "./acquisition/msal/network-client.js";
export type {
  ClientCertificate,
  ClientAssertionProvider,
} from "./acquisition/credentials/client-credential.js";
export {
  OnBehalfOfError,
  isOnBehalfOfError,
  type OnBehalfOfErrorCode,
  type OnBehalfOfErrorDetails,
  type TokenRequestLeg,
} from "./util/errors.js";
export type { Logger, LogLevelName } from "./util/logger.js";
export type { CachedToken, TokenCache } from "./cache/token-cache.js";
export { MemoryTokenCache, type MemoryTokenCacheOptions } from "./cache/memory-token-cache.js";
export type { SessionLifetime, SessionRecord, SessionStore } from "./session/session-store.js";
export {
  MemorySessionStore,
  type MemorySessionStoreOptions,
  type MemorySessionStoreStats,
} from "./session/memory-session-store.js";
export type { TokenStats, TokenCacheEvent } from "./cache/token-engine.js";
export { runWithUserAssertion, currentUserAssertion } from "./request/request-context.js";
export {
  claimsChallengeResponse,
  parseClaimsChallenge,
  type ClaimsChallengeOptions,
  type ClaimsChallengeResponse,
} from "./util/claims-challenge.js";
export {
  claimsChallengeErrorHandler,
  type ChallengeResponseLike,
} from "./adapters/express/express-error-handler.js";
export {
  ContinuousAccessEvaluationHandler,
  type ClaimsAuthenticationProviderOptions,
} from "./adapters/graph/continuous-access-evaluation-handler.js";
export {
  createGraphClient,
  createGraphMiddleware,
  type CreateGraphClientOptions,
} from "./adapters/graph/create-graph-client.js";
export {
  diagnoseAccessToken,
  type Diagnosis,
  type DiagnosisFinding,
  type DiagnosisSeverity,
  type DiagnoseOptions,
} from "./diagnose/diagnose-access-token.js";
export {
  tokenCredentialClientAssertion,
  managedIdentityClientAssertion,
  workloadIdentityClientAssertion,
  TOKEN_EXCHANGE_SCOPES,
  type AssertionTokenCredential,
  type AssertionAccessToken,
  type FederatedAssertionOptions,
  type FederationCloud,
  type ManagedIdentityAssertionOptions,
  type WorkloadIdentityAssertionOptions,
} from "./acquisition/credentials/token-credential-assertion.js";
export {
  withAgentIdentity,
  withAgentUser,
  withoutAgentIdentity,
  withTokenOptions,
  type AgentRequestOptions,
  type AgentIdentityRequestOptions,
  type PlainRequestOptions,
} from "./adapters/graph/middleware-options.js";
export type { AgentTokenKind, AgentUser, AgentTokenOptions } from "./request/agent-selection.js";
export type { AgentClientStats } from "./acquisition/client-pool.js";
export type { AgentStats } from "./acquisition/agent-grants.js";
export type { CredentialTokenStats } from "./acquisition/exchange-tokens.js";
export type { TokenOptions } from "./request/token-options.js";
export {
  validateAccessToken,
  createAccessTokenValidator,
  requireAccessToken,
  describeCaller,
  type CallerDescription,
  type CallerKind,
  type AccessTokenValidator,
  type AccessTokenClaims,
  type AccessTokenValidationOptions,
  type AccessTokenKeySource,
  type CertificateAuthorities,
  type RequireAccessTokenOptions,
  type AccessTokenMiddleware,
  type AccessTokenRequest,
  type AccessTokenResponse,
} from "./validation/index.js";
export {
  asTokenCredential,
  type AsTokenCredentialOptions,
} from "./adapters/token-credential/as-token-credential.js";
export type {
  OnBehalfOfTokenCredential,
  GetTokenOptionsLike,
  AccessTokenLike,
  AbortSignalLike,
} from "./adapters/token-credential/token-credential-types.js";
