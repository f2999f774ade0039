import type { NodeSystemOptions } from "@azure/msal-node";
import { agentId } from "./agent/agent-selection.js";
import {
  isGuid,
  resolveAuthority,
  type CloudOptions,
  type ResolvedAuthority,
} from "./authority.js";
import { configurationError } from "./errors.js";
import type { TokenCache } from "./cache/token-cache.js";
import type { TokenCacheEvent } from "./cache/token-engine.js";
import type { Logger } from "./logger.js";
import type { RequestPolicy } from "./agent/token-leg.js";
import {
  resolveCredential,
  type ClientAssertionProvider,
  type ClientCertificate,
  type MsalCredential,
} from "./msal/credentials.js";
import { normalizeScopes } from "./scopes.js";
import { resolveProxy, type ProxyRoute } from "./msal/proxy.js";
import { DEFAULT_MAX_TOKEN_BYTES } from "./token-limits.js";
import type { AssertionRules } from "./user-assertion.js";
import type { SessionOptions } from "./session/session-options.js";

/** Returns the current request's incoming access token, or nothing outside a request. */
export type UserAssertionAccessor = () =>
  string | undefined | null | PromiseLike<string | undefined | null>;

/**
 * MSAL authority settings for a sign-in host MSAL does not know, such as the local emulator. Not
 * needed for Microsoft's clouds.
 */
export interface MsalAuthorityOptions {
  /** Hosts (with port) MSAL may trust without instance discovery. */
  readonly knownAuthorities?: string[];
  /** OpenID metadata of the configured authority, as a JSON string, to skip discovery. */
  readonly authorityMetadata?: string;
  /** Instance discovery metadata, as a JSON string. */
  readonly cloudDiscoveryMetadata?: string;
}

/**
 * Options of {@link OnBehalfOfAuthenticationProvider}. Give `tenantId` or `authority`, and exactly
 * one credential.
 */
export interface OnBehalfOfAuthenticationProviderOptions {
  /** The web API's application (client) id. */
  readonly clientId: string | undefined;
  /**
   * The tenant: a GUID, a verified domain, or `"organizations"`/`"common"` for a multi-tenant API,
   * whose requests then go to each caller's own tenant (the token's `tid`).
   */
  readonly tenantId?: string | undefined;
  /**
   * The authority URL, which also selects the cloud: `https://login.microsoftonline.com/<tenant>`,
   * `https://login.microsoftonline.us/<tenant>` (US Government; also `login.usgovcloudapi.net`),
   * `https://login.chinacloudapi.cn/<tenant>` (China), `https://login.sovcloud-identity.fr/<tenant>`
   * (France) or `https://login.sovcloud-identity.de/<tenant>` (Germany); any other host needs
   * `cloud`. Either carries the tenant, or goes with `tenantId`.
   *
   * @defaultValue `https://login.microsoftonline.com/<tenantId>`
   */
  readonly authority?: string | undefined;
  /**
   * The cloud of a sign-in host this package does not know: its Microsoft Graph endpoint and its
   * token-exchange scope. Required for such a host (`ERR_OBO_CONFIGURATION` otherwise); for a
   * known host it replaces the host's defaults (for example US Government DoD's Graph,
   * `https://dod-graph.microsoft.us`, which shares `login.microsoftonline.us`).
   *
   * @defaultValue the cloud of the `authority` host: public, US Government, China, France
   * (Bleu) or Germany (Delos)
   */
  readonly cloud?: CloudOptions | undefined;
  /** A client secret (development; prefer a certificate or a federated assertion in production). */
  readonly clientSecret?: string | undefined;
  /** A certificate credential. */
  readonly clientCertificate?: ClientCertificate | undefined;
  /** A client assertion, or a callback that returns one (for example a managed identity token). */
  readonly clientAssertion?: string | ClientAssertionProvider | undefined;
  /**
   * Returns the caller's incoming access token; read anew on every Graph request. A leading
   * `Bearer ` is stripped.
   *
   * @defaultValue {@link currentUserAssertion}, the request context's token
   */
  readonly getUserAssertion?: UserAssertionAccessor | undefined;
  /**
   * The scopes requested when a request names none.
   *
   * @defaultValue `["https://graph.microsoft.com/.default"]` (the cloud's Graph for other clouds)
   */
  readonly scopes?: readonly string[] | undefined;
  /**
   * For multi-tenant APIs: the only tenant ids whose users may be served. Others get
   * `ERR_OBO_TENANT_NOT_ALLOWED` before any network call.
   */
  readonly allowedTenants?: readonly string[] | undefined;
  /**
   * Tolerance for clock differences when checking the user assertion's expiry, in milliseconds.
   *
   * @defaultValue 60000
   */
  readonly clockSkewMs?: number | undefined;
  /**
   * A cached token is not served within this margin of its expiry, in milliseconds.
   *
   * @defaultValue 120000
   */
  readonly expirySkewMs?: number | undefined;
  /**
   * A cached token is renewed in the background this long before it expires (at most half its
   * lifetime), in milliseconds, while callers keep getting the still-valid one.
   *
   * @defaultValue 300000
   */
  readonly refreshAheadMs?: number | undefined;
  /**
   * Where tokens are cached.
   *
   * @defaultValue a {@link MemoryTokenCache} with 10,000 entries
   */
  readonly tokenCache?: TokenCache | undefined;
  /** Called for every cache and token-request event, for metrics. Must not throw. */
  readonly onCacheEvent?: ((event: TokenCacheEvent) => void) | undefined;
  /** Passed through to MSAL's `system` configuration (proxy, network client, timeouts). */
  readonly msalSystemOptions?: NodeSystemOptions | undefined;
  /** MSAL authority settings for hosts MSAL does not know (the emulator). */
  readonly msalAuthorityOptions?: MsalAuthorityOptions | undefined;
  /** Where to log. Silent by default; never receives a token or a secret. */
  readonly logger?: Logger | undefined;
  /**
   * Microsoft Entra agent identities: the client id (a GUID) of the agent identity that Graph
   * requests act as by default. `clientId` and the credential are then the agent identity
   * blueprint's. A request can name another agent identity, or none, with
   * `withAgentIdentity()`, `withAgentUser()` or `withoutAgentIdentity()`.
   *
   * @defaultValue none: plain On-Behalf-Of as `clientId`
   */
  readonly agentIdentity?: string | undefined;
  /**
   * The most agent identities (per tenant) whose MSAL clients and exchange tokens are kept; the
   * least recently used beyond it is dropped and rebuilt when needed again.
   *
   * @defaultValue 1000
   */
  readonly maxAgentClients?: number | undefined;
  /**
   * Client capabilities declared on every token request. `["cp1"]` makes tokens CAE-capable:
   * Graph then answers a revoked session with a claims challenge instead of honouring the token
   * until it expires. Handle those with {@link createGraphClient} (v3) or the Kiota adapter.
   *
   * @defaultValue none
   */
  readonly clientCapabilities?: readonly string[] | undefined;
  /**
   * The most one token acquisition may take, retries included, in milliseconds; beyond it the
   * request fails with `ERR_OBO_TIMEOUT`.
   *
   * @defaultValue 30000
   */
  readonly timeoutMs?: number | undefined;
  /** How transient token-endpoint failures (network errors, 429, 500/502/503/504) are retried. */
  readonly retry?: RetryOptions | undefined;
  /**
   * More audiences an incoming token may have besides this API's client id and `api://<client id>`:
   * a custom App ID URI, for example `"https://api.contoso.com"`. Tokens for any other audience are
   * refused locally (`ERR_OBO_USER_ASSERTION_WRONG_AUDIENCE`), before any cache read or token
   * request.
   *
   * @defaultValue none
   */
  readonly audiences?: readonly string[] | undefined;
  /**
   * The largest incoming token accepted, in bytes; a larger one is refused locally
   * (`ERR_OBO_USER_ASSERTION_MALFORMED`) before it is hashed or decoded.
   *
   * @defaultValue 16384
   */
  readonly maxTokenBytes?: number | undefined;
  /**
   * How long Entra's final refusal of an exchange (`invalid_grant`: an expired, revoked, forged or
   * wrongly signed assertion, missing consent) is remembered, in milliseconds. The same request
   * within that time is refused at once with the same error, without a token request. A user who
   * signs in again sends a new token and is not affected. `0` turns it off.
   *
   * @defaultValue 60000
   */
  readonly refusalCacheMs?: number | undefined;
  /**
   * An HTTP(S) proxy for token requests, for example `"http://proxy.contoso.com:8080"` (HTTP
   * CONNECT). Without it, `HTTPS_PROXY`/`HTTP_PROXY` and `NO_PROXY` are honoured, as the Azure SDKs
   * do. Not allowed with a custom `msalSystemOptions.networkClient`, which does its own networking.
   * `msalSystemOptions.proxyUrl` (msal-node 2 and 3) is read as this option.
   *
   * @defaultValue the environment's proxy, if any
   */
  readonly proxyUrl?: string | undefined;
  /**
   * Lifetimes of long-running sessions (`startSession`): the longest idle time and the absolute
   * lifetime. Sessions are kept in the token cache's session store.
   *
   * @defaultValue 24 hours idle, 7 days in all
   */
  readonly sessions?: SessionOptions | undefined;
}

/** Retries of transient token-endpoint failures, with jittered exponential backoff. */
export interface RetryOptions {
  /**
   * Retries after the first attempt; `0` turns retries off.
   *
   * @defaultValue 2
   */
  readonly maxRetries?: number | undefined;
  /**
   * The first backoff in milliseconds; it doubles on each retry, with full jitter.
   *
   * @defaultValue 250
   */
  readonly baseDelayMs?: number | undefined;
  /**
   * The longest backoff in milliseconds.
   *
   * @defaultValue 4000
   */
  readonly maxDelayMs?: number | undefined;
  /**
   * A `Retry-After` longer than this (milliseconds) is not waited for: the request fails at once
   * with `retryAfterMs` on the error.
   *
   * @defaultValue 10000
   */
  readonly maxRetryAfterMs?: number | undefined;
}

/** Validated, frozen options. @internal */
export interface ResolvedOptions {
  readonly clientId: string;
  readonly authority: ResolvedAuthority;
  readonly credential: MsalCredential;
  readonly getUserAssertion: UserAssertionAccessor | undefined;
  readonly scopes: readonly string[];
  readonly allowedTenants: ReadonlySet<string> | undefined;
  readonly clockSkewMs: number;
  readonly expirySkewMs: number;
  readonly refreshAheadMs: number;
  readonly tokenCache: TokenCache | undefined;
  readonly onCacheEvent: ((event: TokenCacheEvent) => void) | undefined;
  readonly msalSystemOptions: NodeSystemOptions | undefined;
  readonly msalAuthorityOptions: MsalAuthorityOptions | undefined;
  readonly logger: Logger | undefined;
  /** The default agent identity, lower-cased. */
  readonly agentIdentity: string | undefined;
  readonly maxAgentClients: number;
  readonly clientCapabilities: readonly string[] | undefined;
  readonly policy: RequestPolicy;
  readonly assertionRules: AssertionRules;
  readonly refusalCacheMs: number;
  readonly proxy: ProxyRoute | undefined;
}

function duration(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw configurationError(option, "must be a non-negative number of milliseconds.");
  }
  return value;
}

function positiveInteger(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw configurationError(option, "must be a positive integer.");
  }
  return value;
}

function optionalFunction<T>(value: T | undefined, option: string): T | undefined {
  if (value !== undefined && typeof value !== "function") {
    throw configurationError(option, "must be a function.");
  }
  return value;
}

/**
 * Checks every option and applies defaults. The only place options are validated.
 *
 * @internal
 */
export function resolveOptions(input: OnBehalfOfAuthenticationProviderOptions): ResolvedOptions {
  if (typeof input !== "object") {
    throw configurationError("options", "must be an object.");
  }
  const { clientId } = input;
  if (typeof clientId !== "string" || clientId.trim() === "") {
    throw configurationError("clientId", "is required: the web API's application (client) id.");
  }
  if (!isGuid(clientId)) {
    throw configurationError("clientId", "must be the application (client) id, a GUID.");
  }
  const authority = resolveAuthority(input.tenantId, input.authority, {
    cloud: input.cloud,
    requireCloud: true,
  });
  const credential = resolveCredential(input);
  const scopes =
    input.scopes === undefined
      ? Object.freeze([`${authority.cloud.graphEndpoint}/.default`])
      : normalizeScopes(input.scopes, "scopes");

  let allowedTenants: ReadonlySet<string> | undefined;
  if (input.allowedTenants !== undefined) {
    if (!authority.multiTenant) {
      throw configurationError(
        "allowedTenants",
        'only applies to multi-tenant APIs (tenantId "organizations" or "common"); a single-tenant API serves its own tenant only.',
      );
    }
    if (!Array.isArray(input.allowedTenants) || input.allowedTenants.length === 0) {
      throw configurationError(
        "allowedTenants",
        "must be a non-empty array of tenant ids (GUIDs).",
      );
    }
    for (const tenant of input.allowedTenants) {
      if (typeof tenant !== "string" || !isGuid(tenant)) {
        throw configurationError(
          "allowedTenants",
          "must contain tenant ids (GUIDs), as found in the tokens' tid claim.",
        );
      }
    }
    allowedTenants = new Set(input.allowedTenants.map((tenant: string) => tenant.toLowerCase()));
  }

  if (input.tokenCache !== undefined) {
    const cache = input.tokenCache as Partial<TokenCache>;
    if (
      typeof cache.get !== "function" ||
      typeof cache.set !== "function" ||
      typeof cache.delete !== "function"
    ) {
      throw configurationError(
        "tokenCache",
        "must implement get, set and delete (the TokenCache interface).",
      );
    }
  }
  if (input.msalSystemOptions !== undefined && typeof input.msalSystemOptions !== "object") {
    throw configurationError(
      "msalSystemOptions",
      "must be an object (MSAL's system configuration).",
    );
  }
  if (input.logger !== undefined && typeof input.logger !== "object") {
    throw configurationError(
      "logger",
      "must be an object with error, warn, info and verbose methods.",
    );
  }
  if (!authority.knownCloud && input.msalAuthorityOptions?.knownAuthorities === undefined) {
    throw configurationError(
      "msalAuthorityOptions",
      `must list "${authority.host}" in knownAuthorities: it is not a Microsoft cloud MSAL knows.`,
    );
  }

  const clockSkewMs = duration(input.clockSkewMs, "clockSkewMs", 60_000);
  return Object.freeze({
    clientId: clientId.toLowerCase(),
    authority,
    credential,
    getUserAssertion: optionalFunction(input.getUserAssertion, "getUserAssertion"),
    scopes,
    allowedTenants,
    clockSkewMs,
    expirySkewMs: duration(input.expirySkewMs, "expirySkewMs", 120_000),
    refreshAheadMs: duration(input.refreshAheadMs, "refreshAheadMs", 300_000),
    tokenCache: input.tokenCache,
    onCacheEvent: optionalFunction(input.onCacheEvent, "onCacheEvent"),
    msalSystemOptions: input.msalSystemOptions,
    msalAuthorityOptions: input.msalAuthorityOptions,
    logger: input.logger,
    agentIdentity:
      input.agentIdentity === undefined ? undefined : agentId(input.agentIdentity, "agentIdentity"),
    maxAgentClients: positiveInteger(input.maxAgentClients, "maxAgentClients", 1000),
    clientCapabilities: capabilities(input.clientCapabilities),
    policy: resolvePolicy(input.timeoutMs, input.retry),
    assertionRules: Object.freeze({
      audiences: audiencesOf(clientId.toLowerCase(), input.audiences),
      maxTokenBytes: positiveInteger(input.maxTokenBytes, "maxTokenBytes", DEFAULT_MAX_TOKEN_BYTES),
      clockSkewMs,
    }),
    refusalCacheMs: duration(input.refusalCacheMs, "refusalCacheMs", 60_000),
    proxy: proxyOf(input),
  });
}

function audiencesOf(clientId: string, extra: unknown): ReadonlySet<string> {
  const audiences = new Set([clientId, `api://${clientId}`]);
  if (extra === undefined) return audiences;
  if (
    !Array.isArray(extra) ||
    extra.some((audience) => typeof audience !== "string" || audience.trim() === "")
  ) {
    throw configurationError(
      "audiences",
      'must be an array of audience strings, e.g. ["https://api.contoso.com"].',
    );
  }
  for (const audience of extra as string[]) audiences.add(audience.trim().toLowerCase());
  return audiences;
}

function proxyOf(input: OnBehalfOfAuthenticationProviderOptions): ProxyRoute | undefined {
  const legacy = (input.msalSystemOptions as { proxyUrl?: unknown } | undefined)?.proxyUrl;
  const option = input.proxyUrl === undefined ? "msalSystemOptions.proxyUrl" : "proxyUrl";
  const proxyUrl: unknown = input.proxyUrl ?? legacy;
  if (proxyUrl !== undefined && input.msalSystemOptions?.networkClient !== undefined) {
    throw configurationError(
      option,
      "cannot be combined with msalSystemOptions.networkClient: a custom network client does its own networking (proxy included).",
    );
  }
  if (input.msalSystemOptions?.networkClient !== undefined) return undefined;
  return resolveProxy(proxyUrl, option);
}

function capabilities(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((c) => typeof c !== "string" || !/^[\w-]+$/.test(c))) {
    throw configurationError(
      "clientCapabilities",
      'must be an array of capability names, e.g. ["cp1"].',
    );
  }
  return value.length === 0 ? undefined : Object.freeze([...(value as string[])]);
}

function resolvePolicy(timeoutMs: unknown, retry: unknown): RequestPolicy {
  if (retry !== undefined && (typeof retry !== "object" || retry === null)) {
    throw configurationError(
      "retry",
      "must be an object { maxRetries, baseDelayMs, maxDelayMs, maxRetryAfterMs }.",
    );
  }
  const options = (retry ?? {}) as RetryOptions;
  const maxRetries = options.maxRetries ?? 2;
  if (
    typeof maxRetries !== "number" ||
    !Number.isInteger(maxRetries) ||
    maxRetries < 0 ||
    maxRetries > 10
  ) {
    throw configurationError("retry.maxRetries", "must be an integer from 0 to 10.");
  }
  const timeout = duration(timeoutMs, "timeoutMs", 30_000);
  if (timeout === 0) throw configurationError("timeoutMs", "must be more than 0.");
  return Object.freeze({
    timeoutMs: timeout,
    maxRetries,
    baseDelayMs: duration(options.baseDelayMs, "retry.baseDelayMs", 250),
    maxDelayMs: duration(options.maxDelayMs, "retry.maxDelayMs", 4000),
    maxRetryAfterMs: duration(options.maxRetryAfterMs, "retry.maxRetryAfterMs", 10_000),
  });
}
