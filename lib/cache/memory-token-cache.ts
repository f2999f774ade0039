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
   * Key → ring position. The entries themselves sit in arrays by position, so a hit reads the
   * position (a small integer held in the `Map`) and then the entry: no per-entry wrapper object
   * to load on the way, which is a memory access saved on every hit of a large cache.
   */
  readonly #positions = new Map<string, number>();
  /** Keys by ring position; `undefined` marks a free position (listed in `#free`). */
  // Stryker disable next-line ArrayDeclaration: a key at position 0 before any entry is overwritten by the first set (positions come from #entries.length)
  readonly #keys: (string | undefined)[] = [];
  /** Entries by ring position; `undefined` at a free position. */
  readonly #entries: (CachedToken | undefined)[] = [];
  /** By ring position: 1 when read since the eviction hand last passed (spared once). */
  #referenced = new Uint8Array(64);
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
    const entry = this.#entries[position];
    // Stryker disable next-line ConditionalExpression: a position in the map always holds an entry (defensive)
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#remove(position);
      this.#expired++;
      return undefined;
    }
    this.#referenced[position] = 1;
    return entry;
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
    return this.#entries[position];
  }

  /** {@inheritDoc TokenCache.set} */
  public set(key: string, entry: CachedToken): void {
    const now = this.#now();
    const existing = this.#positions.get(key);
    if (existing !== undefined) {
      this.#entries[existing] = entry;
      this.#referenced[existing] = 1;
    } else {
      if (this.#positions.size >= this.#maxEntries) this.#evictOne(now);
      const position = this.#free.pop() ?? this.#entries.length;
      if (position >= this.#referenced.length) this.#grow(position);
      this.#keys[position] = key;
      this.#entries[position] = entry;
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
    this.#entries.length = 0;
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
    this.#entries[position] = undefined;
    this.#free.push(position);
  }

  /** Makes room in the marks for `position` (doubling: the marks grow with the ring). */
  #grow(position: number): void {
    const marks = new Uint8Array(Math.max(position + 1, this.#referenced.length * 2));
    marks.set(this.#referenced);
    this.#referenced = marks;
  }

  /** Frees one ring position (the cache is full, so the ring has no free positions). */
  #evictOne(now: number): void {
    const entries = this.#entries;
    const marks = this.#referenced;
    for (let scanned = 0; ; scanned++) {
      const index = this.#hand;
      // Stryker disable next-line EqualityOperator,ArithmeticOperator: `<=` or `index - 1 <` visit the empty position past the end, skipped like any free one
      this.#hand = index + 1 < entries.length ? index + 1 : 0;
      const entry = entries[index];
      // Stryker disable next-line ConditionalExpression: the cache is full here, so the ring has no free position (defensive)
      if (entry === undefined) continue;
      if (entry.expiresAt <= now) {
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
    const entries = this.#entries;
    for (let i = 0; i < SWEEP_STEP && entries.length > 0; i++) {
      if (this.#sweepCursor >= entries.length) this.#sweepCursor = 0;
      const position = this.#sweepCursor++;
      const entry = entries[position];
      if (entry !== undefined && entry.expiresAt <= now) {
        this.#remove(position);
        this.#expired++;
      }
    }
  }
}
