import { OptionChecks } from "../options/checks.js";

const CHECKS = new OptionChecks("MemoryTokenCache");
import {
  MemorySessionStore,
  type MemorySessionStoreOptions,
} from "../session/memory-session-store.js";
import type { SessionStore } from "../session/session-store.js";
import type { CachedToken, TokenCache } from "./token-cache.js";

/** Options of {@link MemoryTokenCache}. */
export interface MemoryTokenCacheOptions {
  /**
   * The most entries kept; beyond it, an entry not read since the eviction hand last passed it is
   * evicted (CLOCK, an approximation of least recently used).
   *
   * @defaultValue 10000 (about 20 MB with typical 1.6 KB Graph tokens)
   */
  readonly maxEntries?: number;
  /**
   * Ignored. Expired entries are now swept out a few at a time on every write, never by a walk of
   * the whole cache, so there is no interval to set.
   *
   * @deprecated since the incremental sweep; accepted so that existing options still type-check.
   */
  readonly sweepIntervalMs?: number;
  /**
   * The most long-running sessions kept per namespace (see {@link MemorySessionStoreOptions}).
   * Sessions are never evicted to make room: starting one fails when the store is full.
   *
   * @defaultValue 10000
   */
  readonly maxSessions?: number;
  /** The clock, for tests. @defaultValue `Date.now` */
  readonly now?: () => number;
}

/** Ring positions the per-position arrays have room for at first; they double as the ring grows. */
const INITIAL_CAPACITY = 64;

/** `target` (larger) holding `source`'s values first. */
function grown<T extends Uint8Array | Float64Array>(target: T, source: T): T {
  target.set(source);
  return target;
}

/** Ring positions a write examines for expired entries (bounded work per write). */
const SWEEP_STEP = 2;
/** Ring positions an eviction examines at most before it evicts whatever the hand points at. */
const MAX_CLOCK_SCAN = 32;

/**
 * The default {@link TokenCache}: an in-memory cache with a hard bound on entries. A lookup is one
 * `Map` access, whatever the number of entries, and a hit writes nothing but a flag.
 *
 * @remarks
 * Eviction is CLOCK (second chance), an approximation of least recently used: entries sit in a
 * ring; a read marks its entry; beyond `maxEntries`, the eviction hand walks the ring, sparing
 * (and unmarking) marked entries, and evicts the first unmarked one — after at most 32 positions
 * it evicts the entry it points at, so the work per write is bounded. Expired entries are never
 * returned by `get`; they are dropped when read, and every write also examines the next two ring
 * positions and drops what has expired there, so the sweep walks the whole cache once every
 * `maxEntries / 2` writes, a couple of entries at a time. `stats()` counts evictions (by the size
 * bound) and expired entries (dropped by a read, the sweep, or met by the eviction hand) exactly.
 *
 * @example
 * ```ts
 * new OnBehalfOfAuthenticationProvider({ ..., tokenCache: new MemoryTokenCache({ maxEntries: 50_000 }) });
 * ```
 */
export class MemoryTokenCache implements TokenCache {
  /**
   * Key → ring position. An entry's fields sit in arrays by position (its token in an array, its
   * times in `Float64Array`s), not in an object of its own: a hit reads the position (a small
   * integer held in the `Map`) and then a few array slots, which a large cache keeps close
   * together, and each entry saves its object and the three boxed numbers of its times (about
   * 100 bytes). `get` and `peek` hand out a fresh {@link CachedToken} of those fields.
   */
  readonly #positions = new Map<string, number>();
  /** Keys by ring position; `undefined` marks a free position (listed in `#free`). */
  // Stryker disable next-line ArrayDeclaration: a key at position 0 before any entry is overwritten by the first set (positions come from #tokens.length)
  readonly #keys: (string | undefined)[] = [];
  /** Access tokens by ring position; `undefined` at a free position. */
  readonly #tokens: (string | undefined)[] = [];
  /** By ring position: the entry's `expiresAt`. */
  #expiresAt = new Float64Array(INITIAL_CAPACITY);
  /** By ring position: the entry's `refreshAt`. */
  #refreshAt = new Float64Array(INITIAL_CAPACITY);
  /** By ring position: the entry's `assertionExpiresAt`, NaN when it has none. */
  #assertionExpiresAt = new Float64Array(INITIAL_CAPACITY);
  /** By ring position: 1 when read since the eviction hand last passed (spared once). */
  #referenced = new Uint8Array(INITIAL_CAPACITY);
  readonly #free: number[] = [];
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #sessionOptions: MemorySessionStoreOptions;
  readonly #sessionStores = new Map<string, MemorySessionStore>();
  #hand = 0;
  #sweepCursor = 0;
  #evictions = 0;
  #expired = 0;

  /** @param options - size bound and clock */
  public constructor(options: MemoryTokenCacheOptions = {}) {
    this.#maxEntries = CHECKS.positiveInteger(options.maxEntries, "maxEntries", 10_000);
    this.#now = options.now ?? Date.now;
    this.#sessionOptions = { now: this.#now, maxSessions: options.maxSessions ?? 10_000 };
    new MemorySessionStore(this.#sessionOptions); // validates maxSessions now, not at first use
  }

  /** The number of entries held now. */
  public get size(): number {
    return this.#positions.size;
  }

  /** {@inheritDoc TokenCache.get} */
  public get(key: string): CachedToken | undefined {
    const position = this.#positions.get(key);
    if (position === undefined) return undefined;
    if (this.#expiredAt(position, this.#now())) {
      this.#remove(position);
      this.#expired++;
      return undefined;
    }
    this.#referenced[position] = 1;
    return this.#entryAt(position);
  }

  /**
   * The entry for `key` as held, without reading the clock: the caller checks `expiresAt` (the
   * provider never serves an entry within `expirySkewMs` of it, and reads a stale one again with
   * `get`, which drops it). Marks the entry as recently used.
   */
  public peek(key: string): CachedToken | undefined {
    const position = this.#positions.get(key);
    if (position === undefined) return undefined;
    this.#referenced[position] = 1;
    return this.#entryAt(position);
  }

  /** {@inheritDoc TokenCache.set} */
  public set(key: string, entry: CachedToken): void {
    const now = this.#now();
    const existing = this.#positions.get(key);
    if (existing !== undefined) {
      this.#write(existing, entry);
      this.#referenced[existing] = 1;
    } else {
      if (this.#positions.size >= this.#maxEntries) this.#evictOne(now);
      const position = this.#free.pop() ?? this.#tokens.length;
      if (position >= this.#referenced.length) this.#grow(position);
      this.#keys[position] = key;
      this.#write(position, entry);
      this.#referenced[position] = 0;
      this.#positions.set(key, position);
    }
    this.#sweepStep(now);
  }

  /** {@inheritDoc TokenCache.delete} */
  public delete(key: string): void {
    const position = this.#positions.get(key);
    // Stryker disable next-line ConditionalExpression: removing an undefined position deletes nothing, and the free list's undefined falls back to the end of the ring
    if (position !== undefined) this.#remove(position);
  }

  /** Removes every entry. */
  public clear(): void {
    this.#positions.clear();
    this.#keys.length = 0;
    this.#tokens.length = 0;
    this.#free.length = 0;
    this.#hand = 0;
    this.#sweepCursor = 0;
  }

  /**
   * The in-memory session store of `namespace`: one per namespace, kept for the life of this
   * cache (sessions do not survive the process). {@link MemoryTokenCache.clear} leaves it alone.
   */
  public sessionStore(namespace: string): SessionStore {
    let store = this.#sessionStores.get(namespace);
    if (store === undefined) {
      store = new MemorySessionStore(this.#sessionOptions);
      this.#sessionStores.set(namespace, store);
    }
    return store;
  }

  /** {@inheritDoc TokenCache.stats} */
  public stats(): Readonly<Record<string, number>> {
    return { size: this.#positions.size, evictions: this.#evictions, expired: this.#expired };
  }

  #remove(position: number): void {
    const key = this.#keys[position];
    if (key !== undefined) this.#positions.delete(key);
    this.#keys[position] = undefined;
    this.#tokens[position] = undefined;
    this.#free.push(position);
  }

  /** The entry at an occupied ring position, as a fresh object. */
  #entryAt(position: number): CachedToken | undefined {
    const accessToken = this.#tokens[position];
    // Stryker disable next-line ConditionalExpression: a position in the map always holds an entry (defensive)
    if (accessToken === undefined) return undefined;
    const expiresAt = this.#expiresAt[position] ?? Number.NaN;
    const refreshAt = this.#refreshAt[position] ?? Number.NaN;
    const assertionExpiresAt = this.#assertionExpiresAt[position] ?? Number.NaN;
    return Number.isNaN(assertionExpiresAt)
      ? { accessToken, expiresAt, refreshAt }
      : { accessToken, expiresAt, refreshAt, assertionExpiresAt };
  }

  /** Whether the entry at an occupied ring position has expired at `now`. */
  #expiredAt(position: number, now: number): boolean {
    return !((this.#expiresAt[position] ?? Number.NaN) > now);
  }

  /** Stores an entry's fields at a ring position. */
  #write(position: number, entry: CachedToken): void {
    this.#tokens[position] = entry.accessToken;
    this.#expiresAt[position] = entry.expiresAt;
    this.#refreshAt[position] = entry.refreshAt;
    this.#assertionExpiresAt[position] = entry.assertionExpiresAt ?? Number.NaN;
  }

  /** Makes room in the per-position arrays for `position` (doubling: they grow with the ring). */
  #grow(position: number): void {
    const capacity = Math.max(position + 1, this.#referenced.length * 2);
    this.#referenced = grown(new Uint8Array(capacity), this.#referenced);
    this.#expiresAt = grown(new Float64Array(capacity), this.#expiresAt);
    this.#refreshAt = grown(new Float64Array(capacity), this.#refreshAt);
    this.#assertionExpiresAt = grown(new Float64Array(capacity), this.#assertionExpiresAt);
  }

  /** Frees one ring position (the cache is full, so the ring has no free positions). */
  #evictOne(now: number): void {
    const tokens = this.#tokens;
    const marks = this.#referenced;
    for (let scanned = 0; ; scanned++) {
      const index = this.#hand;
      // Stryker disable next-line EqualityOperator,ArithmeticOperator: `<=` or `index - 1 <` visit the empty position past the end, skipped like any free one
      this.#hand = index + 1 < tokens.length ? index + 1 : 0;
      // Stryker disable next-line ConditionalExpression: the cache is full here, so the ring has no free position (defensive)
      if (tokens[index] === undefined) continue;
      if (this.#expiredAt(index, now)) {
        this.#remove(index);
        this.#expired++;
        return;
      }
      if (marks[index] === 1 && scanned < MAX_CLOCK_SCAN) {
        marks[index] = 0;
        continue;
      }
      this.#remove(index);
      this.#evictions++;
      return;
    }
  }

  /** Drops the expired entries among the next {@link SWEEP_STEP} ring positions. */
  #sweepStep(now: number): void {
    const tokens = this.#tokens;
    // Called after a write only, so the ring holds at least one position.
    for (let i = 0; i < SWEEP_STEP; i++) {
      if (this.#sweepCursor >= tokens.length) this.#sweepCursor = 0;
      const position = this.#sweepCursor++;
      if (tokens[position] !== undefined && this.#expiredAt(position, now)) {
        this.#remove(position);
        this.#expired++;
      }
    }
  }
}
