/**
 * SDK hot path benchmark.
 *
 *   node bin/run-ts.mjs bench/sdk.bench.ts [--calls N] [--down-seconds S] [--rate R]
 *
 * Part 1: cost of `monitor.logPrediction` with 20 features (mean, p50, p99 per call, and the
 * amortised cost including the deferred conversion), beside a plain OpenTelemetry `logger.emit`
 * of the same record through LoggerProvider + BatchLogRecordProcessor, measured in the same run.
 * Both pipelines end in the same in-process exporter that discards batches, so the figure is the
 * SDK's own cost, not the network's.
 *
 * Part 2: the collector is down (endpoint at a closed loopback port, real OTLP exporters) for
 * `--down-seconds` (default 60) at `--rate` calls/s (default 10,000): heap over time, slowest call,
 * drops counted. `--down-seconds 10` is the quick run.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { createModelMonitor } from '../sdk/index.ts';
import { freePort } from '../sdk/test-support/otlp-receiver.ts';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

const CALLS = flag('calls', 300_000);
const DOWN_SECONDS = flag('down-seconds', 60);
const RATE = flag('rate', 10_000);
const CHUNK = 1_000;

class DiscardLogExporter implements LogRecordExporter {
  records = 0;
  export(logs: ReadableLogRecord[], cb: (r: { code: number }) => void): void {
    this.records += logs.length;
    setImmediate(() => cb({ code: 0 }));
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
const discardMetrics: PushMetricExporter = {
  export: (_m, cb) => cb({ code: 0 }),
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
const discardSpans: SpanExporter = { export: (_s, cb) => cb({ code: 0 }), shutdown: () => Promise.resolve() };

function makeFeatures(i: number): Record<string, number | string | boolean> {
  return {
    amount: 12.5 + (i % 100),
    amount_log: Math.log1p(12.5 + (i % 100)),
    merchant_risk: (i % 17) / 17,
    account_age_days: 30 + (i % 1000),
    txn_count_1h: i % 7,
    txn_count_24h: i % 31,
    avg_amount_7d: 40.25,
    distance_km: (i % 500) * 0.37,
    device_score: 0.82,
    hour_of_day: i % 24,
    day_of_week: i % 7,
    velocity_ratio: 1.15,
    chargeback_rate: 0.002,
    ip_reputation: 0.66,
    country: i % 3 === 0 ? 'DE' : 'FR',
    channel: 'web',
    card_type: 'visa',
    mcc: '5411',
    is_international: i % 5 === 0,
    has_3ds: true,
  };
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const fmt = (ns: number): string => `${(ns / 1000).toFixed(3)} µs`;

/** Mean of a call measured over chunks of CHUNK calls, yielding between chunks so deferred work runs. */
async function measureMean(call: (i: number) => void, n: number): Promise<{ hotNs: number; wallNs: number }> {
  let hot = 0;
  const wallStart = performance.now();
  for (let done = 0; done < n; done += CHUNK) {
    const t0 = performance.now();
    for (let j = 0; j < CHUNK; j++) call(done + j);
    hot += performance.now() - t0;
    await tick();
  }
  const wall = performance.now() - wallStart;
  return { hotNs: (hot * 1e6) / n, wallNs: (wall * 1e6) / n };
}

/** Per-call timings (hrtime around each call, timer overhead subtracted), sorted. */
async function measurePerCall(call: (i: number) => void, n: number): Promise<Float64Array> {
  const out = new Float64Array(n);
  const overhead = new Float64Array(10_000);
  for (let i = 0; i < overhead.length; i++) {
    const a = process.hrtime.bigint();
    const b = process.hrtime.bigint();
    overhead[i] = Number(b - a);
  }
  overhead.sort();
  const base = quantile(overhead, 0.5);
  for (let done = 0; done < n; done += CHUNK) {
    for (let j = 0; j < CHUNK && done + j < n; j++) {
      const a = process.hrtime.bigint();
      call(done + j);
      const b = process.hrtime.bigint();
      out[done + j] = Math.max(0, Number(b - a) - base);
    }
    await tick();
  }
  return out.sort();
}

async function hotPath(): Promise<void> {
  const featureSets = Array.from({ length: 1024 }, (_, i) => makeFeatures(i));
  const ids = Array.from({ length: 1024 }, (_, i) => `pred-${i.toString(36)}-7f3a9c`);

  // ---- modelwatch SDK
  const sdkExporter = new DiscardLogExporter();
  const monitor = createModelMonitor({
    model: 'fraud-detector',
    version: '3.1.0',
    environment: 'bench',
    endpoint: 'http://127.0.0.1:9',
    exporters: { logs: sdkExporter, metrics: discardMetrics, traces: discardSpans },
    onDiagnostic: () => {},
  });
  const sdkCall = (i: number): void =>
    monitor.logPrediction({ id: ids[i & 1023], features: featureSets[i & 1023], prediction: 0.93, score: 0.93, latencyMs: 4.2 });

  // ---- plain OpenTelemetry: the same record, attributes prebuilt (the cheapest plain call)
  const otelExporter = new DiscardLogExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'fraud-detector' }),
    logRecordLimits: { attributeCountLimit: 4096 },
    processors: [new BatchLogRecordProcessor({ exporter: otelExporter, maxExportBatchSize: 1024, maxQueueSize: 4096 })],
  });
  const logger = provider.getLogger('bench');
  const records = featureSets.map((f, i) => {
    const attributes: Record<string, number | string | boolean> = {
      'ml.model.name': 'fraud-detector',
      'ml.model.version': '3.1.0',
      'ml.prediction.id': ids[i],
      'ml.prediction.value': 0.93,
      'ml.prediction.score': 0.93,
      'ml.inference.duration_ms': 4.2,
    };
    for (const [k, v] of Object.entries(f)) attributes[`ml.feature.${k}`] = v;
    return attributes;
  });
  const otelCall = (i: number): void =>
    logger.emit({ eventName: 'ml.prediction', severityNumber: SeverityNumber.INFO, severityText: 'INFO', timestamp: Date.now(), attributes: records[i & 1023] });

  // warm both
  await measureMean(sdkCall, 100_000);
  await measureMean(otelCall, 100_000);

  const sdkMean = await measureMean(sdkCall, CALLS);
  const otelMean = await measureMean(otelCall, CALLS);
  const sdkPer = await measurePerCall(sdkCall, Math.min(CALLS, 200_000));
  const otelPer = await measurePerCall(otelCall, Math.min(CALLS, 200_000));
  await monitor.forceFlush();
  await provider.forceFlush();
  const st = monitor.stats();

  console.log(`## SDK hot path: logPrediction, 20 features, ${CALLS} calls (node ${process.version}, ${process.platform}/${process.arch})`);
  console.log(`modelwatch logPrediction   mean ${fmt(sdkMean.hotNs)}  p50 ${fmt(quantile(sdkPer, 0.5))}  p99 ${fmt(quantile(sdkPer, 0.99))}  p99.9 ${fmt(quantile(sdkPer, 0.999))}  amortised incl. conversion+export ${fmt(sdkMean.wallNs)}`);
  console.log(`OpenTelemetry logger.emit  mean ${fmt(otelMean.hotNs)}  p50 ${fmt(quantile(otelPer, 0.5))}  p99 ${fmt(quantile(otelPer, 0.99))}  p99.9 ${fmt(quantile(otelPer, 0.999))}  amortised incl. export ${fmt(otelMean.wallNs)}`);
  console.log(`ratio (SDK / plain emit)   mean ${(sdkMean.hotNs / otelMean.hotNs).toFixed(3)}  p99 ${(quantile(sdkPer, 0.99) / quantile(otelPer, 0.99)).toFixed(3)}  amortised ${(sdkMean.wallNs / otelMean.wallNs).toFixed(3)}`);
  console.log(`target: mean <= 2 µs -> ${sdkMean.hotNs <= 2000 ? 'met' : 'NOT met'}; SDK records exported ${st.exported}, dropped ${JSON.stringify(st.dropped)}`);
  await monitor.shutdown();
  await provider.shutdown();
}

async function collectorDown(): Promise<void> {
  const port = await freePort();
  const monitor = createModelMonitor({
    model: 'fraud-detector',
    version: '3.1.0',
    endpoint: `http://127.0.0.1:${port}`,
    metricExportIntervalMs: 5_000,
    onDiagnostic: () => {},
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapStart = process.memoryUsage().heapUsed;
  const featureSets = Array.from({ length: 1024 }, (_, i) => makeFeatures(i));
  let calls = 0;
  let slowestNs = 0;
  let maxHeap = 0;
  const callNs = new Float64Array(DOWN_SECONDS * RATE);
  const samples: string[] = [];
  const start = performance.now();
  let nextSample = 1;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - start) / 1000;
      const due = Math.min(Math.floor(elapsed * RATE), DOWN_SECONDS * RATE);
      while (calls < due) {
        const t0 = process.hrtime.bigint();
        monitor.logPrediction({ id: `p-${calls}`, features: featureSets[calls & 1023], prediction: 0.5, latencyMs: 3 });
        const dt = Number(process.hrtime.bigint() - t0);
        if (dt > slowestNs) slowestNs = dt;
        callNs[calls] = dt;
        calls++;
      }
      const heap = process.memoryUsage().heapUsed;
      if (heap > maxHeap) maxHeap = heap;
      if (elapsed >= nextSample) {
        const s = monitor.stats();
        samples.push(`${nextSample}s heap ${(heap / 2 ** 20).toFixed(1)} MiB queued ${s.queued} inFlight ${s.inFlight} dropped ${s.dropped.queue_full + s.dropped.export_failed}`);
        nextSample += DOWN_SECONDS > 20 ? 10 : 2;
      }
      if (elapsed >= DOWN_SECONDS) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  const s = monitor.stats();
  console.log(`\n## Collector down for ${DOWN_SECONDS} s at ${RATE} calls/s (closed port, real OTLP/proto exporters)${gc ? '' : ' [run node --expose-gc for a gc() before the baseline]'}`);
  for (const line of samples) console.log(`  ${line}`);
  const sorted = callNs.subarray(0, calls).sort();
  console.log(`calls ${calls}; heap at start ${(heapStart / 2 ** 20).toFixed(1)} MiB, max ${(maxHeap / 2 ** 20).toFixed(1)} MiB`);
  console.log(`per call while down: p50 ${fmt(quantile(sorted, 0.5))}  p99 ${fmt(quantile(sorted, 0.99))}  p99.9 ${fmt(quantile(sorted, 0.999))}  max ${fmt(slowestNs)} (max includes GC pauses and preemption)`);
  console.log(`accepted ${s.accepted}, queued ${s.queued}, inFlight ${s.inFlight}, dropped ${JSON.stringify(s.dropped)}`);
  console.log(`accounted: accepted + queue_full = ${s.accepted + s.dropped.queue_full} of ${calls} calls`);
  // Do not wait for the retries of the last batches: the point was the behaviour while down.
  void monitor.shutdown();
}

await hotPath();
await collectorDown();
process.exit(0);
