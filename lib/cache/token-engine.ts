import { OnBehalfOfError } from "../errors.js";
import type { InternalLogger } from "../logger.js";
import { isPromiseLike } from "../promises.js";
import { SingleFlight } from "./single-flight.js";
import type { CachedToken, TokenCache } from "./token-cache.js";

/** Counters of a provider's token cache and token requests. */
export interface TokenStats {
  /** Calls answered from the cache. */
  readonly hits: number;
  /** Calls that found no usable entry and started a token request. */
  readonly misses: number;
  /** Calls that found a request for the same key under way and waited for it. */
  readonly coalesced: number;
  /** Background renewals started ahead of expiry. */
  readonly refreshes: number;
  /** Requests sent to the token endpoint (every leg counts). */
  readonly tokenRequests: number;
  /** Acquisitions that failed. */
  readonly failures: number;
  /** Entries evicted by the cache's size bound. */
  readonly evictions: number;
  /** Entries dropped because they had expired. */
  readonly expired: number;
  /** Entries held by the first-level cache now. */
  readonly size: number;
}

/** Something the token cache did, for metrics systems. See `onCacheEvent`. */
export type TokenCacheEvent =
  | {
      /** A cache hit, a miss, a wait on another caller's request, or a renewal ahead of expiry. */
      readonly type: "hit" | "miss" | "coalesced" | "refresh";
    }
  | {
      /** A request sent to the token endpoint. */
      readonly type: "token-request";
      /** Which request: `obo`, `exchange-token`, `app-only` or `agent-user`. */
      readonly leg: string;
    }
  | {
      /** An acquisition failed. */
      readonly type: "failure";
      /** The `ERR_OBO_*` code of the failure. */
      readonly code: string;
    };

/** What a fetch returns to the engine. @internal */
export interface FetchedToken {
  readonly accessToken: string;
  readonly expiresAt: number;
  /** Expiry of the user assertion the token was obtained with (absent for app-only tokens). */
  readonly assertionExpiresAt?: number | undefined;
}

/** Engine settings. @internal */
export interface TokenEngineOptions<R> {
  readonly cache: TokenCache;
  readonly fetch: (request: R) => Promise<FetchedToken>;
  readonly log: InternalLogger;
  readonly now: () => number;
  /** A token is not served within this margin of its expiry. */
  readonly expirySkewMs: number;
  /** A renewal starts this long before expiry (at most half the lifetime). */
  readonly refreshAheadMs: number;
  /** Tolerance when checking the user assertion's expiry. */
  readonly clockSkewMs: number;
  readonly onEvent: ((event: TokenCacheEvent) => void) | undefined;
}

/** How one acquisition is to be done. @internal */
export interface EngineCall<R> {
  readonly key: string;
  readonly request: R;
  /** Skip the cache and replace its entry (claims challenges). */
  readonly forceRefresh?: boolean;
}

type MutableCounters = {
  -readonly [K in keyof Omit<TokenStats, "evictions" | "expired" | "size">]: number;
};

/**
 * The cache engine in front of the token endpoint: O(1) hits, one request per key at a time,
 * refresh ahead of expiry, and counters.
 *
 * @internal
 */
export class TokenEngine<R> {
  readonly #options: TokenEngineOptions<R>;
  readonly #flights = new SingleFlight<CachedToken>();
  readonly #counters: MutableCounters = {
    hits: 0,
    misses: 0,
    coalesced: 0,
    refreshes: 0,
    tokenRequests: 0,
    failures: 0,
  };

  public constructor(options: TokenEngineOptions<R>) {
    this.#options = options;
  }

  /** Counts a request sent to the token endpoint. */
  public countTokenRequest(leg: string): void {
    this.#counters.tokenRequests++;
    this.#options.onEvent?.({ type: "token-request", leg });
  }

  /** The counters, merged with the cache's own. */
  public stats(): TokenStats {
    const cacheStats = this.#options.cache.stats?.() ?? {};
    return {
      ...this.#counters,
      evictions: cacheStats.evictions ?? 0,
      expired: cacheStats.expired ?? 0,
      size: cacheStats.size ?? 0,
    };
  }

  /** Returns a token for the call: from the cache when it may be served, otherwise fetched once. */
  public async acquire(call: EngineCall<R>): Promise<string> {
    if (call.forceRefresh !== true) {
      const found = this.#options.cache.get(call.key);
      const entry = isPromiseLike<CachedToken | undefined>(found)
        ? await this.#safeGet(found)
        : found;
      if (entry !== undefined) {
        const served = this.#serve(call, entry);
        if (served !== undefined) return served;
      }
    }
    const { promise, joined } = this.#fill(call, call.forceRefresh === true);
    this.#count(joined ? "coalesced" : "misses");
    return (await promise).accessToken;
  }

  /** Drops the entry for a key (a token Graph no longer accepts). */
  public async invalidate(key: string): Promise<void> {
    await this.#options.cache.delete(key);
  }

  async #safeGet(found: PromiseLike<CachedToken | undefined>): Promise<CachedToken | undefined> {
    try {
      return await found;
    } catch (error) {
      this.#options.log.warn(`token cache read failed; fetching a new token (${describe(error)})`);
      return undefined;
    }
  }

  #serve(call: EngineCall<R>, entry: CachedToken): string | undefined {
    const now = this.#options.now();
    if (
      entry.assertionExpiresAt !== undefined &&
      now > entry.assertionExpiresAt + this.#options.clockSkewMs
    ) {
      void this.#options.cache.delete(call.key);
      throw new OnBehalfOfError(
        "ERR_OBO_USER_ASSERTION_EXPIRED",
        "The user assertion has expired. The client must send a fresh access token for this API.",
      );
    }
    if (now >= entry.expiresAt - this.#options.expirySkewMs) return undefined;
    this.#count("hits");
    if (now >= entry.refreshAt && !this.#flights.has(refreshKey(call.key))) {
      this.#count("refreshes");
      if (this.#options.log.verboseEnabled)
        this.#options.log.verbose("renewing a token ahead of expiry");
      this.#fill(call, true).promise.catch((error: unknown) => {
        this.#options.log.warn(
          `renewal ahead of expiry failed; the current token is served until it expires (${describe(error)})`,
        );
      });
    }
    return entry.accessToken;
  }

  #count(counter: "hits" | "misses" | "coalesced" | "refreshes"): void {
    this.#counters[counter]++;
    const onEvent = this.#options.onEvent;
    if (onEvent !== undefined) onEvent({ type: EVENT_TYPES[counter] });
  }

  #fill(call: EngineCall<R>, replace: boolean): { promise: Promise<CachedToken>; joined: boolean } {
    return this.#flights.run(replace ? refreshKey(call.key) : call.key, async () => {
      try {
        const fetchEntry = async (): Promise<CachedToken> =>
          this.#entryFor(await this.#options.fetch(call.request));
        const { cache } = this.#options;
        const entry =
          cache.coordinate === undefined || replace
            ? await fetchEntry()
            : await cache.coordinate(call.key, fetchEntry);
        try {
          await this.#options.cache.set(call.key, entry);
        } catch (error) {
          this.#options.log.warn(
            `token cache write failed; the token is used uncached (${describe(error)})`,
          );
        }
        return entry;
      } catch (error) {
        this.#counters.failures++;
        this.#options.onEvent?.({
          type: "failure",
          code: error instanceof OnBehalfOfError ? error.code : "unknown",
        });
        throw error;
      }
    });
  }

  #entryFor(fetched: FetchedToken): CachedToken {
    const { assertionExpiresAt } = fetched;
    const now = this.#options.now();
    const lifetime = Math.max(0, fetched.expiresAt - now);
    const refreshAt = fetched.expiresAt - Math.min(this.#options.refreshAheadMs, lifetime / 2);
    return assertionExpiresAt === undefined
      ? { accessToken: fetched.accessToken, expiresAt: fetched.expiresAt, refreshAt }
      : {
          accessToken: fetched.accessToken,
          expiresAt: fetched.expiresAt,
          refreshAt,
          assertionExpiresAt,
        };
  }
}

const EVENT_TYPES = {
  hits: "hit",
  misses: "miss",
  coalesced: "coalesced",
  refreshes: "refresh",
} as const;

function refreshKey(key: string): string {
  return `${key}\u0000refresh`;
}

function describe(error: unknown): string {
  if (error instanceof OnBehalfOfError) return error.code;
  if (error instanceof Error) return error.name;
  return "unknown error";
}
