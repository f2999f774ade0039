import { hash, randomUUID } from "node:crypto";
import { ConfidentialClientApplication, type Configuration } from "@azure/msal-node";
import type {
  AuthenticationProvider,
  AuthenticationProviderOptions,
} from "@microsoft/microsoft-graph-client";
import { authorityUrl, isGuid } from "./authority.js";
import { MemoryTokenCache } from "./cache/memory-token-cache.js";
import { TokenEngine, type FetchedToken, type TokenStats } from "./cache/token-engine.js";
import { OnBehalfOfError, configurationError } from "./errors.js";
import { createLogger, msalLoggerOptions, type InternalLogger } from "./logger.js";
import { toOnBehalfOfError } from "./msal/msal-errors.js";
import {
  resolveOptions,
  type OnBehalfOfAuthenticationProviderOptions,
  type ResolvedOptions,
} from "./options.js";
import { currentUserAssertion } from "./request-context.js";
import { normalizeScopes, scopesKey } from "./scopes.js";
import { cleanUserAssertion, inspectUserAssertion } from "./user-assertion.js";

/**
 * Per-request options. The Graph client passes them from
 * `.middlewareOptions([new AuthenticationHandlerOptions(undefined, options)])`.
 */
export interface OnBehalfOfTokenOptions extends AuthenticationProviderOptions {
  /** Scopes for this request instead of the provider's default. */
  scopes?: string[];
  /** The user assertion for this request instead of the accessor's. */
  userAssertion?: string;
}

/** What a token fetch needs. @internal */
interface OboRequest {
  readonly assertion: string;
  readonly scopes: readonly string[];
}

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === "function";
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
  readonly #options: ResolvedOptions;
  readonly #log: InternalLogger;
  readonly #msal: ConfidentialClientApplication;
  readonly #engine: TokenEngine<OboRequest>;
  readonly #keyPrefix: string;
  readonly #defaultScopesKey: string;

  /**
   * @param options - client, tenant, credential and behaviour; validated here
   * @throws {@link OnBehalfOfError} `ERR_OBO_CONFIGURATION` naming the offending option
   */
  public constructor(options: OnBehalfOfAuthenticationProviderOptions) {
    this.#options = resolveOptions(options);
    this.#log = createLogger(this.#options.logger);
    this.#msal = this.#createMsalClient();
    this.#engine = new TokenEngine<OboRequest>({
      cache: this.#options.tokenCache ?? new MemoryTokenCache(),
      fetch: (request) => this.#exchange(request),
      log: this.#log,
      now: Date.now,
      expirySkewMs: this.#options.expirySkewMs,
      refreshAheadMs: this.#options.refreshAheadMs,
      clockSkewMs: this.#options.clockSkewMs,
      onEvent: this.#options.onCacheEvent,
    });
    const { authority, clientId } = this.#options;
    this.#keyPrefix = `obo|${authority.host}|${authority.tenant}|${clientId}|`;
    this.#defaultScopesKey = scopesKey(this.#options.scopes);
  }

  /**
   * Returns an access token for Microsoft Graph on behalf of the current user. The Graph client
   * calls it before every request.
   *
   * @param options - per-request scopes or user assertion
   * @returns the bearer token
   * @throws {@link OnBehalfOfError} with one of the `ERR_OBO_*` codes
   */
  public async getAccessToken(options?: OnBehalfOfTokenOptions): Promise<string> {
    let scopes = this.#options.scopes;
    let scopeKey = this.#defaultScopesKey;
    if (options?.scopes !== undefined) {
      scopes = normalizeScopes(options.scopes, "scopes");
      scopeKey = scopesKey(scopes);
    }
    const assertion = await this.#readUserAssertion(options?.userAssertion);
    const key = `${this.#keyPrefix}${hash("sha256", assertion, "base64url")}|${scopeKey}`;
    return this.#engine.acquire({ key, request: { assertion, scopes } });
  }

  /**
   * Counters of the token cache and of token requests: hits, misses, coalesced waits, refreshes,
   * evictions and requests sent.
   */
  public stats(): TokenStats {
    return this.#engine.stats();
  }

  async #readUserAssertion(perRequest: string | undefined): Promise<string> {
    let raw: unknown = perRequest;
    if (raw === undefined) {
      const accessor = this.#options.getUserAssertion ?? currentUserAssertion;
      try {
        const value = accessor();
        raw = isPromiseLike(value) ? await value : value;
      } catch (cause) {
        throw new OnBehalfOfError(
          "ERR_OBO_USER_ASSERTION_MISSING",
          "getUserAssertion failed, so there is no incoming access token to exchange.",
          { cause },
        );
      }
    }
    const assertion = cleanUserAssertion(raw);
    if (assertion === undefined) {
      throw new OnBehalfOfError(
        "ERR_OBO_USER_ASSERTION_MISSING",
        this.#options.getUserAssertion === undefined
          ? "No incoming access token for this request. Run the request inside runWithUserAssertion() " +
              "(or the validation middleware), or give the provider a getUserAssertion option."
          : "getUserAssertion returned no incoming access token for this request.",
      );
    }
    return assertion;
  }

  #resolveTenant(claimedTenant: string | undefined): string {
    const { authority, allowedTenants } = this.#options;
    if (!authority.multiTenant) return authority.tenant;
    if (claimedTenant === undefined || !isGuid(claimedTenant)) {
      throw new OnBehalfOfError(
        "ERR_OBO_USER_ASSERTION_MALFORMED",
        "The user assertion has no tenant id (tid claim), which a multi-tenant API needs to route the exchange.",
      );
    }
    if (allowedTenants !== undefined && !allowedTenants.has(claimedTenant)) {
      throw new OnBehalfOfError(
        "ERR_OBO_TENANT_NOT_ALLOWED",
        `The caller's tenant ${claimedTenant} is not in allowedTenants.`,
      );
    }
    return claimedTenant;
  }

  async #exchange(request: OboRequest): Promise<FetchedToken> {
    const info = inspectUserAssertion(request.assertion, Date.now(), this.#options.clockSkewMs);
    const tenant = this.#resolveTenant(info.tenantId);
    const correlationId = randomUUID();
    this.#log.info(
      `requesting an On-Behalf-Of token (tenant=${tenant}, correlationId=${correlationId})`,
    );
    this.#engine.countTokenRequest("obo");
    try {
      const result = await this.#msal.acquireTokenOnBehalfOf({
        oboAssertion: request.assertion,
        scopes: [...request.scopes],
        authority: authorityUrl(this.#options.authority, tenant),
        correlationId,
        skipCache: true,
      });
      if (result?.accessToken === undefined || result.accessToken === "") {
        throw new OnBehalfOfError(
          "ERR_OBO_TOKEN_REQUEST_FAILED",
          "Entra returned no access token.",
          {
            leg: "obo",
            correlationId,
          },
        );
      }
      return {
        accessToken: result.accessToken,
        expiresAt: result.expiresOn?.getTime() ?? Date.now() + 3_600_000,
        assertionExpiresAt: info.expiresAtMs,
      };
    } catch (error) {
      const failure = toOnBehalfOfError(error, "obo", correlationId);
      this.#log.warn(
        `On-Behalf-Of exchange failed: ${failure.code} ${failure.error ?? ""} (correlationId=${failure.correlationId ?? correlationId})`,
      );
      throw failure;
    } finally {
      // Our cache is the cache: keep MSAL's store (and its cross-user throttle entries) empty.
      this.#msal.clearCache();
    }
  }

  #createMsalClient(): ConfidentialClientApplication {
    const { clientId, authority, credential, msalSystemOptions, msalAuthorityOptions } =
      this.#options;
    const configuration: Configuration = {
      auth: {
        clientId,
        authority: authorityUrl(
          authority,
          authority.multiTenant ? "organizations" : authority.tenant,
        ),
        ...credential,
        ...(msalAuthorityOptions ?? {}),
      },
      system: {
        ...(msalSystemOptions ?? {}),
        loggerOptions: msalLoggerOptions(this.#log),
      },
    };
    try {
      return new ConfidentialClientApplication(configuration);
    } catch (cause) {
      throw configurationError("authority", "was refused by MSAL.", cause);
    }
  }
}
