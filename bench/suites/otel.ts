import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { MemoryTokenCache, OnBehalfOfAuthenticationProvider } from "../../lib/index.js";
import { API_CLIENT_ID, TENANT, makeAssertions } from "../assertions.js";
import { CLIENT_SECRET, FakeEntra } from "../fake-entra.js";
import { median } from "../stats.js";
import type { BenchRow, BenchRunOptions, BenchSuite } from "../types.js";

const USERS = 1_000;

function provider(entra: FakeEntra): OnBehalfOfAuthenticationProvider {
  return new OnBehalfOfAuthenticationProvider({
    clientId: API_CLIENT_ID,
    tenantId: TENANT,
    clientSecret: CLIENT_SECRET,
    tokenCache: new MemoryTokenCache({ maxEntries: 10_000 }),
    msalSystemOptions: { networkClient: entra.msalNetworkClient() },
  });
}

/**
 * The cache hit with the OpenTelemetry SDK registered (a meter provider with a metric reader, a
 * tracer provider with a span processor, the AsyncLocalStorage context manager) against the hit
 * without any SDK, in one process, in alternating rounds: what the instruments cost a hit (one
 * counter `add`). The provider without telemetry is created before the SDK is registered, so its
 * instruments are the API's no-ops; the context manager is enabled only for the rounds with the
 * SDK.
 */
export const otelSuite: BenchSuite = {
  name: "otel",
  async run({ quick, log }: BenchRunOptions): Promise<BenchRow[]> {
    const calls = quick ? 5_000 : 20_000;
    const rounds = quick ? 41 : 101;
    const entra = new FakeEntra();
    const assertions = makeAssertions(USERS);
    const plain = provider(entra);

    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
    });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
    });
    const contextManager = new AsyncLocalStorageContextManager();
    metrics.setGlobalMeterProvider(meterProvider);
    trace.setGlobalTracerProvider(tracerProvider);
    const instrumented = provider(entra);
    const withSdk = (on: boolean): void => {
      if (on) {
        contextManager.enable();
        context.setGlobalContextManager(contextManager);
      } else {
        context.disable();
        contextManager.disable();
      }
    };

    try {
      withSdk(true);
      for (const subject of [plain, instrumented]) {
        for (const userAssertion of assertions) await subject.getAccessToken({ userAssertion });
      }
      const hits = async (subject: OnBehalfOfAuthenticationProvider): Promise<number> => {
        const started = process.hrtime.bigint();
        for (let i = 0; i < calls; i++) {
          await subject.getAccessToken({ userAssertion: assertions[(i * 7919) % USERS] ?? "" });
        }
        return Number(process.hrtime.bigint() - started) / 1000 / calls;
      };
      const without: number[] = [];
      const withIt: number[] = [];
      const differences: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? [false, true] : [true, false];
        const figures = { on: 0, off: 0 };
        for (const on of order) {
          withSdk(on);
          figures[on ? "on" : "off"] = await hits(on ? instrumented : plain);
        }
        without.push(figures.off);
        withIt.push(figures.on);
        differences.push(figures.on - figures.off);
        if ((round + 1) % 10 === 0) log(`otel round ${round + 1}/${rounds}`);
      }
      const a = median(without);
      const b = median(withIt);
      const note = `medians of ${rounds} paired rounds × ${calls.toLocaleString("en-US")} sequential hits, ${USERS.toLocaleString("en-US")} users cached; budget +0.5 µs`;
      const row = (subject: string, metric: string, value: number): BenchRow => ({
        suite: "otel",
        subject,
        metric,
        value: Math.round(value * 1000) / 1000,
        unit: "µs",
        note,
      });
      return [
        row("graph-obo-auth, no OpenTelemetry SDK", "hit µs/call", a),
        row("graph-obo-auth, OpenTelemetry SDK registered", "hit µs/call", b),
        row(
          "graph-obo-auth",
          "hit cost of the SDK, µs/call (median of paired differences)",
          median(differences),
        ),
      ];
    } finally {
      withSdk(false);
      metrics.disable();
      trace.disable();
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    }
  },
};
