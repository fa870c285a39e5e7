import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoggerProvider, BatchLogRecordProcessor, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv?.stop();
});

const resource = resourceFromAttributes({
  'service.name': 'fraud-svc',
  'service.version': '1.4.2',
  'deployment.environment.name': 'prod',
  'host.name': 'gpu-node-7',
});

const NUMERIC = Array.from({ length: 20 }, (_, i) => `f${i}`);
const CATEGORIES = ['red', 'green', 'blue'];

function predictionAttributes(i: number): Record<string, string | number | boolean> {
  const attrs: Record<string, string | number | boolean> = {
    'ml.model.name': 'fraud',
    'ml.model.version': i % 2 ? 'v2' : 'v1',
    'ml.prediction.id': `p-${i}`,
    'ml.prediction.value': i / 10000,
    'ml.prediction.score': (i % 100) / 100,
    'ml.inference.duration_ms': 1 + (i % 50),
  };
  NUMERIC.forEach((f, k) => (attrs[`ml.feature.${f}`] = i * 0.001 + k));
  attrs['ml.feature.color'] = CATEGORIES[i % 3];
  attrs['ml.feature.country'] = i % 2 ? 'DE' : 'FR';
  attrs['ml.feature.is_new'] = i % 5 === 0;
  return attrs;
}

describe('official OpenTelemetry exporters as clients', () => {
  it('stores 10,000 ml.prediction records from the protobuf logs exporter with their values', async () => {
    const provider = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({ exporter: new ProtoLogExporter({ url: `${srv.url}/v1/logs` }), maxExportBatchSize: 2000, maxQueueSize: 20000, scheduledDelayMillis: 50 }),
      ],
    });
    const logger = provider.getLogger('model-server');
    // Recent, whole-second start: rows older than the retention TTL are dropped on insert.
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 86_400_000;
    for (let i = 0; i < 10_000; i++) {
      logger.emit({ eventName: 'ml.prediction', timestamp: t0 + i, attributes: predictionAttributes(i) });
    }
    await provider.forceFlush();
    await provider.shutdown();

    const [count] = await srv.store.query<{ n: string; models: string; ids: string }>(
      `SELECT count() AS n, uniqExact(model) AS models, uniqExact(prediction_id) AS ids FROM ${srv.store.t('predictions')}`,
    );
    expect(Number(count.n)).toBe(10_000);
    expect(Number(count.ids)).toBe(10_000);

    const rows = await srv.store.query<any>(
      `SELECT toString(ts) AS t, model, version, environment, service, host, prediction_value, score, latency_ms,
              features_num, features_cat, features_null
       FROM ${srv.store.t('predictions')} WHERE prediction_id IN ('p-0', 'p-4321', 'p-9999') ORDER BY prediction_id`,
    );
    expect(rows).toHaveLength(3);
    const p4321 = rows.find((r: any) => r.prediction_value === 0.4321);
    expect(p4321).toBeDefined();
    expect(p4321.t).toBe(new Date(t0 + 4321).toISOString().replace('T', ' ').replace('Z', ''));
    expect(p4321).toMatchObject({ model: 'fraud', version: 'v2', environment: 'prod', service: 'fraud-svc', host: 'gpu-node-7', score: 0.21, latency_ms: 22 });
    expect(Object.keys(p4321.features_num)).toHaveLength(20);
    expect(p4321.features_num.f0).toBeCloseTo(4.321, 12);
    expect(p4321.features_num.f19).toBeCloseTo(23.321, 12);
    expect(p4321.features_cat).toEqual({ color: 'green', country: 'DE', is_new: 'false' });
    expect(p4321.features_null).toEqual([]);

    // The rollups saw every record.
    const [roll] = await srv.store.query<{ n: string }>(`SELECT sum(predictions) AS n FROM ${srv.store.t('latency_1m')} WHERE model = 'fraud'`);
    expect(Number(roll.n)).toBe(10_000);
    const [cats] = await srv.store.query<{ n: string }>(
      `SELECT sum(count) AS n FROM ${srv.store.t('feature_cat_1m')} WHERE model = 'fraud' AND feature = 'color' AND category = 'blue'`,
    );
    expect(Number(cats.n)).toBe(3333);
  });

  it('accepts the OTLP/JSON logs exporter: predictions, ground truth and plain logs', async () => {
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new JsonLogExporter({ url: `${srv.url}/v1/logs` }) })] });
    const logger = provider.getLogger('json');
    logger.emit({ eventName: 'ml.prediction', attributes: { 'ml.model.name': 'json-model', 'ml.prediction.label': 'cat', 'ml.feature.age': 41, 'ml.feature.city': 'Oslo' } });
    logger.emit({ eventName: 'ml.ground_truth', attributes: { 'ml.model.name': 'json-model', 'ml.prediction.id': 'j-1', 'ml.label.value': 'dog' } });
    logger.emit({ body: 'model reloaded', severityText: 'INFO', severityNumber: 9, attributes: { 'ml.model.name': 'json-model' } });
    await provider.forceFlush();
    await provider.shutdown();

    const preds = await srv.store.query<any>(`SELECT prediction_label, features_num, features_cat FROM ${srv.store.t('predictions')} WHERE model = 'json-model'`);
    expect(preds).toEqual([{ prediction_label: 'cat', features_num: { age: 41 }, features_cat: { city: 'Oslo' } }]);
    const gt = await srv.store.query<any>(`SELECT model, prediction_id, label, label_num FROM ${srv.store.t('ground_truth')}`);
    expect(gt).toEqual([{ model: 'json-model', prediction_id: 'j-1', label: 'dog', label_num: null }]);
    const logs = await srv.store.query<any>(`SELECT body, severity_text, severity_number, service FROM ${srv.store.t('logs')}`);
    expect(logs).toEqual([{ body: 'model reloaded', severity_text: 'INFO', severity_number: 9, service: 'fraud-svc' }]);
  });

  it('stores metrics (gauges, sums, histograms, hw.gpu.* samples) from the protobuf metrics exporter', async () => {
    const reader = new PeriodicExportingMetricReader({ exporter: new ProtoMetricExporter({ url: `${srv.url}/v1/metrics` }), exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ resource, readers: [reader] });
    const meter = provider.getMeter('mw');
    const hist = meter.createHistogram('ml.inference.duration', { unit: 's' });
    for (const v of [0.01, 0.02, 0.2, 1.5]) hist.record(v, { 'ml.model.name': 'fraud' });
    meter.createCounter('requests').add(7, { route: '/predict' });
    meter.createObservableGauge('hw.gpu.utilization', { unit: '1' }).addCallback((r) => {
      r.observe(0.93, { 'hw.id': 'GPU-aaaa', 'hw.name': 'NVIDIA H100 80GB HBM3' });
      r.observe(0.0, { 'hw.id': 'GPU-bbbb', 'hw.name': 'NVIDIA H100 80GB HBM3' });
    });
    await provider.forceFlush();
    await provider.shutdown();

    const [h] = await srv.store.query<any>(`SELECT count, sum, min, max, unit FROM ${srv.store.t('metric_histograms')} WHERE name = 'ml.inference.duration'`);
    expect(h).toMatchObject({ count: 4, unit: 's', min: 0.01, max: 1.5 });
    expect(h.sum).toBeCloseTo(1.73, 10);
    const [c] = await srv.store.query<any>(`SELECT value, kind, is_monotonic FROM ${srv.store.t('metric_points')} WHERE name = 'requests'`);
    expect(c).toEqual({ value: 7, kind: 'sum', is_monotonic: 1 });
    // The reader exports on forceFlush and again on shutdown: every sample holds the observed value.
    const gpu = await srv.store.query<any>(
      `SELECT gpu_id, any(gpu_name) AS gpu_name, any(host) AS host, groupUniqArray(value) AS values FROM ${srv.store.t('gpu_samples')} GROUP BY gpu_id ORDER BY gpu_id`,
    );
    expect(gpu).toEqual([
      { gpu_id: 'GPU-aaaa', gpu_name: 'NVIDIA H100 80GB HBM3', host: 'gpu-node-7', values: [0.93] },
      { gpu_id: 'GPU-bbbb', gpu_name: 'NVIDIA H100 80GB HBM3', host: 'gpu-node-7', values: [0] },
    ]);
  });

  it('stores spans from the protobuf and JSON trace exporters', async () => {
    for (const exporter of [new ProtoTraceExporter({ url: `${srv.url}/v1/traces` }), new JsonTraceExporter({ url: `${srv.url}/v1/traces` })]) {
      const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
      const tracer = provider.getTracer('t');
      const parent = tracer.startSpan('predict', { attributes: { 'ml.model.name': 'fraud' } });
      parent.addEvent('features-ready', { n: 23 });
      parent.setStatus({ code: 2, message: 'boom' });
      parent.end();
      await provider.forceFlush();
      await provider.shutdown();
    }
    const spans = await srv.store.query<any>(`SELECT name, model, status_code, status_message, events_name, length(trace_id) AS tl, length(span_id) AS sl FROM ${srv.store.t('spans')}`);
    expect(spans).toHaveLength(2);
    for (const s of spans) expect(s).toEqual({ name: 'predict', model: 'fraud', status_code: 'ERROR', status_message: 'boom', events_name: ['features-ready'], tl: 32, sl: 16 });
  });
});
