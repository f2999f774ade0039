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

/** One cached entry with its place in the ring. */
interface Slot {
  readonly key: string;
  entry: CachedToken;
  /** Read since the eviction hand last passed: spared once. */
  referenced: boolean;
  readonly index: number;
}

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
  readonly #slots = new Map<string, Slot>();
  /** Slots by ring position; `undefined` marks a free position (listed in `#free`). */
  readonly #ring: (Slot | undefined)[] = [];
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
    return this.#slots.size;
  }

  /** {@inheritDoc TokenCache.get} */
  public get(key: string): CachedToken | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if (slot.entry.expiresAt <= this.#now()) {
      this.#remove(slot);
      this.#expired++;
      return undefined;
    }
    slot.referenced = true;
    return slot.entry;
  }

  /**
   * The entry for `key` as held, without reading the clock: the caller checks `expiresAt` (the
   * provider never serves an entry within `expirySkewMs` of it, and reads a stale one again with
   * `get`, which drops it). Marks the entry as recently used.
   */
  public peek(key: string): CachedToken | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    slot.referenced = true;
    return slot.entry;
  }

  /** {@inheritDoc TokenCache.set} */
  public set(key: string, entry: CachedToken): void {
    const now = this.#now();
    const existing = this.#slots.get(key);
    if (existing !== undefined) {
      existing.entry = entry;
      existing.referenced = true;
    } else {
      if (this.#slots.size >= this.#maxEntries) this.#evictOne(now);
      const index = this.#free.pop() ?? this.#ring.length;
      const slot: Slot = { key, entry, referenced: false, index };
      this.#ring[index] = slot;
      this.#slots.set(key, slot);
    }
    this.#sweepStep(now);
  }

  /** {@inheritDoc TokenCache.delete} */
  public delete(key: string): void {
    const slot = this.#slots.get(key);
    if (slot !== undefined) this.#remove(slot);
  }

  /** Removes every entry. */
  public clear(): void {
    this.#slots.clear();
    this.#ring.length = 0;
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
    return { size: this.#slots.size, evictions: this.#evictions, expired: this.#expired };
  }

  #remove(slot: Slot): void {
    this.#slots.delete(slot.key);
    this.#ring[slot.index] = undefined;
    this.#free.push(slot.index);
  }

  /** Frees one ring position (the cache is full, so the ring has no free positions). */
  #evictOne(now: number): void {
    const ring = this.#ring;
    for (let scanned = 0; ; scanned++) {
      const index = this.#hand;
      // Stryker disable next-line EqualityOperator,ArithmeticOperator: `<=` or `index - 1 <` visit the empty position past the end, skipped like any free one
      this.#hand = index + 1 < ring.length ? index + 1 : 0;
      const slot = ring[index];
      // Stryker disable next-line ConditionalExpression: the cache is full here, so the ring has no free position (defensive)
      if (slot === undefined) continue;
      if (slot.entry.expiresAt <= now) {
        this.#remove(slot);
        this.#expired++;
        return;
      }
      if (slot.referenced && scanned < MAX_CLOCK_SCAN) {
        slot.referenced = false;
        continue;
      }
      this.#remove(slot);
      this.#evictions++;
      return;
    }
  }

  /** Drops the expired entries among the next {@link SWEEP_STEP} ring positions. */
  #sweepStep(now: number): void {
    const ring = this.#ring;
    for (let i = 0; i < SWEEP_STEP && ring.length > 0; i++) {
      if (this.#sweepCursor >= ring.length) this.#sweepCursor = 0;
      const slot = ring[this.#sweepCursor++];
      if (slot !== undefined && slot.entry.expiresAt <= now) {
        this.#remove(slot);
        this.#expired++;
      }
    }
  }
}
