import type { AgentTokenOptions } from "./agent-selection.js";

/**
 * Per-request options of a token acquisition, independent of any Graph client: the Graph v3
 * adapter's {@link OnBehalfOfTokenOptions}, the Kiota adapter and the `TokenCredential` adapter
 * all come down to these.
 */
export interface TokenOptions extends AgentTokenOptions {
  /** Scopes for this request instead of the provider's default. */
  scopes?: string[] | readonly string[] | undefined;
  /** The user assertion for this request instead of the accessor's. */
  userAssertion?: string | undefined;
  /**
   * Claims a resource demanded in a claims challenge (Continuous Access Evaluation), as JSON text.
   * The token is then requested anew with them, bypassing the cache, and replaces the cached one.
   */
  claims?: string | undefined;
  /**
   * A long-running session's key (from `startSession`): the token is the session's, with no
   * incoming request and no user assertion. Not with `userAssertion`, `agentIdentity`,
   * `tokenKind`, `agentUser` or `tenantId`.
   */
  session?: string | undefined;
  /** Stops waiting for the token; the call fails with `ERR_OBO_ABORTED`. */
  abortSignal?: AbortSignal | undefined;
  /**
   * The correlation id of this acquisition (a GUID), for example the incoming request's id: sent
   * to Entra as `client-request-id` on every leg and retry, written in the log lines and set on
   * errors as `correlationId`. A request that joins another caller's acquisition of the same token
   * shares that caller's id.
   *
   * @defaultValue a new GUID per acquisition
   */
  correlationId?: string | undefined;
}
