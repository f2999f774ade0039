import type {
  AuthenticationProvider,
  AuthenticationProviderOptions,
} from "@microsoft/microsoft-graph-client";
import type { AgentStats } from "../../acquisition/agent-grants.js";
import type { TokenStats } from "../../cache/token-engine.js";
import type { OnBehalfOfAuthenticationProviderOptions } from "../../options/provider-options.js";
import { resolveOptions } from "../../options/resolve-options.js";
import { TokenPipeline } from "../../pipeline/token-pipeline.js";
import type { TokenOptions } from "../../request/token-options.js";
import {
  asTokenCredential,
  type AsTokenCredentialOptions,
} from "../token-credential/as-token-credential.js";
import type { OnBehalfOfTokenCredential } from "../token-credential/token-credential-types.js";

/**
 * Per-request options. The Graph client passes them from
 * `.middlewareOptions([new AuthenticationHandlerOptions(undefined, options)])`, or from the
 * agent-identity helpers `withAgentIdentity()`, `withAgentUser()` and `withoutAgentIdentity()`.
 */
export interface OnBehalfOfTokenOptions extends AuthenticationProviderOptions, TokenOptions {
  /** Scopes for this request instead of the provider's default. */
  scopes?: string[];
}

/**
 * An `AuthenticationProvider` for the Microsoft Graph JS client (v3) that calls Graph on behalf of
 * the signed-in user of a web API: it exchanges the user's incoming access token through
 * `@azure/msal-node`'s On-Behalf-Of flow and caches the result per user.
 *
 * @remarks
 * Create one provider per application and credential and share it across requests: the user is
 * read anew on every Graph request from `getUserAssertion` (by default the request context, see
 * {@link runWithUserAssertion}). A cache hit costs a SHA-256 of the assertion and one map lookup.
 * Concurrent misses for the same user and scopes share one token request.
 *
 * @example
 * ```ts
 * import { Client } from "@microsoft/microsoft-graph-client";
 * import { OnBehalfOfAuthenticationProvider } from "graph-obo-auth";
 *
 * const authProvider = new OnBehalfOfAuthenticationProvider({
 *   clientId: process.env.API_CLIENT_ID!,
 *   tenantId: process.env.TENANT_ID!,
 *   clientSecret: process.env.API_CLIENT_SECRET!,
 *   getUserAssertion: () => incomingAccessToken(),
 * });
 * const graph = Client.initWithMiddleware({ authProvider });
 * const me = await graph.api("/me").get();
 * ```
 */
export class OnBehalfOfAuthenticationProvider implements AuthenticationProvider {
  readonly #pipeline: TokenPipeline;

  /**
   * @param options - client, tenant, credential and behaviour; validated here
   * @throws {@link OnBehalfOfError} `ERR_OBO_CONFIGURATION` naming the offending option
   */
  public constructor(options: OnBehalfOfAuthenticationProviderOptions) {
    this.#pipeline = new TokenPipeline(resolveOptions(options));
  }

  /**
   * Returns an access token for Microsoft Graph on behalf of the current user. The Graph client
   * calls it before every request.
   *
   * @remarks
   * With agent identities (the `agentIdentity` option, or per request), the token is the agent
   * identity's: on behalf of the current user (`tokenKind` `"obo"`, the default), its own app-only
   * token (`"app-only"`), or its user account's (`"agent-user"`, with `agentUser`). The last two
   * never read the user assertion.
   *
   * @param options - per-request scopes, user assertion or agent identity
   * @returns the bearer token
   * @throws {@link OnBehalfOfError} with one of the `ERR_OBO_*` codes
   *
   * @example
   * ```ts
   * const token = await authProvider.getAccessToken({ agentIdentity: AGENT_ID, tokenKind: "app-only" });
   * ```
   */
  public getAccessToken(options?: OnBehalfOfTokenOptions): Promise<string> {
    return this.#pipeline.acquire(options);
  }

  /**
   * This provider as an Azure `TokenCredential`, for Azure SDK clients, Graph v3's
   * `TokenCredentialAuthenticationProvider` or Kiota's `AzureIdentityAuthenticationProvider`.
   * Same as {@link asTokenCredential}`(this, options)`.
   *
   * @remarks
   * Azure SDK clients cache one token per client: create them per request with a bound
   * `userAssertion`, never share one between users.
   *
   * @param options - what to bind for every call (user assertion, agent identity, token kind, tenant)
   */
  public asTokenCredential(options?: AsTokenCredentialOptions): OnBehalfOfTokenCredential {
    return asTokenCredential(this, options);
  }

  /**
   * Counters of the agent identities' MSAL clients: how many are held (at most
   * `maxAgentClients`), created and evicted.
   */
  public agentStats(): AgentStats {
    return this.#pipeline.agentStats();
  }

  /**
   * Counters of the token cache and of token requests: hits, misses, coalesced waits, refreshes,
   * evictions and requests sent.
   */
  public stats(): TokenStats {
    return this.#pipeline.stats();
  }
}
