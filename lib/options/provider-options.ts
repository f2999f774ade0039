import type { NodeSystemOptions } from "@azure/msal-node";
import type {
  ClientAssertionProvider,
  ClientCertificate,
} from "../acquisition/credentials/client-credential.js";
import type { TokenCache } from "../cache/token-cache.js";
import type { TokenCacheEvent } from "../cache/token-engine.js";
import type { Logger } from "../util/logger.js";
import type { SessionOptions } from "../session/session-options.js";
import type { CloudOptions } from "./authority.js";

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
 * The credential of the web API (or agent identity blueprint): exactly one of a client secret, a
 * certificate or a client assertion. Giving two is a compile-time error (and
 * `ERR_OBO_CONFIGURATION` at run time, for JavaScript callers).
 */
export type ClientCredentialOptions =
  | {
      /** A client secret (development; prefer a certificate or a federated assertion in production). */
      readonly clientSecret: string;
      /** Only one credential. */
      readonly clientCertificate?: undefined;
      /** Only one credential. */
      readonly clientAssertion?: undefined;
    }
  | {
      /** A certificate credential. */
      readonly clientCertificate: ClientCertificate;
      /** Only one credential. */
      readonly clientSecret?: undefined;
      /** Only one credential. */
      readonly clientAssertion?: undefined;
    }
  | {
      /** A client assertion, or a callback that returns one (for example a managed identity token). */
      readonly clientAssertion: string | ClientAssertionProvider;
      /** Only one credential. */
      readonly clientSecret?: undefined;
      /** Only one credential. */
      readonly clientCertificate?: undefined;
    };

/**
 * Options of {@link OnBehalfOfAuthenticationProvider}: its settings and exactly one credential.
 * Give `tenantId` or `authority`.
 */
export type OnBehalfOfAuthenticationProviderOptions = ProviderSettings & ClientCredentialOptions;

/** Everything in {@link OnBehalfOfAuthenticationProviderOptions} but the credential. */
export interface ProviderSettings {
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
  // Options the inbound validation also has (tenant, authority, cloud, clock skew, audiences, token
  // size) are documented on each public type alike (duplicates D2): a user reads one type's TSDoc.
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
