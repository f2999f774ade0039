import { readUserAssertion } from "../assertion/assertion-source.js";
import { AgentGrants, type AgentStats } from "../acquisition/agent-grants.js";
import { GrantSender } from "../acquisition/grant-sender.js";
import { LegGates } from "../acquisition/leg-gates.js";
import { MsalClientFactory } from "../acquisition/msal-client-factory.js";
import { ObservingNetworkClient } from "../acquisition/msal/network-client.js";
import { TOKEN_KINDS, type Grants, type TokenKind } from "../acquisition/token-kinds.js";
import { MemoryTokenCache } from "../cache/memory-token-cache.js";
import type { TokenCache } from "../cache/token-cache.js";
import {
  TokenEngine,
  type EngineCall,
  type FetchedToken,
  type TokenStats,
} from "../cache/token-engine.js";
import type { ResolvedOptions } from "../options/resolve-options.js";
import { resolveAgentSelection, type AgentSelection } from "../request/agent-selection.js";
import { hashAssertion, keyNamespaces, type KeyNamespaces } from "../request/cache-key.js";
import { normalizeScopes, scopesKey } from "../request/scopes.js";
import type { TokenOptions } from "../request/token-options.js";
import {
  readClaims,
  readCorrelationId,
  type RequestBasics,
  type TokenKindName,
  type TokenRequest,
} from "../request/token-request.js";
import { OnBehalfOfError, configurationError, isOnBehalfOfError } from "../util/errors.js";
import { createLogger } from "../util/logger.js";
import { raceSignal } from "../util/promises.js";
import { CacheMetrics } from "../util/telemetry/cache-metrics.js";
import { PipelineMetrics } from "../util/telemetry/pipeline-metrics.js";
import { traceAcquisition } from "../util/telemetry/tracing.js";
import {
  Sessions,
  checkSessionConflicts,
  type SessionInfo,
  type SessionTokenRequest,
  type SessionUser,
} from "../session/sessions.js";

/** What the engine fetches: a token kind's request, or a long-running session's. */
type EngineRequest = TokenRequest | SessionTokenRequest;

/** Options of `startSession`: the per-request options of an On-Behalf-Of token. */
export type StartSessionOptions = Pick<
  TokenOptions,
  "scopes" | "userAssertion" | "agentIdentity" | "abortSignal" | "correlationId"
>;

type AnyKind = TokenKind<TokenKindName>;
type AnySelection = AgentSelection;

/**
 * The engine call of one acquisition: its key, and the request built (with the local checks) only
 * on a first-level miss. One allocation on the hit path.
 */
class KindCall implements EngineCall<TokenRequest> {
  public readonly key: string;
  public readonly claims: string | undefined;
  readonly #kind: AnyKind;
  readonly #selection: AnySelection;
  readonly #basics: RequestBasics;
  readonly #assertion: string;
  readonly #options: ResolvedOptions;

  public constructor(
    kind: AnyKind,
    selection: AnySelection,
    basics: RequestBasics,
    assertion: string,
    namespaces: KeyNamespaces,
    options: ResolvedOptions,
  ) {
    const user =
      assertion === "" ? "" : hashAssertion(assertion, options.assertionRules.maxTokenBytes);
    this.key = kind.key(selection, basics, user, namespaces);
    this.claims = basics.claims;
    this.#kind = kind;
    this.#selection = selection;
    this.#basics = basics;
    this.#assertion = assertion;
    this.#options = options;
  }

  public request(): TokenRequest {
    return this.#kind.request(this.#selection, this.#basics, this.#assertion, this.#options);
  }
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
 * The pipeline every adapter calls: the request (resolved once, with its cache key), the
 * assertion's local checks, the cache, and the acquisition through the token-kind table. Built once
 * per provider; every part gets what it needs here, at construction.
 *
 * @internal
 */
export class TokenPipeline {
  readonly #options: ResolvedOptions;
  readonly #engine: TokenEngine<EngineRequest>;
  readonly #sessions: Sessions;
  readonly #grants: Grants;
  readonly #agents: AgentGrants;
  readonly #metrics: PipelineMetrics;
  readonly #cache: TokenCache;
  readonly #namespaces: KeyNamespaces;
  /** The basics of a request that names no scopes, claims or correlation id: one object for all. */
  readonly #defaultBasics: RequestBasics;

  public constructor(options: ResolvedOptions) {
    this.#options = options;
    const log = createLogger(options.logger);
    const network = new ObservingNetworkClient(
      options.msalSystemOptions?.networkClient,
      options.proxy,
    );
    const clients = new MsalClientFactory({ options, network, log });
    const { clientId, authority, credential } = options;
    const homeTenant = authority.multiTenant ? "organizations" : authority.tenant;
    const client = clients.create(clientId, homeTenant, credential, true);
    // Capabilities go on the legs whose token is presented to a resource, never on the credential
    // legs (T1 and T2), whose tokens only Entra reads (see AgentGrants).
    const blueprint = clients.hasCapabilities
      ? clients.create(clientId, homeTenant, credential, false)
      : client;
    // One metrics sink: stats() counters, onCacheEvent and the OpenTelemetry instruments.
    this.#metrics = new PipelineMetrics(new CacheMetrics(), options.onCacheEvent);
    this.#cache = options.tokenCache ?? new MemoryTokenCache();
    this.#engine = new TokenEngine<EngineRequest>({
      cache: this.#cache,
      fetch: (request) => this.#exchange(request),
      log,
      now: Date.now,
      expirySkewMs: options.expirySkewMs,
      refreshAheadMs: options.refreshAheadMs,
      clockSkewMs: options.clockSkewMs,
      metrics: this.#metrics,
      assertionExpired: expiredAssertion,
      isFinalRefusal,
      refusalTtlMs: options.refusalCacheMs,
    });
    const sender = new GrantSender({
      log,
      policy: options.policy,
      gates: new LegGates(),
      metrics: this.#metrics,
    });
    this.#agents = new AgentGrants({
      sender,
      clients,
      blueprint,
      authority,
      log,
      maxClients: options.maxAgentClients,
      expirySkewMs: options.expirySkewMs,
      refreshAheadMs: options.refreshAheadMs,
    });
    this.#grants = { sender, client, agents: this.#agents, options };
    this.#namespaces = keyNamespaces(options);
    this.#sessions = new Sessions({
      namespace: this.#namespaces.session,
      clientId,
      cache: this.#cache,
      lifetime: options.sessionLifetime,
      log,
      sender,
      client,
      agents: this.#agents,
      authority,
      engine: this.#engine,
    });
    this.#defaultBasics = Object.freeze({
      scopes: options.scopes,
      scopesKey: scopesKey(options.scopes),
      claims: undefined,
      correlationId: undefined,
    });
  }

  /**
   * A token for the request: synchronous up to one promise on a cache hit (the accessor answering
   * synchronously), the engine's on a miss. Never throws: a refusal is a rejected promise.
   */
  public acquire(options: TokenOptions | undefined): Promise<string> {
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

  /** Counters of the cache and of token requests. */
  public stats(): TokenStats {
    return this.#metrics.stats(this.#cache);
  }

  /** Counters of the agent identities' clients and credential tokens. */
  public agentStats(): AgentStats {
    return this.#agents.stats();
  }

  #acquire(options: TokenOptions | undefined): Promise<string> {
    try {
      if (options?.session !== undefined) return this.#acquireForSession(options);
      const selection = resolveAgentSelection(options, this.#options);
      const basics = this.#basics(options);
      const kind = TOKEN_KINDS[selection.kind] as AnyKind;
      kind.precheck?.(basics);
      if (!kind.onBehalfOfUser) return this.#run(kind, selection, basics, "");
      const assertion = readUserAssertion(options?.userAssertion, this.#options.getUserAssertion);
      return typeof assertion === "string"
        ? this.#run(kind, selection, basics, assertion)
        : assertion.then((read) => this.#run(kind, selection, basics, read));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #acquireForSession(options: TokenOptions): Promise<string> {
    checkSessionConflicts(options as Readonly<Record<string, unknown>>);
    const { scopes, claims, correlationId } = this.#basics(options);
    // No scopes named: the session's own, not the provider's default.
    const named = options.scopes === undefined ? undefined : scopes;
    return this.#sessions.acquire(options.session, named, claims, correlationId);
  }

  /**
   * Starts a long-running session for the current user (plain On-Behalf-Of or as an agent
   * identity): every local check of the assertion, then the exchange with `offline_access`.
   */
  public startSession(options: StartSessionOptions | undefined): Promise<string> {
    const signal = options?.abortSignal;
    const started = this.#startSession(options);
    if (signal === undefined) return started;
    return raceSignal(
      started,
      signal,
      () =>
        new OnBehalfOfError("ERR_OBO_ABORTED", "Starting the session was aborted by the caller.", {
          cause: signal.reason,
        }),
    );
  }

  async #startSession(options: StartSessionOptions | undefined): Promise<string> {
    const selection = resolveAgentSelection(options, this.#options);
    if (selection.kind !== "obo" && selection.kind !== "agent-obo") {
      throw configurationError(
        "tokenKind",
        'must be "obo" for a session: a session keeps a signed-in user\'s refresh token.',
      );
    }
    const basics = this.#basics(options);
    const kind = TOKEN_KINDS[selection.kind] as AnyKind;
    const assertion = await readUserAssertion(
      options?.userAssertion,
      this.#options.getUserAssertion,
    );
    const checked = kind.request(selection, basics, assertion, this.#options);
    return this.#sessions.start({
      agentId: selection.kind === "agent-obo" ? selection.agentId : undefined,
      assertion,
      claimedTenant: checked.assertion?.tenantId,
      objectId: checked.assertion?.objectId,
      tenant: checked.tenant,
      scopes: basics.scopes,
      correlationId: checked.correlationId,
    });
  }

  /** Ends a long-running session; whether there was one. */
  public endSession(session: string): Promise<boolean> {
    return this.#sessions.end(session);
  }

  /** The live long-running sessions of a user. */
  public listSessions(user: SessionUser): Promise<readonly SessionInfo[]> {
    return this.#sessions.list(user);
  }

  /** Ends every long-running session of a user; how many. */
  public endUserSessions(user: SessionUser): Promise<number> {
    return this.#sessions.endUser(user);
  }

  #run(
    kind: AnyKind,
    selection: AnySelection,
    basics: RequestBasics,
    assertion: string,
  ): Promise<string> {
    const call = new KindCall(kind, selection, basics, assertion, this.#namespaces, this.#options);
    const hit = this.#engine.hit(call);
    return hit === undefined ? this.#engine.acquire(call, true) : Promise.resolve(hit);
  }

  #basics(options: TokenOptions | undefined): RequestBasics {
    if (
      options === undefined ||
      (options.scopes === undefined &&
        options.claims === undefined &&
        options.correlationId === undefined)
    ) {
      return this.#defaultBasics;
    }
    const claims = readClaims(options.claims);
    const correlationId = readCorrelationId(options.correlationId);
    if (options.scopes === undefined) return { ...this.#defaultBasics, claims, correlationId };
    const scopes = normalizeScopes(options.scopes, "scopes");
    return { scopes, scopesKey: scopesKey(scopes), claims, correlationId };
  }

  /** One acquisition that goes to the network, in its own span; its legs are child spans. */
  #exchange(request: EngineRequest): Promise<FetchedToken> {
    const session = request.kind === "session" || request.kind === "session-start";
    return traceAcquisition(
      {
        // A session's tokens are On-Behalf-Of tokens of its user.
        tokenKind: session ? "obo" : TOKEN_KINDS[request.kind].label,
        tenant: request.tenant,
        agentId: "agentId" in request ? request.agentId : undefined,
        correlationId: request.correlationId,
        claims: request.claims !== undefined,
      },
      () => (session ? this.#sessions.fetch(request) : this.#send(request)),
    );
  }

  /** Sends the grants of the request's kind; a user's token carries its assertion's expiry. */
  async #send(request: TokenRequest): Promise<FetchedToken> {
    const token = await (TOKEN_KINDS[request.kind] as AnyKind).send(request, this.#grants);
    const { assertion } = request;
    return assertion === undefined ? token : { ...token, assertionExpiresAt: assertion.expiresAt };
  }
}
