import { metrics, type Attributes, type Counter, type Histogram } from "@opentelemetry/api";
import type { TokenCache } from "../../cache/token-cache.js";
import type { TokenRequestLeg } from "../errors.js";
import { ATTR, INSTRUMENTATION_NAME, METRIC } from "./names.js";

/** How one token request (one attempt of a leg) ended. */
export type TokenRequestOutcome = "success" | "retried" | "failure" | "timeout";

const LEGS: readonly TokenRequestLeg[] = [
  "obo",
  "exchange-token",
  "app-only",
  "agent-user",
  "refresh-token",
];
const OUTCOMES: readonly TokenRequestOutcome[] = ["success", "retried", "failure", "timeout"];

/** Bucket bounds of the duration histogram, in seconds: Entra answers in tens of milliseconds to seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10];

/** Evictions already reported, per cache: a cache shared by providers is reported once. */
const reportedEvictions = new WeakMap<TokenCache, number>();

/**
 * The metric instruments of one provider, created once from the global meter provider (so an
 * OpenTelemetry SDK must be registered before the provider is created). Without an SDK every
 * instrument is the API's no-op. Cache counters carry no attributes: a hit costs one `add(1)`.
 *
 * @internal
 */
export class CacheMetrics {
  readonly hits: Counter;
  readonly misses: Counter;
  readonly coalesced: Counter;
  readonly refreshes: Counter;
  readonly evictions: Counter;
  readonly #requests: Counter;
  readonly #duration: Histogram;
  /** One frozen attribute set per leg and outcome, so recording allocates nothing. */
  readonly #attributes = new Map<string, Attributes>();

  // Alike redis-metrics.ts and within itself (duplicates D1, D3): each instrument is declared once
  // with its own name, description and unit, as OpenTelemetry instruments are; a loop over a table
  // would hide them from readers of the metric names.
  public constructor() {
    const meter = metrics.getMeter(INSTRUMENTATION_NAME);
    this.hits = meter.createCounter(METRIC.cacheHits, {
      description: "Token requests answered from the cache.",
      unit: "{hit}",
    });
    this.misses = meter.createCounter(METRIC.cacheMisses, {
      description: "Calls that found no usable cached token and started an acquisition.",
      unit: "{miss}",
    });
    this.coalesced = meter.createCounter(METRIC.cacheCoalesced, {
      description: "Calls that waited for an acquisition of the same token already under way.",
      unit: "{wait}",
    });
    this.refreshes = meter.createCounter(METRIC.cacheRefreshes, {
      description: "Renewals started ahead of a cached token's expiry.",
      unit: "{refresh}",
    });
    this.evictions = meter.createCounter(METRIC.cacheEvictions, {
      description: "Entries evicted from the in-memory cache by its size bound.",
      unit: "{entry}",
    });
    this.#requests = meter.createCounter(METRIC.tokenRequests, {
      description: "Requests sent to the Entra token endpoint, by leg and outcome (retries count).",
      unit: "{request}",
    });
    this.#duration = meter.createHistogram(METRIC.tokenRequestDuration, {
      description: "Duration of requests to the Entra token endpoint, by leg and outcome.",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    for (const leg of LEGS) {
      for (const outcome of OUTCOMES) {
        this.#attributes.set(
          `${leg}|${outcome}`,
          Object.freeze({ [ATTR.leg]: leg, [ATTR.outcome]: outcome }),
        );
      }
    }
  }

  /**
   * Reports the evictions the cache made since the last look (its `stats().evictions` grew).
   * Called on the miss path only, after the cache was written.
   */
  public noteEvictions(cache: TokenCache): void {
    const evictions = cache.stats?.().evictions;
    if (evictions === undefined) return;
    const reported = reportedEvictions.get(cache) ?? 0;
    if (evictions > reported) this.evictions.add(evictions - reported);
    reportedEvictions.set(cache, evictions);
  }

  /** Records one token request that ended after `seconds`. */
  public tokenRequest(leg: TokenRequestLeg, outcome: TokenRequestOutcome, seconds: number): void {
    const attributes = this.#attributes.get(`${leg}|${outcome}`);
    this.#requests.add(1, attributes);
    this.#duration.record(seconds, attributes);
  }
}
