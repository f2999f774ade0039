import { randomUUID } from "node:crypto";
import type { ConfidentialClientApplication } from "@azure/msal-node";
import type { AgentGrants } from "../acquisition/agent-grants.js";
import type { GrantSender } from "../acquisition/grant-sender.js";
import { authorityUrl, type ResolvedAuthority } from "../options/authority.js";
import type { TokenCache } from "../cache/token-cache.js";
import type { EngineCall, FetchedToken } from "../cache/token-engine.js";
import { OnBehalfOfError, configurationError, isOnBehalfOfError } from "../util/errors.js";
import type { InternalLogger } from "../util/logger.js";
import { scopesKey } from "../request/scopes.js";
import { newSessionKey, sessionNotFound, sessionStorageId } from "./session-key.js";
import type { SessionLifetime, SessionRecord, SessionStore } from "./session-store.js";

/** The user a session acts for: tenant id and object id (`tid` and `oid` of their token). */
export interface SessionUser {
  /** The user's tenant id (`tid`). */
  readonly tid: string;
  /** The user's object id (`oid`). */
  readonly oid: string;
}

/** What `listSessions` tells about a session: never its key and never a token. */
export interface SessionInfo {
  /**
   * The session's storage id: a keyed hash of its key, which identifies the session in lists and
   * logs but cannot be used to get a token.
   */
  readonly id: string;
  /** The agent identity the session acts as; absent for a plain On-Behalf-Of session. */
  readonly agentId?: string;
  /** The scopes the session was started with. */
  readonly scopes: readonly string[];
  /** When the session started, in milliseconds since the epoch. */
  readonly createdAt: number;
  /** When the session was last used, in milliseconds since the epoch (updated at most once a minute). */
  readonly lastUsedAt: number;
}

/** A token request of a session, for the provider's token engine. @internal */
export type SessionTokenRequest =
  | {
      /** The first exchange: the user's assertion, On-Behalf-Of, keeping the refresh token. */
      readonly kind: "session-start";
      readonly id: string;
      readonly agentId: string | undefined;
      readonly assertion: string;
      readonly tenant: string;
      readonly user: SessionUser;
      readonly scopes: readonly string[];
      readonly claims: undefined;
      readonly correlationId: string;
    }
  | {
      /** A later token: the session's refresh token redeemed. */
      readonly kind: "session";
      readonly id: string;
      readonly agentId: string | undefined;
      readonly tenant: string;
      readonly scopes: readonly string[];
      readonly claims: string | undefined;
      readonly correlationId: string;
    };

/** What a session's first exchange needs from the provider. @internal */
export interface SessionStartExchange {
  readonly agentId: string | undefined;
  readonly assertion: string;
  /** The assertion's `tid` and `oid` claims, as its local checks read them. */
  readonly claimedTenant: string | undefined;
  readonly objectId: string | undefined;
  readonly tenant: string;
  readonly scopes: readonly string[];
  readonly correlationId: string;
}

/** What {@link Sessions} is built with: the pipeline's own parts, passed in. @internal */
export interface SessionHost {
  /** The provider's session namespace: session ids and cache keys are under it. */
  readonly namespace: string;
  /** The API's own client id (the client of plain sessions). */
  readonly clientId: string;
  readonly cache: TokenCache;
  readonly lifetime: SessionLifetime;
  readonly log: InternalLogger;
  /** Sends every grant (On-Behalf-Of with `offline_access`, refresh token). */
  readonly sender: GrantSender;
  /** The API's MSAL client. */
  readonly client: ConfidentialClientApplication;
  /** The agent identities' grants (their clients, with T1 as client assertion). */
  readonly agents: AgentGrants;
  readonly authority: ResolvedAuthority;
  /** The provider's token engine: caches a session's access tokens under their key. */
  readonly engine: { acquire(call: EngineCall<SessionTokenRequest>): Promise<string> };
}

/** A token cache that keeps sessions too (memory and Redis caches do). @internal */
interface SessionStoreSource {
  sessionStore?(namespace: string): SessionStore;
}

/** How often a rotated refresh token's write is retried after losing a race. */
const MAX_REPLACE_ATTEMPTS = 5;

/** The per-request options that a session replaces: it names its user, client and tenant itself. */
const CONFLICTS = ["userAssertion", "agentIdentity", "tokenKind", "agentUser", "tenantId"] as const;

/**
 * Refuses per-request options that a session already decides: never a silent choice between the
 * session's user and another one.
 *
 * @internal
 */
export function checkSessionConflicts(options: Readonly<Record<string, unknown>>): void {
  for (const option of CONFLICTS) {
    if (options[option] !== undefined) {
      throw configurationError(
        option,
        'cannot be combined with "session": a session names its user, client and tenant itself.',
      );
    }
  }
}

/**
 * Entra's final word on a refresh token: `invalid_grant` (revoked, expired, password reset,
 * sessions revoked) or interaction required (Conditional Access, MFA, a claims challenge it cannot
 * satisfy). A missing consent (AADSTS65001, `consent_required`) is about the scopes asked for, not
 * the session: it fails that request only. Failures of other legs (an agent's T1) and transient
 * ones do not end the session either.
 */
function isRefusal(error: unknown): error is OnBehalfOfError {
  return (
    isOnBehalfOfError(error) &&
    error.leg === "refresh-token" &&
    (error.error === "invalid_grant" || error.code === "ERR_OBO_INTERACTION_REQUIRED") &&
    error.suberror !== "consent_required" &&
    error.aadsts !== 65001
  );
}

function revoked(refusal: OnBehalfOfError): OnBehalfOfError {
  const what =
    refusal.aadsts === undefined ? (refusal.error ?? "refused") : `AADSTS${refusal.aadsts}`;
  return new OnBehalfOfError(
    "ERR_OBO_SESSION_REVOKED",
    `Entra refused the long-running session's refresh token (${what}); the session has been ended. ` +
      "The user must sign in again (send the claims challenge to the client, if any) and a new session be started.",
    {
      cause: refusal,
      leg: "refresh-token",
      ...(refusal.error === undefined ? {} : { error: refusal.error }),
      ...(refusal.suberror === undefined ? {} : { suberror: refusal.suberror }),
      ...(refusal.aadsts === undefined ? {} : { aadsts: refusal.aadsts }),
      ...(refusal.correlationId === undefined ? {} : { correlationId: refusal.correlationId }),
      ...(refusal.claims === undefined ? {} : { claims: refusal.claims }),
      ...(refusal.status === undefined ? {} : { status: refusal.status }),
    },
  );
}

/** The user of an assertion that passed the local checks: its `oid` and `tid` claims. */
function userOf(exchange: SessionStartExchange): SessionUser {
  const { objectId: oid, claimedTenant } = exchange;
  if (oid === undefined) {
    throw new OnBehalfOfError(
      "ERR_OBO_USER_ASSERTION_MALFORMED",
      "The user assertion has no object id (oid claim), which a long-running session records to list and end the user's sessions.",
    );
  }
  return { oid, tid: claimedTenant ?? exchange.tenant };
}

function describe(error: unknown): string {
  if (isOnBehalfOfError(error)) return error.code;
  return error instanceof Error ? error.name : "unknown error";
}

/**
 * Long-running On-Behalf-Of sessions, as MSAL.NET's `InitiateLongRunningProcessInWebApi` and
 * `AcquireTokenInLongRunningProcess` do them
 * (https://learn.microsoft.com/entra/msal/dotnet/acquiring-tokens/web-apps-apis/on-behalf-of-flow#long-running-obo-processes):
 * the first exchange keeps Entra's refresh token under a new session key, and later tokens are
 * got with it, with no incoming request.
 *
 * @remarks
 * - The key is handed to the caller and never stored: the store keeps the session under a keyed
 *   hash of it ({@link newSessionKey}).
 * - Every use reads the session from the store first, so an ended, expired or revoked session
 *   never serves a cached token, on any instance that shares the store.
 * - Access tokens are cached by the provider's engine under the session's id and scopes; a miss
 *   redeems the refresh token. The refreshes of one session run one at a time in a process (each
 *   with the latest refresh token); across processes, a rotated refresh token is written with the
 *   store's compare-and-set `replace`, and a lost race keeps the winner's token (Entra does not
 *   revoke the older one on use: https://learn.microsoft.com/entra/identity-platform/refresh-tokens).
 * - A refresh token Entra refuses ends the session: `ERR_OBO_SESSION_REVOKED`.
 *
 * @internal
 */
export class Sessions {
  readonly #host: SessionHost;
  #store: SessionStore | undefined;
  /** The tail of each session's refreshes in this process. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** A use is written back (`lastUsedAt`) at most this often. */
  readonly #touchEveryMs: number;

  public constructor(host: SessionHost) {
    this.#host = host;
    this.#touchEveryMs = Math.min(60_000, Math.floor(host.lifetime.maxIdleMs / 10));
  }

  /** The store of the configured token cache, for this provider's namespace. */
  #sessionStore(): SessionStore {
    if (this.#store !== undefined) return this.#store;
    const source = this.#host.cache as TokenCache & SessionStoreSource;
    if (typeof source.sessionStore !== "function") {
      throw configurationError(
        "tokenCache",
        "keeps no long-running sessions: it has no sessionStore(namespace) method (MemoryTokenCache and RedisTokenCache have one).",
      );
    }
    this.#store = source.sessionStore(this.#host.namespace);
    return this.#store;
  }

  #tokenKey(id: string, scopes: readonly string[]): string {
    return `${this.#host.namespace}s|${id}|${scopesKey(scopes)}`;
  }

  /**
   * Starts a session with the user's checked assertion: exchanges it (its access token is cached
   * for the session) and stores the refresh token.
   *
   * @returns the session key
   */
  public async start(exchange: SessionStartExchange): Promise<string> {
    this.#sessionStore();
    const user = userOf(exchange);
    const { key, id } = newSessionKey(this.#host.namespace);
    await this.#host.engine.acquire({
      key: this.#tokenKey(id, exchange.scopes),
      request: () => ({ kind: "session-start", id, user, claims: undefined, ...exchange }),
    });
    this.#host.log.info(
      `started long-running session ${id.slice(0, 8)} (tenant=${exchange.tenant}${exchange.agentId === undefined ? "" : `, agent=${exchange.agentId}`}, correlationId=${exchange.correlationId})`,
    );
    return key;
  }

  /**
   * A token of the session: cached, or from its refresh token.
   *
   * @param key - the session key
   * @param scopes - the scopes, or `undefined` for the session's own
   */
  public async acquire(
    key: unknown,
    scopes: readonly string[] | undefined,
    claims: string | undefined,
    correlationId: string | undefined,
  ): Promise<string> {
    const id = sessionStorageId(key, this.#host.namespace);
    const store = this.#sessionStore();
    const record = await store.get(id);
    if (record === undefined) {
      throw sessionNotFound("the key is unknown, or its session has ended or expired.");
    }
    this.#touch(store, id, record);
    const wanted = scopes ?? record.scopes;
    return this.#host.engine.acquire({
      key: this.#tokenKey(id, wanted),
      claims,
      request: () => ({
        kind: "session",
        id,
        agentId: record.agentId,
        tenant: record.tenantId,
        scopes: wanted,
        claims,
        correlationId: correlationId ?? randomUUID(),
      }),
    });
  }

  /** The engine's fetch for a session's token request. */
  public fetch(request: SessionTokenRequest): Promise<FetchedToken> {
    return request.kind === "session-start"
      ? this.#first(request)
      : this.#serial(request.id, () => this.#refresh(request));
  }

  async #first(
    request: Extract<SessionTokenRequest, { kind: "session-start" }>,
  ): Promise<FetchedToken> {
    let refreshToken: string | undefined;
    const keepRefreshToken = (kept: string | undefined): void => {
      refreshToken = kept;
    };
    const { agentId, tenant, assertion, scopes, correlationId } = request;
    const token =
      agentId === undefined
        ? await this.#host.sender.onBehalfOf({
            client: this.#host.client,
            assertion,
            scopes,
            correlationId,
            authority: authorityUrl(this.#host.authority, tenant),
            keepRefreshToken,
            what: `an On-Behalf-Of token for a long-running session (tenant=${tenant})`,
          })
        : await this.#host.agents.onBehalfOf({
            agentId,
            tenant,
            assertion,
            scopes,
            claims: undefined,
            correlationId,
            keepRefreshToken,
          });
    if (refreshToken === undefined) {
      throw new OnBehalfOfError(
        "ERR_OBO_TOKEN_REQUEST_FAILED",
        "Entra returned no refresh token for the session's first exchange (offline_access was requested): no session was started.",
        { leg: "obo", correlationId: request.correlationId },
      );
    }
    const now = Date.now();
    const record: SessionRecord = {
      refreshToken,
      clientId: request.agentId ?? this.#host.clientId,
      ...(request.agentId === undefined ? {} : { agentId: request.agentId }),
      tenantId: request.tenant,
      scopes: [...request.scopes],
      user: request.user,
      createdAt: now,
      lastUsedAt: now,
      version: 0,
    };
    await this.#sessionStore().create(request.id, record, this.#host.lifetime);
    return { accessToken: token.accessToken, expiresAt: token.expiresAt };
  }

  async #refresh(
    request: Extract<SessionTokenRequest, { kind: "session" }>,
  ): Promise<FetchedToken> {
    const store = this.#sessionStore();
    const record = await store.get(request.id);
    if (record === undefined) {
      throw sessionNotFound("the session has ended or expired.");
    }
    let rotated: string | undefined;
    let token: FetchedToken;
    try {
      token = await this.#redeem(record, request, (kept) => {
        rotated = kept;
      });
    } catch (error) {
      if (!isRefusal(error)) throw error;
      await this.#drop(store, request.id, "its refresh token was refused");
      throw revoked(error);
    }
    if (rotated !== undefined && rotated !== record.refreshToken) {
      await this.#keep(store, request.id, record, rotated);
    }
    return { accessToken: token.accessToken, expiresAt: token.expiresAt };
  }

  /** Redeems the session's refresh token: as the API, or as the agent identity with its T1. */
  async #redeem(
    record: SessionRecord,
    request: Extract<SessionTokenRequest, { kind: "session" }>,
    keep: (refreshToken: string | undefined) => void,
  ): Promise<FetchedToken> {
    const { agentId, tenantId } = record;
    const { correlationId, claims } = request;
    const grant = {
      refreshToken: record.refreshToken,
      scopes: request.scopes,
      claims,
      correlationId,
      authority: authorityUrl(this.#host.authority, tenantId),
      keepRefreshToken: keep,
      what: `a token of long-running session ${request.id.slice(0, 8)} (tenant=${tenantId}${agentId === undefined ? "" : `, agent=${agentId}`}${claims === undefined ? "" : ", with claims"})`,
    };
    return agentId === undefined
      ? this.#host.sender.refreshToken({ ...grant, client: this.#host.client })
      : this.#host.agents.refreshToken({ ...grant, agentId, tenant: tenantId });
  }

  /**
   * Writes a rotated refresh token with compare-and-set. On a lost race: another instance rotated
   * it first (its token is kept: both are valid), or only `lastUsedAt` moved (retry on the new
   * version), or the session was ended (then the token is not served).
   */
  async #keep(
    store: SessionStore,
    id: string,
    read: SessionRecord,
    rotated: string,
  ): Promise<void> {
    let record = read;
    for (let attempt = 0; attempt < MAX_REPLACE_ATTEMPTS; attempt++) {
      const next: SessionRecord = {
        ...record,
        refreshToken: rotated,
        lastUsedAt: Math.max(record.lastUsedAt, Date.now()),
        version: record.version + 1,
      };
      if (await store.replace(id, record.version, next, this.#host.lifetime)) return;
      const current = await store.get(id);
      if (current === undefined) {
        throw sessionNotFound("the session was ended while its token was refreshed.");
      }
      if (current.refreshToken !== read.refreshToken) return;
      record = current;
    }
    this.#host.log.warn(
      `long-running session ${id.slice(0, 8)}: the rotated refresh token lost ${MAX_REPLACE_ATTEMPTS} races; the previous one (still valid) is kept`,
    );
  }

  /** Records a use (`lastUsedAt`) at most once per `#touchEveryMs`, without waiting for it. */
  #touch(store: SessionStore, id: string, record: SessionRecord): void {
    const now = Date.now();
    if (now - record.lastUsedAt < this.#touchEveryMs) return;
    const next: SessionRecord = { ...record, lastUsedAt: now, version: record.version + 1 };
    store.replace(id, record.version, next, this.#host.lifetime).then(
      () => undefined,
      (error: unknown) => {
        this.#host.log.warn(`long-running session: recording a use failed (${describe(error)})`);
      },
    );
  }

  async #drop(store: SessionStore, id: string, why: string): Promise<void> {
    try {
      await store.delete(id);
      this.#host.log.warn(`ended long-running session ${id.slice(0, 8)}: ${why}`);
    } catch (error) {
      this.#host.log.warn(
        `long-running session ${id.slice(0, 8)}: ending it failed (${describe(error)}); ${why}`,
      );
    }
  }

  /** Runs the refreshes of one session one after the other, in this process. */
  #serial<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(id) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(id, tail);
    void tail.then(() => {
      if (this.#queues.get(id) === tail) this.#queues.delete(id);
    });
    return run;
  }

  /**
   * Ends a session: later uses fail with `ERR_OBO_SESSION_NOT_FOUND`, on every instance.
   *
   * @returns whether there was such a session
   */
  public async end(key: unknown): Promise<boolean> {
    const id = sessionStorageId(key, this.#host.namespace);
    return this.#endById(id);
  }

  async #endById(id: string): Promise<boolean> {
    const store = this.#sessionStore();
    const record = await store.get(id);
    const deleted = await store.delete(id);
    if (record !== undefined) {
      try {
        await this.#host.cache.delete(this.#tokenKey(id, record.scopes));
      } catch (error) {
        // The store decides: an ended session's token is never served, even if it stays cached.
        this.#host.log.warn(`dropping an ended session's token failed (${describe(error)})`);
      }
    }
    return deleted;
  }

  /** The live sessions of a user. */
  public async list(user: SessionUser): Promise<readonly SessionInfo[]> {
    const { tid, oid } = checkUser(user);
    const store = this.#sessionStore();
    const infos: SessionInfo[] = [];
    for (const id of await store.listByUser(tid, oid)) {
      const record = await store.get(id);
      if (record === undefined) continue;
      infos.push({
        id,
        ...(record.agentId === undefined ? {} : { agentId: record.agentId }),
        scopes: record.scopes,
        createdAt: record.createdAt,
        lastUsedAt: record.lastUsedAt,
      });
    }
    return infos;
  }

  /**
   * Ends every session of a user (sign-out, account deletion).
   *
   * @returns how many were ended
   */
  public async endUser(user: SessionUser): Promise<number> {
    const { tid, oid } = checkUser(user);
    let ended = 0;
    for (const id of await this.#sessionStore().listByUser(tid, oid)) {
      if (await this.#endById(id)) ended++;
    }
    return ended;
  }
}

function checkUser(user: SessionUser): SessionUser {
  if (typeof user !== "object" || (user as unknown) === null) {
    throw configurationError("user", "must be { tid, oid }: the user's tenant id and object id.");
  }
  for (const field of ["tid", "oid"] as const) {
    if (typeof user[field] !== "string" || user[field] === "") {
      throw configurationError(`user.${field}`, "must be a non-empty string (a GUID).");
    }
  }
  return { tid: user.tid.toLowerCase(), oid: user.oid.toLowerCase() };
}
