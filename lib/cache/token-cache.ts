import type { SessionStore } from "../session/session-store.js";

/**
 * One cached token, as the provider stores it. Everything needed to decide whether it may be
 * served is in the entry, so a cache hit needs no decoding.
 */
export interface CachedToken {
  /** The access token. */
  readonly accessToken: string;
  /** When the token expires, in milliseconds since the epoch. */
  readonly expiresAt: number;
  /** From when on a background renewal should start, in milliseconds since the epoch. */
  readonly refreshAt: number;
  /**
   * When the user assertion the token was obtained with expires, in milliseconds since the epoch.
   * The entry is never served once that has passed. Absent for app-only tokens.
   */
  readonly assertionExpiresAt?: number;
}

/**
 * Storage for tokens, keyed by opaque strings that never contain a token or user id in clear text.
 * The in-memory {@link MemoryTokenCache} is the default; implement this interface to add another
 * store (for example Redis, as a second level).
 *
 * @remarks
 * Methods may answer synchronously or with a promise. A synchronous `get` keeps a cache hit at the
 * cost of a hash and a map lookup. A `get` must never throw for a missing, expired or unreadable
 * entry: it answers `undefined`, and the provider fetches a new token. Entries are immutable.
 *
 * @example A cache that logs and delegates
 * ```ts
 * class LoggingCache implements TokenCache {
 *   readonly #inner = new MemoryTokenCache();
 *   get(key: string) { return this.#inner.get(key); }
 *   set(key: string, entry: CachedToken) { console.log("stored", key); return this.#inner.set(key, entry); }
 *   delete(key: string) { return this.#inner.delete(key); }
 * }
 * ```
 */
export interface TokenCache {
  /** The entry for `key`, or `undefined` when there is none or it has expired. */
  get(key: string): CachedToken | undefined | PromiseLike<CachedToken | undefined>;
  /**
   * Optional: the entry for `key` from this process's memory only, synchronously, without any I/O
   * (a first-level lookup). The provider reads it before it decodes and checks the caller's token,
   * which keeps a hit at a hash and a map lookup; on a miss it checks the token and then calls
   * `get`. A cache without `peek` is read with `get` only after those checks.
   */
  peek?(key: string): CachedToken | undefined;
  /** Stores or replaces the entry for `key`. */
  set(key: string, entry: CachedToken): void | PromiseLike<void>;
  /** Removes the entry for `key`, if any. */
  delete(key: string): void | PromiseLike<void>;
  /** Counters of the cache itself (evictions, size), merged into the provider's stats. */
  stats?(): Readonly<Record<string, number>>;
  /**
   * Optional: coordinates a miss across processes that share this cache, so that one of them
   * fetches while the others wait for its result. The provider calls it instead of `fetch` on a
   * miss (never on a hit); it must eventually call `fetch` itself or return an entry another
   * process stored. The provider stores the returned entry with `set`.
   */
  coordinate?(key: string, fetch: () => Promise<CachedToken>): Promise<CachedToken>;
  /**
   * Optional: where this cache keeps long-running sessions, one store per `namespace` (the
   * provider's, so that providers sharing a cache never see each other's sessions). Called once
   * per provider; answers the same store for the same namespace. A cache without it cannot keep
   * sessions. {@link MemoryTokenCache} keeps them in memory, `RedisTokenCache` encrypted in Redis.
   */
  sessionStore?(namespace: string): SessionStore;
}
