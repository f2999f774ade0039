import { OnBehalfOfError } from "../util/errors.js";
import type { InternalLogger } from "../util/logger.js";
import { isPromiseLike } from "../util/promises.js";
import { EngineCounters, type EngineMetrics } from "../util/telemetry/pipeline-metrics.js";
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
  /**
   * Calls refused without a token request because Entra refused the very same request moments
   * before (an assertion it answered with `invalid_grant`, replayed).
   */
  readonly rememberedRefusals: number;
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
      /** Which request: `obo`, `exchange-token`, `app-only`, `agent-user` or `refresh-token`. */
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
  /**
   * Where hits, misses, waits, renewals and failures are reported (the provider's one metrics
   * sink: counters, `onCacheEvent` and OpenTelemetry).
   *
   * @defaultValue plain counters
   */
  readonly metrics?: EngineMetrics | undefined;
  /** The error for an entry whose user assertion has expired (the entry is dropped). */
  readonly assertionExpired?: () => Error;
  /**
   * Whether a failed fetch is Entra's final word on that very request (for example `invalid_grant`
   * for the assertion): it is then answered from memory, without a request, for `refusalTtlMs`.
   */
  readonly isFinalRefusal?: (error: unknown) => boolean;
  /** How long a final refusal is remembered, in milliseconds; 0 turns it off. */
  readonly refusalTtlMs?: number;
  /** The most refusals remembered; the oldest goes first. @defaultValue 10000 */
  readonly maxRefusals?: number;
}

/** How one acquisition is to be done. @internal */
export interface EngineCall<R> {
  /** The cache key; it proves everything `request` checks (see {@link TokenEngine.acquire}). */
  readonly key: string;
  /**
   * Builds the request, running every local check on the way (it throws to refuse). Called only
   * when the first-level cache has no entry: before any second-level read, coordination or fetch.
   */
  request(): R;
  /** Claims of a claims challenge: skip the cache, fetch with them, and replace the entry. */
  readonly claims?: string | undefined;
}

interface Refusal {
  readonly error: unknown;
  readonly until: number;
}

/**
 * The cache engine in front of the token endpoint: O(1) hits, one request per key at a time,
 * refresh ahead of expiry, and counters.
 *
 * @internal
 */
export class TokenEngine<R> {
  readonly #options: TokenEngineOptions<R>;
  readonly #flights = new SingleFlight<CachedToken>();
  readonly #metrics: EngineMetrics;
  readonly #refusals = new Map<string, Refusal>();
  /** Flights whose result must not be written: a claims request replaced their entry meanwhile. */
  readonly #superseded = new Set<string>();

  public constructor(options: TokenEngineOptions<R>) {
    this.#options = options;
    this.#metrics = options.metrics ?? new EngineCounters();
  }

  /**
   * The call's token from the first-level cache, synchronously, when it may be served (a hit, with
   * a renewal ahead of expiry scheduled when due); `undefined` otherwise. Never does I/O: a caller
   * that gets `undefined` goes on with {@link TokenEngine.acquire}.
   *
   * @throws the `assertionExpired` error when the entry's user assertion has expired
   */
  public hit(call: EngineCall<R>): string | undefined {
    const { cache } = this.#options;
    if (call.claims !== undefined || cache.peek === undefined) return undefined;
    const entry = cache.peek(call.key);
    return entry === undefined ? undefined : this.#serve(call, entry);
  }

  /**
   * Returns a token for the call: from the cache when it may be served, otherwise fetched once.
   *
   * @remarks
   * The first-level cache (`TokenCache.peek`) is read before `call.request()` runs its local checks:
   * an entry there was stored under the same key after those checks passed, so it proves them, and
   * only what changes with time is checked again (the entry's own expiry and its assertion's). On a
   * first-level miss the checks run before anything else: the second level, a remembered refusal,
   * coordination and the fetch.
   *
   * @param call - the key, the request builder and the claims
   * @param peeked - the caller already read the first level with {@link TokenEngine.hit}
   */
  public async acquire(call: EngineCall<R>, peeked = false): Promise<string> {
    const { cache } = this.#options;
    const { claims } = call;
    if (!peeked && claims === undefined && cache.peek !== undefined) {
      const entry = cache.peek(call.key);
      if (entry !== undefined) {
        const served = this.#serve(call, entry);
        if (served !== undefined) return served;
      }
    }
    let request: R;
    try {
      request = call.request();
    } catch (error) {
      this.#fail(error);
      throw error;
    }
    this.#replayRefusal(call);
    if (claims === undefined) {
      const found = cache.get(call.key);
      const entry = isPromiseLike<CachedToken | undefined>(found)
        ? await this.#safeGet(found)
        : found;
      // A second-level hit fills the first level, which may evict.
      this.#metrics.noteEvictions(cache);
      if (entry !== undefined) {
        const served = this.#serve(call, entry, request);
        if (served !== undefined) return served;
      }
    }
    const { promise, joined } = this.#fill(call, request, claims === undefined ? "miss" : "claims");
    this.#count(joined ? "coalesced" : "misses");
    return (await promise).accessToken;
  }

  #replayRefusal(call: EngineCall<R>): void {
    if (this.#refusals.size === 0) return;
    const key = refusalKey(call);
    const refusal = this.#refusals.get(key);
    if (refusal === undefined) return;
    if (refusal.until <= this.#options.now()) {
      this.#refusals.delete(key);
      return;
    }
    this.#metrics.count("rememberedRefusals");
    this.#fail(refusal.error);
    throw refusal.error;
  }

  #remember(call: EngineCall<R>, error: unknown): void {
    const { isFinalRefusal, refusalTtlMs = 0, maxRefusals = 10_000 } = this.#options;
    if (refusalTtlMs <= 0 || isFinalRefusal?.(error) !== true) return;
    const key = refusalKey(call);
    this.#refusals.delete(key);
    this.#refusals.set(key, { error, until: this.#options.now() + refusalTtlMs });
    for (const oldest of this.#refusals.keys()) {
      if (this.#refusals.size <= maxRefusals) break;
      this.#refusals.delete(oldest);
    }
  }

  async #safeGet(found: PromiseLike<CachedToken | undefined>): Promise<CachedToken | undefined> {
    try {
      return await found;
    } catch (error) {
      this.#options.log.warn(`token cache read failed; fetching a new token (${describe(error)})`);
      return undefined;
    }
  }

  /**
   * The entry's token if it may be served; schedules a renewal ahead of expiry. `request` is the
   * call's checked request when it has been built already.
   */
  #serve(call: EngineCall<R>, entry: CachedToken, request?: R): string | undefined {
    const now = this.#options.now();
    if (
      // Stryker disable next-line ConditionalExpression: without it, `now > undefined + skew` compares with NaN: false, the same answer
      entry.assertionExpiresAt !== undefined &&
      now > entry.assertionExpiresAt + this.#options.clockSkewMs
    ) {
      void this.#options.cache.delete(call.key);
      const error =
        this.#options.assertionExpired?.() ?? new Error("The entry's assertion has expired.");
      this.#fail(error);
      throw error;
    }
    if (now >= entry.expiresAt - this.#options.expirySkewMs) return undefined;
    this.#count("hits");
    if (now >= entry.refreshAt && !this.#flights.has(refreshKey(call.key))) {
      this.#refreshAhead(call, request);
    }
    return entry.accessToken;
  }

  #refreshAhead(call: EngineCall<R>, checked: R | undefined): void {
    let request: R;
    try {
      request = checked ?? call.request();
    } catch {
      return; // the entry is served until it expires; the caller's next miss reports the problem
    }
    this.#count("refreshes");
    // Stryker disable next-line ConditionalExpression: a disabled verbose log is a no-op; the check only saves building the message
    if (this.#options.log.verboseEnabled)
      this.#options.log.verbose("renewing a token ahead of expiry");
    this.#fill(call, request, "refresh").promise.catch((error: unknown) => {
      this.#options.log.warn(
        `renewal ahead of expiry failed; the current token is served until it expires (${describe(error)})`,
      );
    });
  }

  #count(counter: "hits" | "misses" | "coalesced" | "refreshes"): void {
    this.#metrics.count(counter);
  }

  /**
   * Fetches and stores a token, one flight per key and kind: a plain miss, a renewal ahead of
   * expiry, and a claims request (per claims) never join one another, so a claims challenge always
   * gets a token requested with its claims. A claims request supersedes the plain flights under way
   * for its key: their older result is not written over its entry.
   */
  #fill(
    call: EngineCall<R>,
    request: R,
    kind: "miss" | "refresh" | "claims",
  ): { promise: Promise<CachedToken>; joined: boolean } {
    const flightKey =
      kind === "miss"
        ? call.key
        : kind === "refresh"
          ? refreshKey(call.key)
          : // Stryker disable next-line StringLiteral: a "claims" fill always has claims; the fallback is for the type only
            claimsKey(call.key, call.claims ?? "");
    if (kind === "claims") {
      for (const plain of [call.key, refreshKey(call.key)]) {
        if (this.#flights.has(plain)) this.#superseded.add(plain);
      }
    }
    return this.#flights.run(flightKey, async () => {
      try {
        const fetchEntry = async (): Promise<CachedToken> =>
          this.#entryFor(await this.#options.fetch(request));
        const { cache } = this.#options;
        const entry =
          cache.coordinate === undefined || kind !== "miss"
            ? await fetchEntry()
            : await cache.coordinate(call.key, fetchEntry);
        if (this.#superseded.delete(flightKey)) return entry;
        try {
          await cache.set(call.key, entry);
        } catch (error) {
          this.#options.log.warn(
            `token cache write failed; the token is used uncached (${describe(error)})`,
          );
        }
        this.#metrics.noteEvictions(cache);
        return entry;
      } catch (error) {
        this.#superseded.delete(flightKey);
        this.#remember(call, error);
        this.#fail(error);
        throw error;
      }
    });
  }

  #fail(error: unknown): void {
    this.#metrics.failure(error);
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

function refreshKey(key: string): string {
  return `${key}\u0000refresh`;
}

function claimsKey(key: string, claims: string): string {
  return `${key}\u0000claims\u0000${claims}`;
}

function refusalKey(call: EngineCall<unknown>): string {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: any one-to-one mapping of (key, claims) keeps refusals apart
  return call.claims === undefined ? call.key : claimsKey(call.key, call.claims);
}

function describe(error: unknown): string {
  if (error instanceof OnBehalfOfError) return error.code;
  if (error instanceof Error) return error.name;
  return "unknown error";
}
