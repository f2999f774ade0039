import { hash, randomUUID } from "node:crypto";
import type {
  ClientAssertionCallback,
  ConfidentialClientApplication,
  Configuration,
} from "@azure/msal-node";
import type {
  AuthenticationProvider,
  AuthenticationProviderOptions,
} from "@microsoft/microsoft-graph-client";
import type { AgentClientStats } from "./agent/agent-client-pool.js";
import {
  resolveAgentSelection,
  type AgentTokenOptions,
  type ResolvedAgentUser,
} from "./agent/agent-selection.js";
import { AgentTokens } from "./agent/agent-tokens.js";
import {
  asTokenCredential,
  type AsTokenCredentialOptions,
} from "./token-credential/as-token-credential.js";
import type { OnBehalfOfTokenCredential } from "./token-credential/token-credential-types.js";
import { LegGates } from "./agent/leg-gates.js";
import { requestToken, type LegContext } from "./agent/token-leg.js";
import { authorityUrl, isGuid } from "./authority.js";
import { MemoryTokenCache } from "./cache/memory-token-cache.js";
import type { TokenCache } from "./cache/token-cache.js";
import {
  TokenEngine,
  type EngineCall,
  type FetchedToken,
  type TokenStats,
} from "./cache/token-engine.js";
import {
  OnBehalfOfError,
  configurationError,
  isOnBehalfOfError,
  type TokenRequestLeg,
} from "./errors.js";
import { createLogger, msalLoggerOptions, type InternalLogger } from "./logger.js";
import type { MsalCredential } from "./msal/credentials.js";
import { IsolatedConfidentialClient } from "./msal/isolated-client.js";
import { ObservingNetworkClient } from "./msal/network-client.js";
import {
  resolveOptions,
  type OnBehalfOfAuthenticationProviderOptions,
  type ResolvedOptions,
} from "./options.js";
import { isPromiseLike, raceSignal } from "./promises.js";
import { currentUserAssertion } from "./request-context.js";
import { normalizeScopes, scopesKey } from "./scopes.js";
import { CacheMetrics } from "./telemetry/cache-metrics.js";
import { traceAcquisition } from "./telemetry/tracing.js";
import { checkUserAssertion, cleanUserAssertion, refuseOversized } from "./user-assertion.js";
import { resolveSessionLifetime } from "./session/session-options.js";
import {
  Sessions,
  checkSessionConflicts,
  type SessionInfo,
  type SessionTokenRequest,
  type SessionUser,
} from "./session/sessions.js";

/**
 * Per-request options. The Graph client passes them from
 * `.middlewareOptions([new AuthenticationHandlerOptions(undefined, options)])`, or from the
 * agent-identity helpers `withAgentIdentity()`, `withAgentUser()` and `withoutAgentIdentity()`.
 */
export interface OnBehalfOfTokenOptions extends AuthenticationProviderOptions, AgentTokenOptions {
  /** Scopes for this request instead of the provider's default. */
  scopes?: string[];
  /** The user assertion for this request instead of the accessor's. */
  userAssertion?: string;
  /**
   * Claims a resource demanded in a claims challenge (Continuous Access Evaluation), as JSON text.
   * The token is then requested anew with them, bypassing the cache, and replaces the cached one.
   */
  claims?: string;
  /** Stops waiting for the token; the call fails with `ERR_OBO_ABORTED`. */
  abortSignal?: AbortSignal;
  /**
   * A long-running session's key (from {@link OnBehalfOfAuthenticationProvider.startSession}): the
   * token is the session's, with no incoming request and no user assertion. Not with
   * `userAssertion`, `agentIdentity`, `tokenKind`, `agentUser` or `tenantId`.
   */
  session?: string;
  /**
   * The correlation id of this acquisition (a GUID), for example the incoming request's id: sent
   * to Entra as `client-request-id` on every leg and retry, written in the log lines and set on
   * errors as `correlationId`. A request that joins another caller's acquisition of the same token
   * shares that caller's id.
   *
   * @defaultValue a new GUID per acquisition
   */
  correlationId?: string;
}

/**
 * Options of {@link OnBehalfOfAuthenticationProvider.startSession}: the usual per-request options
 * of an On-Behalf-Of token (plain, or as an agent identity).
 */
export type StartSessionOptions = Pick<
  OnBehalfOfTokenOptions,
  "scopes" | "userAssertion" | "agentIdentity" | "abortSignal" | "correlationId"
>;

/** What a token fetch needs. @internal */
type TokenRequest =
  | SessionTokenRequest
  | {
      readonly kind: "obo";
      /** The agent identity acting on behalf of the user; none for a plain exchange. */
      readonly agentId: string | undefined;
      /** The user assertion, checked locally. */
      readonly assertion: string;
      /** When the assertion expires, in milliseconds since the epoch. */
      readonly assertionExpiresAt: number;
      /** The tenant the exchange goes to. */
      readonly tenant: string;
      readonly scopes: readonly string[];
      readonly claims: string | undefined;
      /** Sent on every leg and retry of the acquisition. */
      readonly correlationId: string;
    }
  | {
      readonly kind: "app-only";
      readonly agentId: string;
      readonly tenant: string;
      readonly scopes: readonly string[];
      readonly claims: string | undefined;
      readonly correlationId: string;
    }
  | {
      readonly kind: "agent-user";
      readonly agentId: string;
      readonly tenant: string;
      readonly user: ResolvedAgentUser;
      readonly scopes: readonly string[];
      readonly claims: string | undefined;
      readonly correlationId: string;
    };

/** Validates per-request claims: JSON text of a claims request. */
function readClaims(claims: unknown): string | undefined {
  if (claims === undefined || claims === "") return undefined;
  if (typeof claims === "string") {
    try {
      const parsed: unknown = JSON.parse(claims);
      if (typeof parsed === "object" && parsed !== null) return claims;
    } catch {
      // reported below
    }
  }
  throw configurationError(
    "claims",
    "must be the claims challenge as JSON text (decode Graph's base64 first).",
  );
}

/** App-only (client credentials) tokens exist only for a resource's `/.default` scope. */
function requireDefaultScopes(scopes: readonly string[]): void {
  if (!scopes.every((scope) => scope.endsWith("/.default"))) {
    throw configurationError(
      "scopes",
      'must be "<resource>/.default" scopes for app-only tokens, e.g. "https://graph.microsoft.com/.default".',
    );
  }
}

/**
 * The engine call of a user's exchange: one allocation on the hit path, and the local checks only
 * when the request is built (on a first-level miss).
 */
class UserCall implements EngineCall<TokenRequest> {
  public readonly key: string;
  public readonly claims: string | undefined;
  readonly #build: (input: UserRequestInput) => TokenRequest;
  readonly #input: UserRequestInput;

  public constructor(
    key: string,
    claims: string | undefined,
    build: (input: UserRequestInput) => TokenRequest,
    input: UserRequestInput,
  ) {
    this.key = key;
    this.claims = claims;
    this.#build = build;
    this.#input = input;
  }

  public request(): TokenRequest {
    return this.#build(this.#input);
  }
}

/** What a user's exchange is built from, before its local checks. */
interface UserRequestInput {
  readonly agentId: string | undefined;
  readonly assertion: string;
  readonly scopes: readonly string[];
  readonly claims: string | undefined;
  /** The caller's correlation id; a new one is made on a miss when absent. */
  readonly correlationId: string | undefined;
}

/** Validates a per-request correlation id: a GUID, as Entra's `client-request-id` is. */
function readCorrelationId(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !isGuid(value)) {
    throw configurationError(
      "correlationId",
      "must be a GUID: it is sent to Entra as client-request-id on every leg of the acquisition.",
    );
  }
  return value.toLowerCase();
}

function expiredAssertion(): OnBehalfOfError {
  return new OnBehalfOfError(
    "ERR_OBO_USER_ASSERTION_EXPIRED",
    "The user assertion has expired. The client must send a fresh access token for this API.",
  );
}

/**
 * Entra's final word on a user's exchange: `invalid_grant` on a leg that carries the user (an
 * expired, revoked or forged assertion, missing consent). The same request would be refused again.
 */
function isFinalRefusal(error: unknown): boolean {
  return (
    isOnBehalfOfError(error) &&
    error.error === "invalid_grant" &&
    (error.leg === "obo" || error.leg === "agent-user")
  );
}

/**
 * The SHA-256 of an assertion, the user's part of a cache key. An assertion larger than the bound
 * is refused before it is hashed.
 */
function hashAssertion(assertion: string, maxTokenBytes: number): string {
  refuseOversized(assertion, maxTokenBytes);
  return hash("sha256", assertion, "base64url");
}

/** A short fingerprint of the options that decide the local checks' outcome ("" by default). */
function rulesFingerprint(options: ResolvedOptions): string {
  const { allowedTenants, assertionRules, clientId } = options;
  const extraAudiences = [...assertionRules.audiences].filter(
    (audience) => audience !== clientId && audience !== `api://${clientId}`,
  );
  if (allowedTenants === undefined && extraAudiences.length === 0) return "";
  const rules = JSON.stringify([[...(allowedTenants ?? [])].sort(), extraAudiences.sort()]);
  return `${hash("sha256", rules, "base64url").slice(0, 12)}|`;
}

/**
 * A provider's cache-key namespace: 16 base64url characters (96 bits) of the SHA-256 of what
 * separates its entries from another provider's (kind, authority host, tenant, client id, rules),
 * then `|`. A hash, not a counter, because keys are shared across processes through Redis: the
 * same configuration gives the same namespace everywhere, another one never meets it. Short, so
 * every entry does not carry (and every hit does not hash and compare) a prefix of about 100 characters.
 */
function keyNamespace(parts: readonly string[]): string {
  return `${hash("sha256", JSON.stringify(parts), "base64url").slice(0, 16)}|`;
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
  readonly #network: ObservingNetworkClient;
  readonly #legs: LegContext;
  readonly #engine: TokenEngine<TokenRequest>;
  readonly #engineCache: TokenCache;
  readonly #agents: AgentTokens;
  readonly #keyPrefix: string;
  readonly #agentKeyPrefix: string;
  readonly #defaultScopesKey: string;
  readonly #sessions: Sessions;

  /**
   * @param options - client, tenant, credential and behaviour; validated here
   * @throws {@link OnBehalfOfError} `ERR_OBO_CONFIGURATION` naming the offending option
   */
  public constructor(options: OnBehalfOfAuthenticationProviderOptions) {
    this.#options = resolveOptions(options);
    this.#log = createLogger(this.#options.logger);
    this.#network = new ObservingNetworkClient(
      this.#options.msalSystemOptions?.networkClient,
      this.#options.proxy,
    );
    const { clientId, authority, credential, clientCapabilities } = this.#options;
    const homeTenant = authority.multiTenant ? "organizations" : authority.tenant;
    this.#msal = this.#createMsalClient(clientId, homeTenant, credential, true);
    // Capabilities go on the legs whose token is presented to a resource, never on the credential
    // legs (T1 and T2), whose tokens only Entra reads (see AgentTokens).
    const blueprint =
      clientCapabilities === undefined
        ? this.#msal
        : this.#createMsalClient(clientId, homeTenant, credential, false);
    // OpenTelemetry instruments, once per provider: the API's no-ops unless an SDK was registered.
    const metrics = new CacheMetrics();
    this.#engineCache = this.#options.tokenCache ?? new MemoryTokenCache();
    this.#engine = new TokenEngine<TokenRequest>({
      cache: this.#engineCache,
      fetch: (request) => this.#exchange(request),
      log: this.#log,
      now: Date.now,
      expirySkewMs: this.#options.expirySkewMs,
      refreshAheadMs: this.#options.refreshAheadMs,
      clockSkewMs: this.#options.clockSkewMs,
      onEvent: this.#options.onCacheEvent,
      metrics,
      assertionExpired: expiredAssertion,
      isFinalRefusal,
      refusalTtlMs: this.#options.refusalCacheMs,
    });
    this.#legs = {
      log: this.#log,
      countTokenRequest: (leg: TokenRequestLeg): void => {
        this.#engine.countTokenRequest(leg);
      },
      policy: this.#options.policy,
      gates: new LegGates(),
      metrics,
    };
    this.#agents = new AgentTokens({
      ...this.#legs,
      blueprint,
      authority,
      createClient: (
        agentId: string,
        tenant: string,
        clientAssertion: ClientAssertionCallback,
        withCapabilities: boolean,
      ) => this.#createMsalClient(agentId, tenant, { clientAssertion }, withCapabilities),
      hasCapabilities: clientCapabilities !== undefined,
      maxClients: this.#options.maxAgentClients,
      expirySkewMs: this.#options.expirySkewMs,
      refreshAheadMs: this.#options.refreshAheadMs,
    });
    // Entries prove the local checks, whose outcome depends on allowedTenants and audiences: a
    // provider with other rules never reads them.
    const rules = rulesFingerprint(this.#options);
    this.#keyPrefix = keyNamespace(["obo", authority.host, authority.tenant, clientId, rules]);
    this.#agentKeyPrefix = keyNamespace([
      "agent",
      authority.host,
      authority.tenant,
      clientId,
      rules,
    ]);
    this.#defaultScopesKey = scopesKey(this.#options.scopes);
    this.#sessions = new Sessions({
      // Not the rules' fingerprint: changing allowedTenants or audiences must not orphan sessions.
      namespace: keyNamespace(["session", authority.host, authority.tenant, clientId]),
      clientId,
      cache: this.#engineCache,
      lifetime: resolveSessionLifetime(options.sessions),
      log: this.#log,
      legs: this.#legs,
      msal: this.#msal,
      authorityFor: (tenant) => authorityUrl(authority, tenant),
      agentClient: (agentId, tenant, correlationId) =>
        this.#agents.client(agentId, tenant, correlationId),
      exchange: (request, keep) =>
        request.agentId === undefined
          ? this.#exchangeAsClient({ ...request, claims: undefined }, keep)
          : this.#agents.onBehalfOf(
              request.agentId,
              request.tenant,
              request.assertion,
              request.scopes,
              undefined,
              request.correlationId,
              keep,
            ),
      acquire: (call) => this.#engine.acquire(call),
    });
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
  public async getAccessToken(options?: OnBehalfOfTokenOptions): Promise<string> {
    const signal = options?.abortSignal;
    if (signal === undefined) return this.#acquire(options);
    return raceSignal(
      this.#acquire(options),
      signal,
      () =>
        new OnBehalfOfError("ERR_OBO_ABORTED", "The token request was aborted by the caller.", {
          cause: signal.reason,
        }),
    );
  }

  async #acquire(options: OnBehalfOfTokenOptions | undefined): Promise<string> {
    if (options?.session !== undefined) return this.#acquireForSession(options);
    const selection = resolveAgentSelection(options, this.#options);
    const claims = readClaims(options?.claims);
    const correlationId = readCorrelationId(options?.correlationId);
    let scopes = this.#options.scopes;
    let scopeKey = this.#defaultScopesKey;
    if (options?.scopes !== undefined) {
      scopes = normalizeScopes(options.scopes, "scopes");
      scopeKey = scopesKey(scopes);
    }
    switch (selection.kind) {
      case "none":
      case "obo": {
        const agentId = selection.kind === "obo" ? selection.agentId : undefined;
        const assertion = await this.#readUserAssertion(options?.userAssertion);
        const user = hashAssertion(assertion, this.#options.assertionRules.maxTokenBytes);
        const key =
          agentId === undefined
            ? `${this.#keyPrefix}${user}|${scopeKey}`
            : `${this.#agentKeyPrefix}${agentId}|obo|${user}|${scopeKey}`;
        return this.#engine.acquire(
          new UserCall(key, claims, this.#userRequest, {
            agentId,
            assertion,
            scopes,
            claims,
            correlationId,
          }),
        );
      }
      case "app-only": {
        const { agentId, tenant } = selection;
        requireDefaultScopes(scopes);
        return this.#engine.acquire({
          key: `${this.#agentKeyPrefix}${agentId}|app-only|${tenant}|${scopeKey}`,
          claims,
          request: () => ({
            kind: "app-only",
            agentId,
            tenant,
            scopes,
            claims,
            correlationId: correlationId ?? randomUUID(),
          }),
        });
      }
      case "agent-user": {
        const { agentId, tenant, user } = selection;
        const userKey = hash("sha256", user.key, "base64url");
        return this.#engine.acquire({
          key: `${this.#agentKeyPrefix}${agentId}|agent-user|${tenant}|${userKey}|${scopeKey}`,
          claims,
          request: () => ({
            kind: "agent-user",
            agentId,
            tenant,
            user,
            scopes,
            claims,
            correlationId: correlationId ?? randomUUID(),
          }),
        });
      }
    }
  }

  #acquireForSession(options: OnBehalfOfTokenOptions): Promise<string> {
    checkSessionConflicts(options as Readonly<Record<string, unknown>>);
    const claims = readClaims(options.claims);
    const correlationId = readCorrelationId(options.correlationId);
    const scopes =
      options.scopes === undefined ? undefined : normalizeScopes(options.scopes, "scopes");
    return this.#sessions.acquire(options.session, scopes, claims, correlationId);
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
  public async startSession(options?: StartSessionOptions): Promise<string> {
    const signal = options?.abortSignal;
    const start = async (): Promise<string> => {
      const selection = resolveAgentSelection(options, this.#options);
      if (selection.kind !== "none" && selection.kind !== "obo") {
        throw configurationError(
          "tokenKind",
          'must be "obo" for a session: a session keeps a signed-in user\'s refresh token.',
        );
      }
      const correlationId = readCorrelationId(options?.correlationId);
      const scopes =
        options?.scopes === undefined
          ? this.#options.scopes
          : normalizeScopes(options.scopes, "scopes");
      const agentId = selection.kind === "obo" ? selection.agentId : undefined;
      const assertion = await this.#readUserAssertion(options?.userAssertion);
      const checked = this.#userRequest({
        agentId,
        assertion,
        scopes,
        claims: undefined,
        correlationId,
      });
      return this.#sessions.start({
        agentId,
        assertion,
        tenant: checked.tenant,
        scopes,
        correlationId: checked.correlationId,
      });
    };
    if (signal === undefined) return start();
    return raceSignal(
      start(),
      signal,
      () =>
        new OnBehalfOfError("ERR_OBO_ABORTED", "Starting the session was aborted by the caller.", {
          cause: signal.reason,
        }),
    );
  }

  /**
   * Ends a long-running session: its key gets no token any more, on any instance sharing the
   * store.
   *
   * @param session - the session key
   * @returns whether there was such a session (`false` when it had ended or expired already)
   * @throws {@link OnBehalfOfError} `ERR_OBO_SESSION_NOT_FOUND` for a malformed key
   */
  public endSession(session: string): Promise<boolean> {
    return this.#sessions.end(session);
  }

  /**
   * The live long-running sessions of a user, by tenant id and object id (the `tid` and `oid` of
   * the user's token). Neither keys nor tokens are listed.
   *
   * @param user - the user's `tid` and `oid`
   */
  public listSessions(user: SessionUser): Promise<readonly SessionInfo[]> {
    return this.#sessions.list(user);
  }

  /**
   * Ends every long-running session of a user: for sign-out or account deletion.
   *
   * @param user - the user's `tid` and `oid`
   * @returns how many sessions were ended
   */
  public endUserSessions(user: SessionUser): Promise<number> {
    return this.#sessions.endUser(user);
  }

  /** Runs every local check of the assertion and picks the tenant: before any cache read or request. */
  readonly #userRequest = (input: UserRequestInput): TokenRequest => {
    const info = checkUserAssertion(input.assertion, Date.now(), this.#options.assertionRules);
    return {
      kind: "obo",
      agentId: input.agentId,
      assertion: input.assertion,
      assertionExpiresAt: info.expiresAtMs,
      tenant: this.#resolveTenant(info.tenantId),
      scopes: input.scopes,
      claims: input.claims,
      correlationId: input.correlationId ?? randomUUID(),
    };
  };

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
  public agentStats(): AgentClientStats {
    return this.#agents.stats();
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

  /** One acquisition that goes to the network, in its own span; its legs are child spans. */
  #exchange(request: TokenRequest): Promise<FetchedToken> {
    return traceAcquisition(
      {
        tokenKind: request.kind,
        tenant: request.tenant,
        agentId: request.agentId,
        correlationId: request.correlationId,
        claims: request.claims !== undefined,
      },
      () => this.#exchangeLegs(request),
    );
  }

  async #exchangeLegs(request: TokenRequest): Promise<FetchedToken> {
    switch (request.kind) {
      case "session-start":
      case "session":
        return this.#sessions.fetch(request);
      case "app-only":
        return this.#agents.appOnly(
          request.agentId,
          request.tenant,
          request.scopes,
          request.claims,
          request.correlationId,
        );
      case "agent-user":
        return this.#agents.agentUser(
          request.agentId,
          request.tenant,
          request.user,
          request.scopes,
          request.claims,
          request.correlationId,
        );
      case "obo": {
        const token =
          request.agentId === undefined
            ? await this.#exchangeAsClient(request)
            : await this.#agents.onBehalfOf(
                request.agentId,
                request.tenant,
                request.assertion,
                request.scopes,
                request.claims,
                request.correlationId,
              );
        return { ...token, assertionExpiresAt: request.assertionExpiresAt };
      }
    }
  }

  #exchangeAsClient(
    request: {
      readonly assertion: string;
      readonly tenant: string;
      readonly scopes: readonly string[];
      readonly claims: string | undefined;
      readonly correlationId: string;
    },
    keepRefreshToken?: (refreshToken: string | undefined) => void,
  ): Promise<FetchedToken> {
    const { tenant } = request;
    const authority = authorityUrl(this.#options.authority, tenant);
    return requestToken(this.#legs, {
      leg: "obo",
      what: `an On-Behalf-Of token (tenant=${tenant}${request.claims === undefined ? "" : ", with claims"})`,
      client: this.#msal,
      correlationId: request.correlationId,
      keepRefreshToken,
      send: (correlationId) =>
        this.#msal.acquireTokenOnBehalfOf({
          oboAssertion: request.assertion,
          // A session asks for offline_access (msal-node adds it to every request anyway).
          scopes:
            keepRefreshToken === undefined
              ? [...request.scopes]
              : [...request.scopes, "offline_access"],
          authority,
          correlationId,
          skipCache: true,
          ...(request.claims === undefined ? {} : { claims: request.claims }),
        }),
    });
  }

  #createMsalClient(
    clientId: string,
    tenant: string,
    credential: MsalCredential,
    withCapabilities: boolean,
  ): ConfidentialClientApplication {
    const { authority, msalSystemOptions, msalAuthorityOptions, clientCapabilities } =
      this.#options;
    const configuration: Configuration = {
      auth: {
        clientId,
        authority: authorityUrl(authority, tenant),
        ...credential,
        ...(msalAuthorityOptions ?? {}),
        ...(withCapabilities && clientCapabilities !== undefined
          ? { clientCapabilities: [...clientCapabilities] }
          : {}),
      },
      system: {
        ...(msalSystemOptions ?? {}),
        networkClient: this.#network,
        loggerOptions: msalLoggerOptions(this.#log),
      },
    };
    try {
      return new IsolatedConfidentialClient(configuration);
    } catch (cause) {
      throw configurationError("authority", "was refused by MSAL.", cause);
    }
  }
}
