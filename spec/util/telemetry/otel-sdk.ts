import { context, metrics, trace, type Attributes } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";

/** The real OpenTelemetry SDK, registered globally with in-memory exporters, for one spec. */
export interface RegisteredSdk {
  /** Every finished span, in the order they ended. */
  spans(): ReadableSpan[];
  /** Collects the metrics now (cumulative) and returns those of the `graph-obo-auth` meter. */
  collect(): Promise<MetricData[]>;
  /** Unregisters the global providers and shuts the SDK down. */
  shutdown(): Promise<void>;
}

/**
 * Registers a meter provider (an in-memory exporter behind a periodic reader that only exports
 * when flushed), a tracer provider (an in-memory exporter behind a simple processor) and the
 * AsyncLocalStorage context manager, so that parent and child spans are linked as in production.
 */
export function registerSdk(): RegisteredSdk {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spanExporter)],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans: () => spanExporter.getFinishedSpans(),
    async collect() {
      await reader.forceFlush();
      const exported = metricExporter.getMetrics();
      const latest = exported[exported.length - 1];
      return (
        latest?.scopeMetrics
          .filter((scope) => scope.scope.name === "graph-obo-auth")
          .flatMap((scope) => scope.metrics) ?? []
      );
    },
    async shutdown() {
      metrics.disable();
      trace.disable();
      context.disable();
      contextManager.disable();
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** The data points of an instrument (none when it recorded nothing). */
export function pointsOf(collected: MetricData[], name: string): DataPoint<unknown>[] {
  return collected.find((metric) => metric.descriptor.name === name)?.dataPoints ?? [];
}

/** The value of a counter for exactly these attributes (0 when absent). */
export function sumOf(collected: MetricData[], name: string, attributes: Attributes = {}): number {
  const point = pointsOf(collected, name).find((p) => sameAttributes(p.attributes, attributes));
  return point === undefined ? 0 : (point.value as number);
}

/** The histogram point of an instrument for exactly these attributes. */
export function histogramOf(
  collected: MetricData[],
  name: string,
  attributes: Attributes,
): Histogram | undefined {
  const point = pointsOf(collected, name).find((p) => sameAttributes(p.attributes, attributes));
  return point?.value as Histogram | undefined;
}

function sameAttributes(a: Attributes, b: Attributes): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** Every attribute value and status message of the spans and metric points, as one text. */
export function everythingRecorded(spans: ReadableSpan[], collected: MetricData[]): string {
  return JSON.stringify([
    spans.map((span) => [span.name, span.attributes, span.status, span.events]),
    collected.map((metric) => metric.dataPoints.map((point) => point.attributes)),
  ]);
}
