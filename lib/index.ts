/**
 * On-Behalf-Of authentication for the Microsoft Graph JS client: exchange the signed-in user's
 * incoming access token for a Graph token with msal-node, cache it per user, and return it.
 *
 * @packageDocumentation
 */
export {
  OnBehalfOfAuthenticationProvider,
  type OnBehalfOfTokenOptions,
} from "./on-behalf-of-authentication-provider.js";
export type {
  OnBehalfOfAuthenticationProviderOptions,
  UserAssertionAccessor,
  MsalAuthorityOptions,
} from "./options.js";
export type { ClientCertificate, ClientAssertionProvider } from "./msal/credentials.js";
export {
  OnBehalfOfError,
  isOnBehalfOfError,
  type OnBehalfOfErrorCode,
  type OnBehalfOfErrorDetails,
  type TokenRequestLeg,
} from "./errors.js";
export type { Logger, LogLevelName } from "./logger.js";
export type { CachedToken, TokenCache } from "./cache/token-cache.js";
export { MemoryTokenCache, type MemoryTokenCacheOptions } from "./cache/memory-token-cache.js";
export type { TokenStats, TokenCacheEvent } from "./cache/token-engine.js";
export { runWithUserAssertion, currentUserAssertion } from "./request-context.js";
export {
  withAgentIdentity,
  withAgentUser,
  withoutAgentIdentity,
  type AgentRequestOptions,
  type AgentIdentityRequestOptions,
  type PlainRequestOptions,
} from "./agent/middleware-options.js";
export type { AgentTokenKind, AgentUser, AgentTokenOptions } from "./agent/agent-selection.js";
export type { AgentClientStats } from "./agent/agent-client-pool.js";
