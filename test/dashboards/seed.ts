/**
 * Recent data for the dashboard queries: predictions of several models, versions and environments,
 * GPU samples, analyzer results (written through the analyzers' own row builders and writeResults, so
 * their shape is what the analyzers write) and alert state through the alert state store.
 */
import type { Store } from '../../storage/client.ts';
import { writeResults, type ResultRow } from '../../analyzer/results.ts';
import { latencyRows } from '../../analyzer/latency.ts';
import { gpuRows } from '../../analyzer/gpu.ts';
import { qualityRows } from '../../analyzer/quality.ts';
import { performanceRows } from '../../analyzer/performance.ts';
import { driftRows } from '../../analyzer/drift/job.ts';
import type { DriftReport } from '../../analyzer/drift/compute.ts';
import type { Window } from '../../analyzer/window.ts';
import { AlertStateStore } from '../../alerts/state-store.ts';
import type { SeriesState, SeriesStateName } from '../../alerts/types.ts';
import { normal, prng, ts } from '../analyzer/seed.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const GIB = 1024 ** 3;

/** The model versions seeded: where they run. */
export const DEPLOYMENTS = [
  { model: 'fraud', version: 'v1', environment: 'prod', host: 'node-a' },
  { model: 'fraud', version: 'v2', environment: 'prod', host: 'node-a' },
  { model: 'fraud', version: 'v1', environment: 'staging', host: 'node-b' },
  { model: 'churn', version: 'v1', environment: 'prod', host: 'node-b' },
  { model: 'churn', version: 'v1', environment: 'staging', host: 'node-b' },
] as const;

/** GPUs seeded: node-a/g1 holds memory and does nothing (idle). */
export const GPUS = [
  { host: 'node-a', id: 'g0', util: 0.6 },
  { host: 'node-a', id: 'g1', util: 0.01 },
  { host: 'node-b', id: 'g0', util: 0.35 },
] as const;

/** Predictions over the last 12 hours (two per deployment and minute), ending a minute before `now`. */
async function seedPredictions(store: Store, now: number): Promise<void> {
  const rand = prng(11);
  const z = normal(rand);
  const rows: Record<string, unknown>[] = [];
  const start = now - 12 * HOUR;
  for (let t = start; t < now - MINUTE; t += 30_000) {
    const recent = t > now - 6 * HOUR;
    for (const [i, d] of DEPLOYMENTS.entries()) {
      const nullAge = rand() < 0.05;
      const error = rand() < 0.03 ? (rand() < 0.5 ? 'Timeout' : 'ValueError') : '';
      const score = rand();
      rows.push({
        ts: ts(t + i * 1000), model: d.model, version: d.version, environment: d.environment, service: `${d.model}-svc`, host: d.host,
        prediction_id: `${d.model}-${d.version}-${d.environment}-${t}`, prediction_value: null, prediction_label: score > 0.5 ? '1' : '0', score,
        latency_ms: error ? null : Math.exp(3 + 0.5 * z()), error_type: error,
        // The current window drifts: amount shifts up and a new country appears.
        features_num: { amount: 100 + 20 * z() + (recent ? 30 : 0), ...(nullAge ? {} : { age: 40 + 10 * z() }) },
        features_cat: { country: recent && rand() < 0.2 ? 'br' : ['de', 'fr', 'us'][Math.floor(rand() * 3)] },
        features_null: nullAge ? ['age'] : [], attributes: {}, trace_id: '', span_id: '',
      });
    }
  }
  await store.insert('predictions', rows);
}

/** hw.gpu.* samples every 30 s over the last 3 hours. */
async function seedGpu(store: Store, now: number): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  for (let t = now - 3 * HOUR; t < now - MINUTE; t += 30_000) {
    for (const g of GPUS) {
      const add = (metric: string, value: number) =>
        rows.push({ ts: ts(t), host: g.host, gpu_id: g.id, gpu_name: 'NVIDIA H100', service: 'dcgm', metric, value, attributes: {} });
      add('hw.gpu.utilization', g.util + 0.05 * Math.sin(t / MINUTE) * g.util);
      add('hw.gpu.memory.usage', (g.id === 'g1' ? 4 : 30) * GIB);
      add('hw.gpu.memory.limit', 80 * GIB);
      add('hw.gpu.power.draw', 100 + 500 * g.util);
      add('hw.gpu.temperature', 40 + 40 * g.util);
      add('hw.gpu.throttled', 0);
    }
  }
  await store.insert('gpu_samples', rows);
}

function driftReport(): DriftReport {
  const col = (column: string, type: 'numeric' | 'categorical', method: string, statistic: number, p: number | null, threshold: number, drift: boolean) => ({
    column, type, method, statistic, p_value: p, threshold, drift, status: drift ? ('drift' as const) : ('ok' as const), path: 'sketch' as const,
    reference_n: 1200, current_n: 1200, ...(type === 'categorical' ? { unseen: drift ? ['br'] : [] } : {}),
  });
  return {
    columns: [
      col('amount', 'numeric', 'wasserstein', 0.8, null, 0.1, true),
      col('age', 'numeric', 'ks', 0.02, 0.6, 0.05, false),
      col('country', 'categorical', 'chisquare', 120, 1e-9, 0.05, true),
      col('__prediction__', 'categorical', 'psi', 0.01, null, 0.1, false),
    ],
    dataset: { columns: 3, drifted: 2, share: 2 / 3, drift: true, threshold: 0.5 },
    nullRates: [{ column: 'age', reference: 0.05, current: 0.05, drift: false, threshold: 0.05 }],
    schema: { added: [], removed: [], typeChanged: [] }, skipped: [],
    referenceRows: 1200,
    currentRows: 1200,
  };
}

/** Analyzer results for 18 one-hour windows, one every 10 minutes, the last ending at the current minute. */
async function seedResults(store: Store, now: number): Promise<void> {
  const rows: ResultRow[] = [];
  const versions = [...new Map(DEPLOYMENTS.map((d) => [`${d.model}/${d.version}`, d])).values()];
  const lastEnd = Math.floor(now / MINUTE) * MINUTE;
  for (let k = 0; k < 18; k++) {
    const w: Window = { from: new Date(lastEnd - k * 10 * MINUTE - HOUR), to: new Date(lastEnd - k * 10 * MINUTE) };
    rows.push(...latencyRows(w, versions.map((d) => ({
      model: d.model, version: d.version, predictions: 480, errors: 12, withLatency: 468, mean: 22, max: 95, throughputPerSec: 480 / 3600, errorRate: 0.025,
      quantiles: { latency_p50: 20, latency_p90: 35, latency_p95: 41, latency_p99: 60, latency_p999: 90 },
    }))));
    for (const d of versions) {
      rows.push(...driftRows({ model: d.model, version: d.version, window: w, reference: { kind: 'previous' } }, driftReport()));
      rows.push(...qualityRows(w, {
        model: d.model, version: d.version, predictions: 480,
        nullRates: [{ feature: 'age', nulls: 24, rate: 0.05 }],
        typeViolations: [],
        outOfRange: [{ feature: 'amount', count: 30, share: 0.0625, refMin: 20, refMax: 180 }],
        appeared: [], disappeared: [],
        unseenCategories: [{ feature: 'country', categories: ['br'], count: 1 }],
      }, 'previous window'));
      rows.push(...performanceRows(w, {
        model: d.model, version: d.version, task: 'classification', predictions: 480, labeled: 300, coverage: 0.625, positiveClass: '1',
        accuracy: 0.9, precision: 0.8, recall: 0.7, f1: 0.75, rocAuc: 0.93,
      }));
    }
    rows.push(...gpuRows(w, {
      predictions: 2400, gpuSeconds: 3456, gpuSecondsPer1k: 1440,
      gpus: GPUS.map((g) => ({
        host: g.host, gpuId: g.id, gpuName: 'NVIDIA H100', utilizationMean: g.util, utilizationP95: g.util * 1.1,
        memoryUsedMean: (g.id === 'g1' ? 4 : 30) * GIB, memoryLimit: 80 * GIB, memoryPressure: (g.id === 'g1' ? 4 : 30) / 80,
        throttledShare: 0, temperatureMax: 40 + 40 * g.util, powerMean: 100 + 500 * g.util, idle: g.id === 'g1',
      })),
    }));
  }
  await writeResults(store, rows);
}

function series(fingerprint: string, labels: Record<string, string>, state: SeriesStateName, since: number, value: number): SeriesState {
  return {
    fingerprint, labels, annotations: { summary: `${labels.alertname} on ${labels.model ?? labels.gpu}` }, state, value, threshold: null,
    activeAt: since, firedAt: state === 'firing' ? since : null, lastActiveAt: since, resolvedAt: null, lastEvalAt: since, since, error: null,
  };
}

/** Alert series (firing, pending, inactive, one deleted), their history and delivery attempts. */
async function seedAlerts(store: Store, now: number): Promise<void> {
  const alerts = new AlertStateStore(store);
  const latency = { alertname: 'HighP99Latency', severity: 'critical', model: 'fraud', version: 'v1' };
  const drift = { alertname: 'FeatureDrift', severity: 'warning', model: 'churn', version: 'v1', feature: 'country', method: 'chisquare' };
  const idle = { alertname: 'GpuIdle', severity: 'warning', gpu: 'node-a/g1' };
  const errors = { alertname: 'ErrorRate', severity: 'critical', model: 'fraud', version: 'v2' };
  await alerts.saveSeries([
    { rule: 'HighP99Latency', series: series('fp-latency', latency, 'firing', now - 40 * MINUTE, 250) },
    { rule: 'FeatureDrift', series: series('fp-drift', drift, 'pending', now - 5 * MINUTE, 120) },
    { rule: 'GpuIdle', series: series('fp-idle', idle, 'firing', now - 90 * MINUTE, 1) },
    { rule: 'ErrorRate', series: series('fp-errors', errors, 'inactive', now - 2 * HOUR, 0.01) },
  ], []);
  await alerts.saveSeries([{ rule: 'OldRule', series: series('fp-old', { alertname: 'OldRule', model: 'fraud' }, 'firing', now - 3 * HOUR, 1) }], []);
  await alerts.saveSeries([], [{ rule: 'OldRule', fingerprint: 'fp-old' }]);
  const change = (rule: string, fingerprint: string, labels: Record<string, string>, from: SeriesStateName, to: SeriesStateName, at: number, value: number) =>
    ({ rule, fingerprint, labels, from, to, at, value, silenced: false, inhibited: false });
  await alerts.logHistory([
    change('ErrorRate', 'fp-errors', errors, 'inactive', 'pending', now - 4 * HOUR, 0.06),
    change('ErrorRate', 'fp-errors', errors, 'pending', 'firing', now - 4 * HOUR + 5 * MINUTE, 0.07),
    change('ErrorRate', 'fp-errors', errors, 'firing', 'resolved', now - 2 * HOUR, 0.01),
    change('ErrorRate', 'fp-errors', errors, 'resolved', 'inactive', now - 2 * HOUR + 15 * MINUTE, 0.01),
    change('GpuIdle', 'fp-idle', idle, 'inactive', 'firing', now - 90 * MINUTE, 1),
    change('HighP99Latency', 'fp-latency', latency, 'inactive', 'pending', now - 45 * MINUTE, 240),
    change('HighP99Latency', 'fp-latency', latency, 'pending', 'firing', now - 40 * MINUTE, 250),
    change('FeatureDrift', 'fp-drift', drift, 'inactive', 'pending', now - 5 * MINUTE, 120),
  ]);
  const delivery = (at: number, receiver: string, status: 'ok' | 'retryable' | 'failed', httpStatus: number, attempt: number) => ({
    ts: at, receiver, receiverType: receiver === 'slack-oncall' ? 'slack' : 'webhook', groupKey: '{}:{alertname="HighP99Latency"}', notificationId: `n-${at}`,
    status, httpStatus, error: status === 'ok' ? '' : 'rate limited', attempt, durationMs: 42, alerts: 1, firing: 1, resolved: 0,
  });
  await alerts.logDeliveries([
    delivery(now - 40 * MINUTE, 'slack-oncall', 'retryable', 429, 1),
    delivery(now - 39 * MINUTE, 'slack-oncall', 'ok', 200, 2),
    delivery(now - 90 * MINUTE, 'webhook-ops', 'ok', 200, 1),
  ]);
}

/** Seeds everything the dashboards read, relative to `now` (ms). */
export async function seedDashboardData(store: Store, now: number): Promise<void> {
  await seedPredictions(store, now);
  await seedGpu(store, now);
  await seedResults(store, now);
  await seedAlerts(store, now);
}
