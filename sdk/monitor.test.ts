import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryLogRecordExporter, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InMemoryMetricExporter } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createModelMonitor, errorTypeOf, resolveEndpoint, type ModelMonitor, type ModelMonitorOptions } from './monitor.ts';

const monitors: ModelMonitor[] = [];
afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.shutdown()));
});

/** A log exporter that holds every batch until released, to keep records "in flight". */
class HoldingExporter implements LogRecordExporter {
  pending: Array<() => void> = [];
  received = 0;
  open = false;
  export(records: ReadableLogRecord[], cb: (r: { code: number }) => void): void {
    this.received += records.length;
    if (this.open) cb({ code: 0 });
    else this.pending.push(() => cb({ code: 0 }));
  }
  /** Completes the held batches and every later one. */
  release(): void {
    this.open = true;
    for (const f of this.pending.splice(0)) f();
  }
  forceFlush(): Promise<void> {
    this.release();
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

class FailingExporter implements LogRecordExporter {
  export(_records: ReadableLogRecord[], cb: (r: { code: number; error?: Error }) => void): void {
    cb({ code: 1, error: new Error('collector said no') });
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function setup(opts: Partial<ModelMonitorOptions> = {}, logs: LogRecordExporter = new InMemoryLogRecordExporter()) {
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const spans = new InMemorySpanExporter();
  const diagnostics: string[] = [];
  const monitor = createModelMonitor({
    model: 'churn',
    version: '2.0.1',
    environment: 'test',
    hostName: 'test-host',
    endpoint: 'http://127.0.0.1:9',
    metricExportIntervalMs: 3_600_000,
    onDiagnostic: (_l, m) => diagnostics.push(m),
    ...opts,
    exporters: { logs, metrics, traces: spans },
  });
  monitors.push(monitor);
  return { monitor, logs, metrics, spans, diagnostics };
}

const records = (e: LogRecordExporter): ReadableLogRecord[] => (e as InMemoryLogRecordExporter).getFinishedLogRecords();

describe('logPrediction', () => {
  it('emits one ml.prediction record with the contract attributes', async () => {
    const { monitor, logs } = setup();
    monitor.logPrediction({ id: 'p-1', features: { amount: 12.5, country: 'DE', new_user: true, age: null }, prediction: 0.93, score: 0.93, latencyMs: 4.25, timestamp: 1_700_000_000_123 });
    await monitor.forceFlush();
    const [r] = records(logs);
    expect(r.eventName).toBe('ml.prediction');
    expect(r.hrTime).toEqual([1_700_000_000, 123_000_000]);
    expect(r.severityNumber).toBe(9);
    expect(r.attributes).toEqual({
      'ml.model.name': 'churn',
      'ml.model.version': '2.0.1',
      'ml.prediction.id': 'p-1',
      'ml.prediction.value': 0.93,
      'ml.prediction.score': 0.93,
      'ml.inference.duration_ms': 4.25,
      'ml.feature.amount': 12.5,
      'ml.feature.country': 'DE',
      'ml.feature.new_user': true,
      'ml.feature.age': null,
    });
    expect(r.resource.attributes).toMatchObject({ 'service.name': 'churn', 'service.version': '2.0.1', 'deployment.environment.name': 'test', 'host.name': 'test-host' });
    expect(r.instrumentationScope.name).toBe('modelwatch-sdk');
  });

  it('sends labels, errors and ground truth', async () => {
    const { monitor, logs } = setup();
    monitor.logPrediction({ id: 'a', features: {}, prediction: 'spam' });
    monitor.logPrediction({ id: 'b', features: {}, label: 'ham', score: 0.1 });
    monitor.logPrediction({ id: 'c', features: {}, error: new RangeError('bad input') });
    monitor.logGroundTruth('a', 'ham');
    monitor.logGroundTruth('b', 3.5);
    await monitor.forceFlush();
    const rs = records(logs);
    expect(rs.map((r) => r.eventName)).toEqual(['ml.prediction', 'ml.prediction', 'ml.prediction', 'ml.ground_truth', 'ml.ground_truth']);
    expect(rs[0].attributes['ml.prediction.label']).toBe('spam');
    expect(rs[1].attributes['ml.prediction.label']).toBe('ham');
    expect(rs[2].attributes['error.type']).toBe('RangeError');
    expect(rs[2].severityNumber).toBe(17);
    expect(rs[3].attributes).toEqual({ 'ml.model.name': 'churn', 'ml.model.version': '2.0.1', 'ml.prediction.id': 'a', 'ml.label.value': 'ham' });
    expect(rs[4].attributes['ml.label.value']).toBe(3.5);
  });

  it('drops invalid feature names and nulls non-finite numbers, counting both', async () => {
    const { monitor, logs } = setup();
    monitor.logPrediction({ features: { ok: 1, 'bad name': 2, '1st': 3, nan: NaN, inf: -Infinity } });
    await monitor.forceFlush();
    const attrs = records(logs)[0].attributes;
    expect(Object.keys(attrs).filter((k) => k.startsWith('ml.feature.'))).toEqual(['ml.feature.ok', 'ml.feature.nan', 'ml.feature.inf']);
    expect(attrs['ml.feature.nan']).toBeNull();
    expect(attrs['ml.feature.inf']).toBeNull();
    expect(monitor.stats().invalidValues).toEqual({ invalid_name: 2, non_finite: 2, unsupported_type: 0 });
  });

  it('with sampleRate 0 keeps only the records with an error', async () => {
    const { monitor, logs } = setup({ sampleRate: 0 });
    for (let i = 0; i < 50; i++) monitor.logPrediction({ id: `ok-${i}`, features: { x: i } });
    for (let i = 0; i < 50; i++) monitor.logPrediction({ id: `err-${i}`, features: { x: i }, error: 'TimeoutError' });
    await monitor.forceFlush();
    const rs = records(logs);
    expect(rs).toHaveLength(50);
    expect(rs.every((r) => r.attributes['error.type'] === 'TimeoutError' && r.attributes['ml.sample_rate'] === 0)).toBe(true);
    expect(monitor.stats().sampledOut).toBe(50);
  });

  it('samples ground truth with the same decision as its prediction', async () => {
    const { monitor, logs } = setup({ sampleRate: 0.5 });
    for (let i = 0; i < 400; i++) {
      monitor.logPrediction({ id: `p-${i}`, features: { x: i } });
      monitor.logGroundTruth(`p-${i}`, i % 2 === 0);
    }
    await monitor.forceFlush();
    const rs = records(logs);
    const predIds = rs.filter((r) => r.eventName === 'ml.prediction').map((r) => r.attributes['ml.prediction.id']);
    const truthIds = rs.filter((r) => r.eventName === 'ml.ground_truth').map((r) => r.attributes['ml.prediction.id']);
    expect(predIds.length).toBeGreaterThan(0);
    expect(predIds.length).toBeLessThan(400);
    expect(truthIds).toEqual(predIds);
  });

  it('bounds the queue: calls beyond maxQueue are dropped and counted, never thrown', async () => {
    const holding = new HoldingExporter();
    const { monitor } = setup({ maxQueue: 10, maxExportBatchSize: 2 }, holding);
    // No turn of the event loop between calls: nothing is drained, so exactly 10 fit.
    for (let i = 0; i < 100; i++) expect(monitor.logPrediction({ features: { i } })).toBeUndefined();
    let s = monitor.stats();
    expect(s.accepted).toBe(10);
    expect(s.dropped.queue_full).toBe(90);
    expect(s.queued).toBe(10);
    // While exports hang, at most the pipeline's capacity (4 batches of 2) leaves the queue.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    s = monitor.stats();
    expect(s.inFlight).toBeLessThanOrEqual(8);
    expect(s.queued + s.inFlight).toBe(10);
    holding.release();
    await monitor.forceFlush();
    expect(holding.received).toBe(10);
    expect(monitor.stats().exported).toBe(10);
  });

  it('counts records whose export failed', async () => {
    const { monitor } = setup({}, new FailingExporter());
    for (let i = 0; i < 7; i++) monitor.logPrediction({ features: { i } });
    await monitor.forceFlush();
    expect(monitor.stats().dropped.export_failed).toBe(7);
    expect(monitor.stats().exported).toBe(0);
  });

  it('never throws into the host, whatever it is given', async () => {
    const { monitor } = setup();
    const hostile = {
      get features(): never {
        throw new Error('getter exploded');
      },
    };
    expect(() => monitor.logPrediction(null as never)).not.toThrow();
    expect(() => monitor.logPrediction({} as never)).not.toThrow();
    expect(() => monitor.logPrediction(hostile as never)).not.toThrow();
    expect(() => monitor.logGroundTruth(undefined as never, 'x')).not.toThrow();
    expect(() => monitor.logGroundTruth('id', { nested: true } as never)).not.toThrow();
    expect(monitor.stats().dropped.invalid_input).toBe(5);
    await monitor.shutdown();
    monitor.logPrediction({ features: { a: 1 } });
    expect(monitor.stats().dropped.shutdown).toBe(1);
  });

  it('exports its own counters as ml.sdk.* metrics', async () => {
    const { monitor, metrics } = setup({ maxQueue: 1 });
    monitor.logPrediction({ features: {} });
    monitor.logPrediction({ features: {} });
    await monitor.forceFlush();
    const all = metrics.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
    const dropped = all.filter((m) => m.descriptor.name === 'ml.sdk.dropped').at(-1)!;
    const qf = dropped.dataPoints.find((dp) => dp.attributes.reason === 'queue_full')!;
    expect(qf.value).toBe(1);
    expect(qf.attributes).toEqual({ 'ml.model.name': 'churn', 'ml.model.version': '2.0.1', reason: 'queue_full' });
  });
});

describe('time()', () => {
  it('returns the value, records a span and the duration histogram', async () => {
    const { monitor, spans, metrics } = setup();
    expect(monitor.time('predict', () => 42)).toBe(42);
    await expect(monitor.time('predict-async', async () => 'ok')).resolves.toBe('ok');
    await monitor.forceFlush();
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['predict', 'predict-async']);
    expect(spans.getFinishedSpans()[0].attributes).toEqual({ 'ml.model.name': 'churn', 'ml.model.version': '2.0.1' });
    const hist = metrics
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
      .filter((m) => m.descriptor.name === 'ml.inference.duration')
      .at(-1)!;
    expect(hist.descriptor.unit).toBe('s');
    expect((hist.dataPoints[0].value as { count: number }).count).toBe(2);
  });

  it('rethrows the same error object (sync and async) and marks the span', async () => {
    const { monitor, spans, metrics } = setup();
    class ModelTimeout extends Error {}
    const syncErr = new ModelTimeout('too slow');
    let caught: unknown;
    try {
      monitor.time('predict', () => {
        throw syncErr;
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(syncErr);
    const asyncErr = new TypeError('bad tensor');
    await expect(monitor.time('predict', async () => Promise.reject(asyncErr))).rejects.toBe(asyncErr);
    const thrownString = 'plain string';
    expect(() =>
      monitor.time('predict', () => {
        throw thrownString;
      }),
    ).toThrow(thrownString);
    await monitor.forceFlush();
    const finished = spans.getFinishedSpans();
    expect(finished.map((s) => s.attributes['error.type'])).toEqual(['ModelTimeout', 'TypeError', 'plain string']);
    expect(finished.every((s) => s.status.code === 2)).toBe(true);
    const points = metrics
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
      .filter((m) => m.descriptor.name === 'ml.inference.duration')
      .at(-1)!.dataPoints;
    expect(points.map((p) => p.attributes['error.type']).sort()).toEqual(['ModelTimeout', 'TypeError', 'plain string']);
  });
});

describe('helpers', () => {
  it('resolves the endpoint from the option, then the environment, then the default', () => {
    expect(resolveEndpoint('http://collector:4318/', {})).toBe('http://collector:4318');
    expect(resolveEndpoint(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' })).toBe('http://env:4318');
    expect(resolveEndpoint(undefined, {})).toBe('http://127.0.0.1:4318');
  });

  it('names error types', () => {
    expect(errorTypeOf(new TypeError('x'))).toBe('TypeError');
    const e = new Error('x');
    e.name = 'AbortError';
    expect(errorTypeOf(e)).toBe('AbortError');
    expect(errorTypeOf('CUDA_OOM')).toBe('CUDA_OOM');
    expect(errorTypeOf(true)).toBe('_OTHER');
    expect(errorTypeOf({ name: 'Custom' })).toBe('Custom');
  });

  it('refuses a missing model name', () => {
    expect(() => createModelMonitor({} as never)).toThrow(TypeError);
  });
});
