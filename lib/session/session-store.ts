/**
 * What a long-running session keeps: enough to get access tokens for the same user, client and
 * scopes later, with no incoming request. Never logged, never part of an error.
 */
export interface SessionRecord {
  /** The refresh token Entra returned with the session's first exchange (or its rotation). */
  readonly refreshToken: string;
  /** The client the refresh token was issued to: the API's client id, or the agent identity's id. */
  readonly clientId: string;
  /** The agent identity acting on behalf of the user; absent for a plain On-Behalf-Of session. */
  readonly agentId?: string;
  /** The tenant the exchanges go to. */
  readonly tenantId: string;
  /** The scopes the session was started with (normalised). */
  readonly scopes: readonly string[];
  /** The user's object id (`oid`) and tenant id (`tid`), from the assertion the session started with. */
  readonly user: {
    /** The user's object id (`oid` claim). */
    readonly oid: string;
    /** The user's tenant id (`tid` claim). */
    readonly tid: string;
  };
  /** When the session started, in milliseconds since the epoch (the absolute lifetime runs from it). */
  readonly createdAt: number;
  /** When the session was last used, in milliseconds since the epoch (the idle time runs from it). */
  readonly lastUsedAt: number;
  /** Bumped on every change (refresh-token rotation, use): `replace` compares it. */
  readonly version: number;
}

/** How long a session may live. */
export interface SessionLifetime {
  /** The longest time between two uses, in milliseconds. */
  readonly maxIdleMs: number;
  /** The longest time from start, in milliseconds. */
  readonly maxLifetimeMs: number;
}

/**
 * Where sessions are kept: the configured token cache provides one (memory by default, Redis
 * encrypted and bound to its key). `id` is the storage id of a session (a hash of the session key,
 * never the key itself). A store drops a record once its idle time or absolute lifetime has passed
 * (`get` then answers `undefined`).
 *
 * @remarks
 * A store that cannot answer now (Redis unreachable, timed out or its circuit open; the in-memory
 * store full) rejects with `ERR_OBO_SESSION_STORE_UNAVAILABLE`: it never answers `undefined` or
 * `false` for a session it could not look at. A `replace` or `delete` that rejected so may still
 * have taken effect (a command that timed out can run later): read the session again. A malformed
 * record or lifetime rejects with `ERR_OBO_CONFIGURATION` before anything is stored; `create` of an
 * id that exists rejects with `ERR_OBO_SESSION_STORE_UNAVAILABLE` and leaves the first session.
 */
export interface SessionStore {
  /** Stores a new session; fails if `id` exists. */
  create(id: string, record: SessionRecord, lifetime: SessionLifetime): Promise<void>;
  /** The session, or `undefined` when there is none (unknown, ended, expired or unreadable). */
  get(id: string): Promise<SessionRecord | undefined>;
  /**
   * Replaces the session atomically if its stored `version` is still `expectedVersion` (a rotated
   * refresh token replaces the old one once, even with several instances refreshing at the same
   * time). Answers whether it replaced it.
   */
  replace(
    id: string,
    expectedVersion: number,
    next: SessionRecord,
    lifetime: SessionLifetime,
  ): Promise<boolean>;
  /** Removes the session; answers whether there was one. */
  delete(id: string): Promise<boolean>;
  /** The ids of the sessions of one user (tenant id and object id) that are still alive. */
  listByUser(tid: string, oid: string): Promise<readonly string[]>;
}
