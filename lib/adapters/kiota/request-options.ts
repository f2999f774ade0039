import type {
  AgentIdentityRequestOptions,
  AgentRequestOptions,
  PlainRequestOptions,
} from "../graph/middleware-options.js";
import type { AgentUser } from "../../request/agent-selection.js";
import type { OnBehalfOfTokenOptions } from "../graph/on-behalf-of-authentication-provider.js";

/**
 * What one Kiota request can ask of the provider: the provider's per-request options, except the
 * claims of a Continuous Access Evaluation challenge, which the Kiota client supplies itself.
 */
export type OnBehalfOfRequestOptions = Omit<OnBehalfOfTokenOptions, "claims" | "abortSignal">;

/**
 * A Kiota `RequestOption` that carries per-request token options (agent identity, token kind,
 * scopes, user assertion) to {@link KiotaOnBehalfOfAuthenticationProvider}. Create it with
 * {@link agentIdentityOption}, {@link agentUserOption}, {@link withoutAgentIdentityOption} or
 * {@link onBehalfOfOption}.
 *
 * @remarks
 * Kiota keeps request options by key, so a request has at most one of these: the last one given
 * wins. The options are validated when the token is requested; a malformed one rejects the request
 * with `ERR_OBO_CONFIGURATION` before any network call.
 */
export class OnBehalfOfRequestOption {
  /** The key Kiota stores this option under. */
  public static readonly KEY = "graph-obo-auth.OnBehalfOfRequestOption";

  /** The per-request options handed to `OnBehalfOfAuthenticationProvider.getAccessToken`. */
  public readonly tokenOptions: Readonly<OnBehalfOfRequestOptions>;

  /**
   * @param tokenOptions - the per-request options; copied and frozen
   */
  public constructor(tokenOptions: OnBehalfOfRequestOptions) {
    this.tokenOptions = Object.freeze({ ...tokenOptions });
  }

  /**
   * Kiota's `RequestOption` key.
   *
   * @returns {@link OnBehalfOfRequestOption.KEY}
   */
  public getKey(): string {
    return OnBehalfOfRequestOption.KEY;
  }
}

/**
 * A request option that makes one Kiota request act as an agent identity: on behalf of the
 * signed-in user (the default), or with the agent identity's own app-only token. The Kiota
 * counterpart of `withAgentIdentity`.
 *
 * @param agentId - the agent identity's client id (a GUID)
 * @param options - the token kind, per-request scopes and user assertion
 * @returns an option for `{ options: [...] }` of any Kiota request
 *
 * @example
 * ```ts
 * await graph.me.manager.get({ options: [agentIdentityOption(OTHER_AGENT_ID)] });
 * await graph.users.get({ options: [agentIdentityOption(AGENT_ID, { tokenKind: "app-only" })] });
 * ```
 */
// Mirrors the Graph v3 helpers in ../graph/middleware-options.ts (duplicates D7): each SDK gets its
// own typed option helpers; both validate through the same resolveAgentSelection.
export function agentIdentityOption(
  agentId: string,
  options: AgentIdentityRequestOptions = {},
): OnBehalfOfRequestOption {
  return requestOption({ ...options, agentIdentity: agentId });
}

/**
 * A request option that makes one Kiota request use a token for an agent's user account (the
 * `user_fic` grant). The Kiota counterpart of `withAgentUser`.
 *
 * @param agentId - the agent identity's client id (a GUID)
 * @param user - `{ upn }` or `{ objectId }` of the agent's user account, not both
 * @param options - per-request scopes, and the tenant for a multi-tenant provider
 * @returns an option for `{ options: [...] }` of any Kiota request
 *
 * @example
 * ```ts
 * await graph.me.messages.get({
 *   options: [agentUserOption(AGENT_ID, { upn: "agent-user@contoso.com" })],
 * });
 * ```
 */
export function agentUserOption(
  agentId: string,
  user: AgentUser,
  options: AgentRequestOptions = {},
): OnBehalfOfRequestOption {
  return requestOption({ ...options, agentIdentity: agentId, agentUser: user });
}

/**
 * A request option that opts one Kiota request out of the provider's default agent identity: a
 * plain On-Behalf-Of exchange as the configured application. The Kiota counterpart of
 * `withoutAgentIdentity`.
 *
 * @param options - per-request scopes or user assertion
 * @returns an option for `{ options: [...] }` of any Kiota request
 *
 * @example
 * ```ts
 * await graph.me.get({ options: [withoutAgentIdentityOption()] });
 * ```
 */
export function withoutAgentIdentityOption(
  options: PlainRequestOptions = {},
): OnBehalfOfRequestOption {
  return requestOption({ ...options, agentIdentity: null });
}

/**
 * A request option with any per-request token options, for example other scopes while keeping
 * the provider's default agent identity.
 *
 * @param options - the per-request options of `OnBehalfOfAuthenticationProvider.getAccessToken`
 * @returns an option for `{ options: [...] }` of any Kiota request
 *
 * @example
 * ```ts
 * await graph.me.messages.get({ options: [onBehalfOfOption({ scopes: ["Mail.Read"] })] });
 * ```
 */
export function onBehalfOfOption(options: OnBehalfOfRequestOptions): OnBehalfOfRequestOption {
  return new OnBehalfOfRequestOption(options);
}

/**
 * The helpers' options, with properties whose value is `undefined` dropped (so that they override
 * nothing); they are validated when the token is requested.
 */
function requestOption(options: object): OnBehalfOfRequestOption {
  const defined = Object.entries(options).filter(([, value]) => value !== undefined);
  const tokenOptions: OnBehalfOfRequestOptions = Object.fromEntries(defined);
  return new OnBehalfOfRequestOption(tokenOptions);
}
