import { configurationError } from "../errors.js";
import type { CachedToken, TokenCache } from "./token-cache.js";

/** Options of {@link MemoryTokenCache}. */
export interface MemoryTokenCacheOptions {
  /**
   * The most entries kept; the least recently used is evicted beyond it.
   *
   * @defaultValue 10000 (about 20 MB with typical 1.6 KB Graph tokens)
   */
  readonly maxEntries?: number;
  /**
   * How often, at most, a write also sweeps out expired entries, in milliseconds.
   *
   * @defaultValue 60000
   */
  readonly sweepIntervalMs?: number;
  /** The clock, for tests. @defaultValue `Date.now` */
  readonly now?: () => number;
}

/**
 * The default {@link TokenCache}: an in-memory LRU with a hard bound on entries. A lookup is one
 * `Map` access, whatever the number of entries. Expired entries are dropped when read and swept
 * out periodically on writes.
 *
 * @example
 * ```ts
 * new OnBehalfOfAuthenticationProvider({ ..., tokenCache: new MemoryTokenCache({ maxEntries: 50_000 }) });
 * ```
 */
export class MemoryTokenCache implements TokenCache {
  readonly #entries = new Map<string, CachedToken>();
  readonly #maxEntries: number;
  readonly #sweepIntervalMs: number;
  readonly #now: () => number;
  #nextSweepAt: number;
  #evictions = 0;
  #expired = 0;

  /** @param options - size bound and sweep interval */
  public constructor(options: MemoryTokenCacheOptions = {}) {
    const max = options.maxEntries ?? 10_000;
    if (!Number.isInteger(max) || max < 1) {
      throw configurationError(
        "maxEntries",
        "must be a positive integer.",
        undefined,
        "MemoryTokenCache",
      );
    }
    this.#maxEntries = max;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#nextSweepAt = this.#now() + this.#sweepIntervalMs;
  }

  /** The number of entries held now. */
  public get size(): number {
    return this.#entries.size;
  }

  /** {@inheritDoc TokenCache.get} */
  public get(key: string): CachedToken | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) {
      this.#expired++;
      return undefined;
    }
    this.#entries.set(key, entry); // most recently used goes last
    return entry;
  }

  /** {@inheritDoc TokenCache.peek} */
  public peek(key: string): CachedToken | undefined {
    return this.get(key);
  }

  /** {@inheritDoc TokenCache.set} */
  public set(key: string, entry: CachedToken): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    const now = this.#now();
    if (now >= this.#nextSweepAt) this.#sweep(now);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
      this.#evictions++;
    }
  }

  /** {@inheritDoc TokenCache.delete} */
  public delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Removes every entry. */
  public clear(): void {
    this.#entries.clear();
  }

  /** {@inheritDoc TokenCache.stats} */
  public stats(): Readonly<Record<string, number>> {
    return { size: this.#entries.size, evictions: this.#evictions, expired: this.#expired };
  }

  #sweep(now: number): void {
    this.#nextSweepAt = now + this.#sweepIntervalMs;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
        this.#expired++;
      }
    }
  }
}
