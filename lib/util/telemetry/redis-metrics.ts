import { metrics, type Attributes, type Counter, type UpDownCounter } from "@opentelemetry/api";
import { ATTR, INSTRUMENTATION_NAME, METRIC } from "./names.js";

const TIMEOUT: Attributes = Object.freeze({ [ATTR.redisFailure]: "timeout" });
const ERROR: Attributes = Object.freeze({ [ATTR.redisFailure]: "error" });

/**
 * The metric instruments of one Redis token cache (the second level), created once from the
 * global meter provider.
 *
 * @internal
 */
export class RedisMetrics {
  /** Memory misses answered from Redis. */
  readonly hits: Counter;
  /** Memory misses Redis could not answer (absent, expired, unreadable or unavailable). */
  readonly misses: Counter;
  readonly #failures: Counter;
  readonly #circuitOpen: UpDownCounter;

  // Alike cache-metrics.ts on purpose: each instrument is declared with its own name, description
  // and unit.
  public constructor() {
    const meter = metrics.getMeter(INSTRUMENTATION_NAME);
    this.hits = meter.createCounter(METRIC.redisHits, {
      description: "In-memory misses answered from Redis (the second level).",
      unit: "{hit}",
    });
    this.misses = meter.createCounter(METRIC.redisMisses, {
      description: "In-memory misses Redis could not answer either.",
      unit: "{miss}",
    });
    this.#failures = meter.createCounter(METRIC.redisFailures, {
      description: "Redis commands that failed or timed out, by kind (error or timeout).",
      unit: "{command}",
    });
    this.#circuitOpen = meter.createUpDownCounter(METRIC.redisCircuitOpen, {
      description:
        "Redis token caches whose circuit breaker is open (or half-open) now: 0 when Redis is in use.",
      unit: "{circuit}",
    });
  }

  /** Counts a Redis command that failed (`error`) or did not answer in time (`timeout`). */
  public failure(kind: "error" | "timeout"): void {
    this.#failures.add(1, kind === "timeout" ? TIMEOUT : ERROR);
  }

  /** The circuit opened (`true`) or closed again (`false`). */
  public circuit(open: boolean): void {
    this.#circuitOpen.add(open ? 1 : -1);
  }
}
