import type { TokenCache } from "../../cache/token-cache.js";
import type { TokenCacheEvent, TokenStats } from "../../cache/token-engine.js";
import { OnBehalfOfError, type TokenRequestLeg } from "../errors.js";
import type { CacheMetrics, TokenRequestOutcome } from "./cache-metrics.js";

/** What the cache engine reports. @internal */
export type EngineCounter = "hits" | "misses" | "coalesced" | "refreshes" | "rememberedRefusals";

/**
 * Where a token engine reports what it does. @internal
 */
export interface EngineMetrics {
  /** One hit, miss, coalesced wait, renewal or remembered refusal. */
  count(counter: EngineCounter): void;
  /** One failed acquisition. */
  failure(error: unknown): void;
  /** The cache was written (or filled from a second level): report its new evictions. */
  noteEvictions(cache: TokenCache): void;
}

/** Where the grant sender reports its token requests. @internal */
export interface GrantMetrics {
  /** A request is being sent to the token endpoint. */
  tokenRequestSent(leg: TokenRequestLeg): void;
  /** A request ended after `seconds`. */
  tokenRequestEnded(leg: TokenRequestLeg, outcome: TokenRequestOutcome, seconds: number): void;
}

type Counters = Record<EngineCounter | "tokenRequests" | "failures", number>;

/**
 * Plain counters of a token engine, without events or OpenTelemetry: for the agent identities'
 * credential tokens (T1 and T2), reported in `agentStats()`.
 *
 * @internal
 */
export class EngineCounters implements EngineMetrics {
  protected readonly counters: Counters = {
    hits: 0,
    misses: 0,
    coalesced: 0,
    refreshes: 0,
    rememberedRefusals: 0,
    tokenRequests: 0,
    failures: 0,
  };

  public count(counter: EngineCounter): void {
    this.counters[counter]++;
  }

  public failure(_error: unknown): void {
    this.counters.failures++;
  }

  public noteEvictions(_cache: TokenCache): void {
    // plain counters: evictions are read from the cache's own stats
  }

  /** A snapshot of the counters. */
  public snapshot(): Readonly<Counters> {
    return { ...this.counters };
  }
}

const EVENT_TYPES = {
  hits: "hit",
  misses: "miss",
  coalesced: "coalesced",
  refreshes: "refresh",
} as const;

/**
 * The one metrics sink of a provider: the counters of `stats()`, the `onCacheEvent` callback and
 * the OpenTelemetry instruments. The cache engine and the grant sender receive it at construction
 * and report to it; nothing reaches back into the provider.
 *
 * @internal
 */
export class PipelineMetrics extends EngineCounters implements GrantMetrics {
  readonly #otel: CacheMetrics;
  readonly #onEvent: ((event: TokenCacheEvent) => void) | undefined;

  /**
   * @param otel - the OpenTelemetry instruments (no-ops without an SDK)
   * @param onEvent - the user's `onCacheEvent`, if any
   */
  public constructor(otel: CacheMetrics, onEvent: ((event: TokenCacheEvent) => void) | undefined) {
    super();
    this.#otel = otel;
    this.#onEvent = onEvent;
  }

  public override count(counter: EngineCounter): void {
    this.counters[counter]++;
    if (counter === "rememberedRefusals") return;
    this.#otel[counter].add(1);
    const onEvent = this.#onEvent;
    if (onEvent !== undefined) onEvent({ type: EVENT_TYPES[counter] });
  }

  public override failure(error: unknown): void {
    this.counters.failures++;
    this.#onEvent?.({
      type: "failure",
      code: error instanceof OnBehalfOfError ? error.code : "unknown",
    });
  }

  public override noteEvictions(cache: TokenCache): void {
    this.#otel.noteEvictions(cache);
  }

  public tokenRequestSent(leg: TokenRequestLeg): void {
    this.counters.tokenRequests++;
    this.#onEvent?.({ type: "token-request", leg });
  }

  public tokenRequestEnded(
    leg: TokenRequestLeg,
    outcome: TokenRequestOutcome,
    seconds: number,
  ): void {
    this.#otel.tokenRequest(leg, outcome, seconds);
  }

  /** The provider's `stats()`: these counters with the cache's own. */
  public stats(cache: TokenCache): TokenStats {
    const cacheStats = cache.stats?.() ?? {};
    const { hits, misses, coalesced, refreshes, tokenRequests, failures, rememberedRefusals } =
      this.counters;
    return {
      hits,
      misses,
      coalesced,
      refreshes,
      tokenRequests,
      failures,
      rememberedRefusals,
      evictions: cacheStats.evictions ?? 0,
      expired: cacheStats.expired ?? 0,
      size: cacheStats.size ?? 0,
    };
  }
}
