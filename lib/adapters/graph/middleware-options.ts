import { AuthenticationHandlerOptions } from "@microsoft/microsoft-graph-client";
import type { OnBehalfOfTokenOptions } from "./on-behalf-of-authentication-provider.js";
import type { AgentUser } from "../../request/agent-selection.js";

/** Per-request options that can go with an agent identity choice. */
export interface AgentRequestOptions {
  /** Scopes for this request instead of the provider's default. */
  readonly scopes?: string[] | undefined;
  /**
   * For `app-only` and `agent-user` tokens of a multi-tenant provider: the agent identity's
   * tenant id.
   */
  readonly tenantId?: string | undefined;
}

/** Options of {@link withAgentIdentity}. */
export interface AgentIdentityRequestOptions extends AgentRequestOptions {
  /**
   * `"obo"` for the signed-in user's token (the default), `"app-only"` for the agent identity's
   * own token. For the agent's user account, use {@link withAgentUser}.
   *
   * @defaultValue `"obo"`
   */
  readonly tokenKind?: "obo" | "app-only" | undefined;
  /** For `obo`: the user assertion for this request instead of the accessor's. */
  readonly userAssertion?: string | undefined;
}

/** Options of {@link withoutAgentIdentity}. */
export interface PlainRequestOptions {
  /** Scopes for this request instead of the provider's default. */
  readonly scopes?: string[] | undefined;
  /** The user assertion for this request instead of the accessor's. */
  readonly userAssertion?: string | undefined;
}

function handlerOptions(options: object): AuthenticationHandlerOptions {
  // The Graph client hands this very object to the provider's getAccessToken.
  return new AuthenticationHandlerOptions(undefined, Object.freeze({ ...options }));
}

/**
 * Graph request options that make one request act as an agent identity: on behalf of the
 * signed-in user (the default), or with the agent identity's own app-only token.
 *
 * @remarks
 * A Graph request keeps one `AuthenticationHandlerOptions`, so give per-request scopes here too.
 * The agent id is validated when the token is requested: a malformed one rejects the request with
 * `ERR_OBO_CONFIGURATION`, before any network call.
 *
 * @param agentId - the agent identity's client id (a GUID)
 * @param options - the token kind and per-request scopes
 * @returns options for `graph.api(...).middlewareOptions([...])`
 *
 * @example
 * ```ts
 * await graph.api("/me/manager").middlewareOptions([withAgentIdentity(OTHER_AGENT_ID)]).get();
 * await graph
 *   .api("/users")
 *   .middlewareOptions([withAgentIdentity(AGENT_ID, { tokenKind: "app-only" })])
 *   .get();
 * ```
 */
export function withAgentIdentity(
  agentId: string,
  options: AgentIdentityRequestOptions = {},
): AuthenticationHandlerOptions {
  return handlerOptions({ ...options, agentIdentity: agentId });
}

/**
 * Graph request options that make one request use a token for an agent's user account (the
 * `user_fic` grant): the agent identity acts as its own user, named by UPN or object id. No
 * signed-in user is involved.
 *
 * @param agentId - the agent identity's client id (a GUID)
 * @param user - `{ upn }` or `{ objectId }` of the agent's user account, not both
 * @param options - per-request scopes, and the tenant for a multi-tenant provider
 * @returns options for `graph.api(...).middlewareOptions([...])`
 *
 * @example
 * ```ts
 * await graph
 *   .api("/me/messages")
 *   .middlewareOptions([withAgentUser(AGENT_ID, { upn: "agent-user@contoso.com" })])
 *   .get();
 * ```
 */
export function withAgentUser(
  agentId: string,
  user: AgentUser,
  options: AgentRequestOptions = {},
): AuthenticationHandlerOptions {
  return handlerOptions({ ...options, agentIdentity: agentId, agentUser: user });
}

/**
 * Graph request options that opt one request out of the provider's default agent identity: a
 * plain On-Behalf-Of exchange as the configured application (the agent identity blueprint).
 *
 * @param options - per-request scopes or user assertion
 * @returns options for `graph.api(...).middlewareOptions([...])`
 *
 * @example
 * ```ts
 * await graph.api("/me").middlewareOptions([withoutAgentIdentity()]).get();
 * ```
 */
export function withoutAgentIdentity(
  options: PlainRequestOptions = {},
): AuthenticationHandlerOptions {
  return handlerOptions({ ...options, agentIdentity: null });
}

/**
 * Graph request options with any of the provider's per-request token options, typed: `scopes`,
 * `userAssertion`, `claims`, `abortSignal` and the agent choices `agentIdentity` (`null` opts out
 * of the default), `tokenKind`, `agentUser` and `tenantId`.
 *
 * @remarks
 * The Graph client types the second argument of `new AuthenticationHandlerOptions(...)` as its own
 * `AuthenticationProviderOptions`, which knows only `scopes`, so TypeScript refuses
 * `{ agentIdentity }` there (TS2353). This builds the same object with the provider's
 * {@link OnBehalfOfTokenOptions} type; the choices are validated when the token is requested
 * (`ERR_OBO_CONFIGURATION` before any network call).
 *
 * @param options - the per-request options of `OnBehalfOfAuthenticationProvider.getAccessToken`
 * @returns options for `graph.api(...).middlewareOptions([...])`
 *
 * @example
 * ```ts
 * await graph
 *   .api("/me/messages")
 *   .middlewareOptions([withTokenOptions({ scopes: ["Mail.Read"], agentIdentity: AGENT_ID })])
 *   .get();
 * ```
 */
export function withTokenOptions(options: OnBehalfOfTokenOptions): AuthenticationHandlerOptions {
  return handlerOptions(options);
}
