import type {
  AuthenticationProvider,
  AuthenticationProviderOptions,
} from "@microsoft/microsoft-graph-client";
import type { AgentStats } from "../../acquisition/agent-grants.js";
import type { TokenStats } from "../../cache/token-engine.js";
import type { OnBehalfOfAuthenticationProviderOptions } from "../../options/provider-options.js";
import { resolveOptions } from "../../options/resolve-options.js";
import { TokenPipeline, type StartSessionOptions } from "../../pipeline/token-pipeline.js";
import type { SessionInfo, SessionUser } from "../../session/sessions.js";
import type { TokenOptions } from "../../request/token-options.js";
import {
  asTokenCredential,
  type AsTokenCredentialOptions,
} from "../token-credential/as-token-credential.js";
import type { OnBehalfOfTokenCredential } from "../token-credential/token-credential-types.js";

export type { StartSessionOptions };

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
   * Starts a long-running session for the current user: exchanges the user's assertion (plain
   * On-Behalf-Of, or as an agent identity) with `offline_access`, keeps Entra's refresh token in
   * the token cache's session store, and returns the session's key. Later,
   * `getAccessToken({ session: key })` (or the same option through the Graph middleware, Kiota or
   * TokenCredential adapters) returns tokens for the user with no incoming request, until the
   * session ends, expires (`sessions` option) or Entra revokes it.
   *
   * @remarks
   * The key (`obs1.` and 256 random bits) is a bearer secret: keep it with the job, never log it.
   * The store keeps only a keyed hash of it.
   *
   * @param options - scopes (the session's default scopes), user assertion, agent identity
   * @returns the session key
   * @throws {@link OnBehalfOfError} as `getAccessToken`; `ERR_OBO_CONFIGURATION` for app-only or
   *   agent-user tokens, which have no user to keep a session for
   *
   * @example
   * ```ts
   * const session = await authProvider.startSession({ scopes: ["User.Read"] });
   * queue.push({ job: "report", session }); // later, anywhere:
   * const token = await authProvider.getAccessToken({ session });
   * ```
   */
  public startSession(options?: StartSessionOptions): Promise<string> {
    return this.#pipeline.startSession(options);
  }

  /**
   * Ends a long-running session: its key gets no token any more, on any instance sharing the
   * store.
   *
   * @param session - the session key
   * @returns whether there was such a session (`false` when it had ended or expired already)
   * @throws {@link OnBehalfOfError} `ERR_OBO_SESSION_NOT_FOUND` for a malformed key
   */
  // The session methods delegate to the pipeline (duplicates D9): the public TSDoc lives here.
  public endSession(session: string): Promise<boolean> {
    return this.#pipeline.endSession(session);
  }

  /**
   * The live long-running sessions of a user, by tenant id and object id (the `tid` and `oid` of
   * the user's token). Neither keys nor tokens are listed.
   *
   * @param user - the user's `tid` and `oid`
   */
  public listSessions(user: SessionUser): Promise<readonly SessionInfo[]> {
    return this.#pipeline.listSessions(user);
  }

  /**
   * Ends every long-running session of a user: for sign-out or account deletion.
   *
   * @param user - the user's `tid` and `oid`
   * @returns how many sessions were ended
   */
  public endUserSessions(user: SessionUser): Promise<number> {
    return this.#pipeline.endUserSessions(user);
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
