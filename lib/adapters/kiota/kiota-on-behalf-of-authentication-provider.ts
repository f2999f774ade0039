import { OnBehalfOfError } from "../../util/errors.js";
import type {
  OnBehalfOfAuthenticationProvider,
  OnBehalfOfTokenOptions,
} from "../graph/on-behalf-of-authentication-provider.js";
import { normalizeScopes } from "../../request/scopes.js";
import { normalizeAllowedHosts, requestTarget } from "./allowed-hosts.js";
import { decodeChallengeClaims } from "./challenge-claims.js";
import type { KiotaRequestInformation } from "./kiota-types.js";
import { OnBehalfOfRequestOption } from "./request-options.js";

/** Options of {@link KiotaOnBehalfOfAuthenticationProvider}. */
export interface KiotaOnBehalfOfAuthenticationProviderOptions {
  /**
   * The hosts whose requests get a token: host names only (no scheme, port or path), compared
   * case-insensitively with the request URL's host. Requests to any other host go out without a
   * token, and the provider is not called. An empty list is refused.
   *
   * @defaultValue {@link GRAPH_HOSTS}, the Microsoft Graph hosts of every cloud
   */
  readonly allowedHosts?: ReadonlySet<string> | readonly string[] | undefined;
  /**
   * The scopes of this client's requests instead of the provider's default; a request option can
   * still name others.
   */
  readonly scopes?: readonly string[] | undefined;
  /**
   * A long-running session's key (`startSession`): every request of this client gets the
   * session's token, with no incoming request (a background job's client). A request option can
   * still name another session.
   */
  readonly session?: string | undefined;
}

/**
 * An `AuthenticationProvider` for the Kiota-based Microsoft Graph SDK (`@microsoft/msgraph-sdk`)
 * backed by an {@link OnBehalfOfAuthenticationProvider}: the same On-Behalf-Of engine, token cache
 * and agent identities as the Graph v3 client, for the current user of the request context.
 *
 * @remarks
 * - Per-request token options (agent identity, token kind, scopes, user assertion) travel as a
 *   request option: {@link agentIdentityOption}, {@link agentUserOption},
 *   {@link withoutAgentIdentityOption}, {@link onBehalfOfOption}.
 * - Continuous Access Evaluation: when Graph answers `401` with an `insufficient_claims`
 *   challenge, the Kiota client authenticates the request once more with the challenge's claims;
 *   this provider then drops the old `Authorization` header and asks for a token acquired with
 *   those claims (bypassing and replacing the cached one). Graph only sends such challenges for
 *   tokens requested with the client capability `cp1` (the provider's `clientCapabilities`).
 * - Only `https` requests to `allowedHosts` get a token; plain `http` is refused with
 *   `ERR_OBO_CONFIGURATION`, except to `localhost`, `127.0.0.1` and `[::1]`.
 * - A request that already carries an `Authorization` header is left as it is.
 *
 * @example
 * ```ts
 * import { createGraphServiceClient, GraphRequestAdapter } from "@microsoft/msgraph-sdk";
 * import "@microsoft/msgraph-sdk-users";
 * import { OnBehalfOfAuthenticationProvider } from "graph-obo-auth";
 * import { KiotaOnBehalfOfAuthenticationProvider, agentIdentityOption } from "graph-obo-auth/kiota";
 *
 * const provider = new OnBehalfOfAuthenticationProvider({ clientId, tenantId, clientSecret });
 * const graph = createGraphServiceClient(
 *   new GraphRequestAdapter(new KiotaOnBehalfOfAuthenticationProvider(provider)),
 * );
 * // inside a request handled under runWithUserAssertion(...):
 * const me = await graph.me.get();
 * const manager = await graph.me.manager.get({ options: [agentIdentityOption(AGENT_ID)] });
 * ```
 */
export class KiotaOnBehalfOfAuthenticationProvider {
  readonly #provider: Pick<OnBehalfOfAuthenticationProvider, "getAccessToken">;
  readonly #allowedHosts: ReadonlySet<string>;
  readonly #scopes: readonly string[] | undefined;
  readonly #session: string | undefined;

  /**
   * @param provider - the On-Behalf-Of provider whose engine and cache serve the tokens
   * @param options - allowed hosts and scopes
   * @throws `OnBehalfOfError` `ERR_OBO_CONFIGURATION` for a malformed option
   */
  public constructor(
    provider: Pick<OnBehalfOfAuthenticationProvider, "getAccessToken">,
    options: KiotaOnBehalfOfAuthenticationProviderOptions = {},
  ) {
    if (typeof (provider as Partial<typeof provider> | undefined)?.getAccessToken !== "function") {
      throw new OnBehalfOfError(
        "ERR_OBO_CONFIGURATION",
        "KiotaOnBehalfOfAuthenticationProvider needs an OnBehalfOfAuthenticationProvider.",
        { option: "provider" },
      );
    }
    this.#provider = provider;
    this.#allowedHosts = normalizeAllowedHosts(options.allowedHosts);
    this.#scopes =
      options.scopes === undefined ? undefined : normalizeScopes(options.scopes, "scopes");
    this.#session = options.session;
  }

  /** The hosts whose requests get a token, lower-cased. */
  public get allowedHosts(): readonly string[] {
    return [...this.#allowedHosts];
  }

  /**
   * Adds `Authorization: Bearer <token>` to a request for an allowed host. The Kiota request
   * adapter calls it before sending each request, and once more with
   * `additionalAuthenticationContext.claims` after a claims challenge.
   *
   * @param request - Kiota's `RequestInformation`
   * @param additionalAuthenticationContext - `{ claims }` (base64, as Graph sent them) on a CAE retry
   * @throws `OnBehalfOfError` when no token can be had, or for a plain-`http` URL
   */
  public async authenticateRequest(
    request: KiotaRequestInformation,
    additionalAuthenticationContext?: Record<string, unknown>,
  ): Promise<void> {
    const target = requestTarget(request.URL, this.#allowedHosts);
    if (!target.allowed) return;
    if (!target.secure) {
      throw new OnBehalfOfError(
        "ERR_OBO_CONFIGURATION",
        `Refusing to send a token to ${target.host} over plain http: only https URLs (and http to localhost) get a token.`,
        { option: "baseUrl" },
      );
    }
    const claims = decodeChallengeClaims(additionalAuthenticationContext?.claims);
    if (claims !== undefined) request.headers.delete("Authorization");
    else if (request.headers.has("Authorization")) return;
    const token = await this.#provider.getAccessToken(this.#tokenOptions(request, claims));
    request.headers.add("Authorization", `Bearer ${token}`);
  }

  #tokenOptions(
    request: KiotaRequestInformation,
    claims: string | undefined,
  ): OnBehalfOfTokenOptions {
    const option: unknown = request.getRequestOptions()[OnBehalfOfRequestOption.KEY];
    const perRequest = (option as Partial<OnBehalfOfRequestOption> | undefined)?.tokenOptions;
    return {
      ...(this.#scopes === undefined ? {} : { scopes: [...this.#scopes] }),
      ...(this.#session === undefined ? {} : { session: this.#session }),
      ...(typeof perRequest === "object" ? perRequest : {}),
      ...(claims === undefined ? {} : { claims }),
    };
  }
}
