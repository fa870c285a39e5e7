/**
 * SDK -> the real `modelwatch serve` (child process) -> embedded ClickHouse. The monitor sends
 * predictions, ground truth, spans from time(), the ml.inference.duration histogram and GPU gauges
 * (fake nvidia-smi) over OTLP/HTTP protobuf; after serve has shut down, the test opens its data
 * directory and checks exact counts and values in the tables.
 */
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterAll, describe, expect, it } from 'vitest';
import { createModelMonitor } from '../../sdk/index.ts';
import { createStore, type Store } from '../../storage/client.ts';
import { startServe, stopAllServes } from './serve-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/nvidia-smi');
const work = mkdtempSync(path.join(os.tmpdir(), 'mw-e2e-sdk-'));
const dataDir = path.join(work, 'data');
afterAll(async () => {
  await stopAllServes();
  rmSync(work, { recursive: true, force: true });
});

const N = 5_000;
const LABELS = 1_000;
const TIMED = 300;
const COUNTRIES = ['DE', 'FR', 'US'];

/** What the SDK's metric exporter sent, kept beside the real OTLP exporter (a tee). */
function teeMetrics(inner: PushMetricExporter, sent: ResourceMetrics[]): PushMetricExporter {
  return {
    export: (m, cb) => {
      sent.push(m);
      inner.export(m, cb);
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    selectAggregationTemporality: inner.selectAggregationTemporality?.bind(inner),
    selectAggregation: inner.selectAggregation?.bind(inner),
  };
}

/** The last exported value of the inference histogram per error.type ('' for successes). */
function lastHistogram(sent: ResourceMetrics[]): Map<string, { count: number; sum: number; buckets: number[] }> {
  const out = new Map<string, { count: number; sum: number; buckets: number[] }>();
  for (const rm of sent) {
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        if (m.descriptor.name !== 'ml.inference.duration') continue;
        for (const dp of m.dataPoints) {
          const v = dp.value as { count: number; sum?: number; buckets: { counts: number[] } };
          out.set(String(dp.attributes['error.type'] ?? ''), { count: v.count, sum: v.sum ?? NaN, buckets: v.buckets.counts });
        }
      }
    }
  }
  return out;
}

describe('SDK -> serve -> ClickHouse', () => {
  it('stores predictions, ground truth, spans, the latency histogram and GPU gauges with exact counts and values', { timeout: 180_000 }, async () => {
    // A fake nvidia-smi printing eight GPUs.
    const smi = path.join(work, 'nvidia-smi');
    copyFileSync(path.join(FIXTURES, 'fake-nvidia-smi.sh'), smi);
    chmodSync(smi, 0o755);
    process.env.FAKE_NVIDIA_SMI_FIXTURE = path.join(FIXTURES, 'eight-gpus.csv');

    const serve = await startServe({ dataDir, config: { writer: { flushIntervalMs: 50 }, analyzer: { enabled: false }, log: { level: 'warn' } } });
    const sentMetrics: ResourceMetrics[] = [];
    const diagnostics: string[] = [];
    const monitor = createModelMonitor({
      model: 'e2e-fraud',
      version: '1.2.0',
      environment: 'e2e',
      hostName: 'e2e-host',
      endpoint: serve.url,
      exportDelayMs: 50,
      metricExportIntervalMs: 3_600_000, // metrics leave at shutdown only: one cumulative point per series
      gpu: { nvidiaSmiPath: smi, intervalMs: 3_600_000 },
      exporters: { metrics: teeMetrics(new OTLPMetricExporter({ url: `${serve.url}/v1/metrics` }), sentMetrics) },
      onDiagnostic: (_l, m) => diagnostics.push(m),
    });

    const base = Date.now() - 10 * 60_000;
    for (let i = 0; i < N; i++) {
      monitor.logPrediction({
        id: `p-${i}`,
        features: { amount: i * 0.5, items: i % 7, country: COUNTRIES[i % 3], vip: i % 2 === 0, note: i % 10 === 0 ? null : 'n' },
        prediction: i % 4 === 0 ? 'fraud' : 'legit',
        score: (i % 100) / 100,
        latencyMs: 1 + (i % 50),
        error: i % 250 === 0 ? new RangeError('amount out of range') : undefined,
        timestamp: base + i,
      });
    }
    for (let i = 0; i < LABELS; i++) monitor.logGroundTruth(`p-${i}`, i % 3 === 0 ? 'fraud' : 'legit');

    // Inferences through time(): every 15th throws (sync TypeError), every 15th + 1 rejects (async RangeError).
    let thrown = 0;
    for (let i = 0; i < TIMED; i++) {
      try {
        if (i % 15 === 0) monitor.time('predict', () => { throw new TypeError('bad tensor'); });
        else if (i % 15 === 1) await monitor.time('predict', async () => { throw new RangeError('too long'); });
        else if (i % 2 === 0) expect(monitor.time('predict', () => i)).toBe(i);
        else expect(await monitor.time('predict', async () => i)).toBe(i);
      } catch (err) {
        thrown++;
        expect(err).toBeInstanceOf(i % 15 === 0 ? TypeError : RangeError);
      }
    }
    expect(thrown).toBe(40);

    await monitor.shutdown();
    const stats = monitor.stats();
    expect(stats.dropped).toEqual({ queue_full: 0, export_failed: 0, shutdown: 0, invalid_input: 0 });
    expect(stats.exported).toBe(N + LABELS);
    expect(diagnostics).toEqual([]);
    // What the SDK itself exported for the histogram: 260 successes, 20 TypeError, 20 RangeError.
    const hist = lastHistogram(sentMetrics);
    expect([...hist.keys()].sort()).toEqual(['', 'RangeError', 'TypeError']);
    expect(hist.get('')!.count).toBe(260);
    expect(hist.get('TypeError')!.count).toBe(20);
    expect(hist.get('RangeError')!.count).toBe(20);

    expect(await serve.stop()).toBe(0);
    const store: Store = await createStore({ dataDir });
    try {
      const q = async <T>(sql: string, params: Record<string, unknown> = {}): Promise<T[]> => store.query<T>(sql, params);
      const P = store.t('predictions');

      // Predictions: exact counts, sums and one full row.
      const [agg] = await q<Record<string, number | string>>(
        `SELECT count() AS n, uniqExact(prediction_id) AS ids, sum(features_num['amount']) AS amount, sum(features_num['items']) AS items,
                sum(latency_ms) AS latency, countIf(error_type = 'RangeError') AS errors, countIf(has(features_null, 'note')) AS nulls,
                countIf(features_cat['vip'] = 'true') AS vip, countIf(prediction_label = 'fraud') AS fraud,
                toUnixTimestamp64Milli(min(ts)) AS t_min, toUnixTimestamp64Milli(max(ts)) AS t_max,
                uniqExact(version) AS versions, any(version) AS v, any(environment) AS env, any(host) AS h, any(service) AS svc
         FROM ${P} WHERE model = 'e2e-fraud'`,
      );
      let items = 0, latency = 0;
      for (let i = 0; i < N; i++) {
        items += i % 7;
        latency += 1 + (i % 50);
      }
      expect(agg).toEqual({
        n: N, ids: N, amount: (0.5 * (N - 1) * N) / 2, items, latency, errors: N / 250, nulls: N / 10, vip: N / 2, fraud: N / 4,
        t_min: base, t_max: base + N - 1, versions: 1, v: '1.2.0', env: 'e2e', h: 'e2e-host', svc: 'e2e-fraud',
      });
      const byCountry = await q<{ c: string; n: number }>(`SELECT features_cat['country'] AS c, count() AS n FROM ${P} WHERE model = 'e2e-fraud' GROUP BY c ORDER BY c`);
      expect(byCountry).toEqual([{ c: 'DE', n: 1667 }, { c: 'FR', n: 1667 }, { c: 'US', n: 1666 }]);
      const [row] = await q<Record<string, unknown>>(
        `SELECT toUnixTimestamp64Milli(ts) AS t, prediction_label, prediction_value, score, latency_ms, error_type, features_num, features_cat, features_null
         FROM ${P} WHERE prediction_id = 'p-250'`,
      );
      expect(row).toEqual({
        t: base + 250, prediction_label: 'legit', prediction_value: null, score: 0.5, latency_ms: 1, error_type: 'RangeError',
        features_num: { amount: 125, items: 5 }, features_cat: { country: 'FR', vip: 'true' }, features_null: ['note'],
      });

      // Ground truth: every label, joined back to its prediction.
      const gt = await q<{ n: number; ids: number; fraud: number; joined: number }>(
        `SELECT count() AS n, uniqExact(prediction_id) AS ids, countIf(label = 'fraud') AS fraud,
                countIf(prediction_id IN (SELECT prediction_id FROM ${P} WHERE model = 'e2e-fraud')) AS joined
         FROM ${store.t('ground_truth')} WHERE model = 'e2e-fraud'`,
      );
      expect(gt).toEqual([{ n: LABELS, ids: LABELS, fraud: Math.ceil(LABELS / 3), joined: LABELS }]);

      // Spans: one per time() call; failures carry status ERROR, error.type and the exception event.
      const spans = await q<{ status_code: string; type: string; n: number; m: string; events: number }>(
        `SELECT status_code, attributes['error.type'] AS type, count() AS n, any(model) AS m, sum(has(events_name, 'exception')) AS events
         FROM ${store.t('spans')} WHERE service = 'e2e-fraud' AND name = 'predict' GROUP BY status_code, type ORDER BY status_code, type`,
      );
      expect(spans).toEqual([
        { status_code: 'ERROR', type: 'RangeError', n: 20, m: 'e2e-fraud', events: 20 },
        { status_code: 'ERROR', type: 'TypeError', n: 20, m: 'e2e-fraud', events: 20 },
        { status_code: 'UNSET', type: '', n: 260, m: 'e2e-fraud', events: 0 },
      ]);

      // The histogram: the stored cumulative point equals what the SDK exported, count, sum and buckets.
      const stored = await q<{ type: string; c: number; s: number; b: number[]; bnd: number[]; u: string }>(
        `SELECT attributes['error.type'] AS type, argMax(count, ts) AS c, argMax(sum, ts) AS s, argMax(bucket_counts, ts) AS b,
                any(bounds) AS bnd, any(unit) AS u
         FROM ${store.t('metric_histograms')} WHERE name = 'ml.inference.duration' AND service = 'e2e-fraud' GROUP BY type ORDER BY type`,
      );
      expect(stored.map((s) => s.type)).toEqual(['', 'RangeError', 'TypeError']);
      for (const s of stored) {
        const sent = hist.get(s.type)!;
        expect({ count: s.c, sum: s.s, buckets: s.b }).toEqual(sent);
        expect(s.b.reduce((a, b) => a + b, 0)).toBe(s.c);
        expect(s.u).toBe('s');
        expect(s.bnd).toHaveLength(17);
      }

      // The SDK's own drop counter arrived, all zero.
      const dropped = await q<{ reason: string; v: number }>(
        `SELECT attributes['reason'] AS reason, argMax(value, ts) AS v FROM ${store.t('metric_points')}
         WHERE name = 'ml.sdk.dropped' AND service = 'e2e-fraud' GROUP BY reason ORDER BY reason`,
      );
      expect(dropped).toEqual(['export_failed', 'invalid_input', 'queue_full', 'shutdown'].map((reason) => ({ reason, v: 0 })));

      // GPU gauges from the fake nvidia-smi: eight GPUs, values as printed.
      const gpus = await q<{ gpu_id: string; util: number; temp: number; h: string }>(
        `SELECT gpu_id, anyIf(value, metric = 'hw.gpu.utilization') AS util, anyIf(value, metric = 'hw.gpu.temperature') AS temp, any(host) AS h
         FROM ${store.t('gpu_samples')} WHERE service = 'e2e-fraud' GROUP BY gpu_id ORDER BY temp`,
      );
      expect(gpus).toHaveLength(8);
      expect(gpus.map((g) => g.temp)).toEqual([33, 38, 69, 70, 71, 72, 74, 86]);
      expect(gpus.map((g) => g.util)).toEqual([0, 0, 0.93, 0.95, 0.98, 0.97, 1, 0.99]);
      expect(new Set(gpus.map((g) => g.h))).toEqual(new Set(['e2e-host']));
    } finally {
      await store.close();
    }
  });
});
