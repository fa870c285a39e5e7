/**
 * Deterministic data for the UI tests: four models over the last three hours (one drifting, one
 * with a high error rate, one silent for 2.5 hours, one steady), two GPUs, analyzer passes over the
 * last hour, and alert rules evaluated so that one alert fires, one is pending and one resolved.
 */
import { parseAlertsFile } from '../../alerts/rules.ts';
import { startAlerts, type AlertsEngine } from '../../alerts/engine.ts';
import { startAnalyzer } from '../../analyzer/scheduler.ts';
import type { Config } from '../../core/config/schema.ts';
import type { Store } from '../../storage/client.ts';
import { normal, predictionRow, prng } from '../analyzer/seed.ts';

export const MINUTE = 60_000;
/** Minutes of traffic before T. */
export const SPAN_MIN = 180;
/** `amount` of fraud-detector shifts this many minutes before T, `account_age_days` later. */
export const AMOUNT_SHIFT_MIN = 70;
export const AGE_SHIFT_MIN = 35;
/** Analyzer passes run at T minus these minutes (each over the hour before). */
export const PASSES_MIN = [50, 40, 30, 20, 10, 0];

export const MODELS = {
  fraud: { name: 'fraud-detector', version: 'v3', perMin: 40 },
  churn: { name: 'churn-predictor', version: 'v1', perMin: 10 },
  ranker: { name: 'search-ranker', version: 'v2', perMin: 10 },
  recommender: { name: 'recommender', version: 'v1', perMin: 6 },
} as const;

const pick = <T>(r: number, items: readonly (readonly [T, number])[]): T => {
  let acc = 0;
  for (const [v, w] of items) {
    acc += w;
    if (r < acc) return v;
  }
  return items[items.length - 1][0];
};

/** Prediction rows of every model, all strictly before T. */
export function predictionRows(T: number): Record<string, unknown>[] {
  const rand = prng(42);
  const z = normal(rand);
  const rows: Record<string, unknown>[] = [];
  const each = (m: { name: string; version: string; perMin: number }, fromMin: number, toMin: number, make: (ms: number, i: number) => Record<string, unknown>) => {
    let i = 0;
    for (let k = fromMin; k > toMin; k--) {
      for (let j = 0; j < m.perMin; j++) {
        const ms = T - k * MINUTE + Math.floor((j * MINUTE) / m.perMin) + 7;
        rows.push(predictionRow({ ms, model: m.name, version: m.version, id: `${m.name}-${i}`, ...make(ms, i) }));
        i++;
      }
    }
  };
  each(MODELS.fraud, SPAN_MIN, 0, (ms, i) => {
    const shifted = ms >= T - AMOUNT_SHIFT_MIN * MINUTE;
    const aged = ms >= T - AGE_SHIFT_MIN * MINUTE;
    const amount = Math.exp((shifted ? 4.2 : 3.5) + 0.6 * z());
    return {
      num: { amount, account_age_days: Math.max(0, (aged ? 340 : 400) + 120 * z()) },
      cat: { country: pick(rand(), [['DE', 0.4], ['FR', 0.25], ['US', 0.2], ['GB', 0.15]]), channel: pick(rand(), [['web', 0.6], ['app', 0.35], ['pos', 0.05]]) },
      value: 1 / (1 + Math.exp(-(Math.log(amount) - 4) * 2)),
      latency: Math.exp(3 + 0.45 * z()),
      error: i % 100 === 0 ? 'Timeout' : '',
    };
  });
  each(MODELS.churn, SPAN_MIN, 0, (_ms, i) => ({
    num: { tenure_months: Math.max(0, 24 + 10 * z()), monthly_spend: Math.exp(3.4 + 0.3 * z()) },
    cat: { plan: pick(rand(), [['basic', 0.55], ['pro', 0.35], ['enterprise', 0.1]]) },
    label: rand() < 0.2 ? 'churn' : 'stay',
    latency: Math.exp(2.3 + 0.3 * z()),
    error: i % 30 === 0 ? 'ModelError' : '',
  }));
  each(MODELS.ranker, SPAN_MIN, SPAN_MIN - 30, () => ({ num: { query_len: 3 + 2 * rand() }, value: rand(), latency: Math.exp(3.8 + 0.2 * z()) }));
  each(MODELS.recommender, SPAN_MIN, 0, () => ({
    num: { items_viewed: Math.max(0, 12 + 4 * z()) },
    cat: { segment: pick(rand(), [['new', 0.3], ['returning', 0.7]]) },
    value: rand(),
    latency: Math.exp(2.8 + 0.25 * z()),
  }));
  return rows;
}

/** GPU samples every 15 s for two GPUs of one host. */
export function gpuRows(T: number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const GiB = 1024 ** 3;
  for (let ms = T - SPAN_MIN * MINUTE; ms < T; ms += 15_000) {
    const ts = new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
    const x = (ms - T) / (20 * MINUTE);
    const add = (gpu: string, metric: string, value: number) =>
      rows.push({ ts, host: 'gpu-node-1', gpu_id: gpu, gpu_name: 'NVIDIA A100-SXM4-80GB', service: 'fraud-svc', metric, value, attributes: {} });
    add('0', 'hw.gpu.utilization', 0.62 + 0.18 * Math.sin(x));
    add('0', 'hw.gpu.memory.usage', (30 + 4 * Math.sin(x / 2)) * GiB);
    add('0', 'hw.gpu.memory.limit', 80 * GiB);
    add('1', 'hw.gpu.utilization', 0.22 + 0.08 * Math.cos(x));
    add('1', 'hw.gpu.memory.usage', 12 * GiB);
    add('1', 'hw.gpu.memory.limit', 80 * GiB);
  }
  return rows;
}

/** The rules of the test: a high error rate fires, dataset drift is pending, a silent model resolved. */
export const RULES = `
rules:
  - name: HighErrorRate
    condition: { kind: error_rate, op: '>', value: 2%, window: 10m }
    severity: critical
    annotations:
      summary: "{{ $value | humanizePercentage }} of predictions of {{ $labels.model }} fail"
  - name: DatasetDrift
    condition: { kind: drift_share, op: '>=', value: 0.5 }
    for: 30m
    severity: warning
    annotations:
      summary: "{{ $value | humanizePercentage }} of the features of {{ $labels.model }} drifted"
  - name: ModelSilent
    condition: { kind: no_data, model: churn-predictor, for: 10m }
    severity: critical
    annotations:
      summary: "no predictions from {{ $labels.model }} for {{ $value | humanizeDuration }}"
`;

/** Inserts everything, runs the analyzer passes and two alert evaluations; returns the engine. */
export async function seed(store: Store, config: Config, T: number): Promise<{ engine: AlertsEngine }> {
  await store.insert('predictions', predictionRows(T));
  await store.insert('gpu_samples', gpuRows(T));
  const silent = { info() {}, warn() {}, error() {} };
  const analyzer = startAnalyzer({ store, config: { ...config, analyzer: { ...config.analyzer, enabled: false } }, log: silent });
  for (const m of PASSES_MIN) {
    const r = await analyzer.runOnce(new Date(T - m * MINUTE));
    if (r.failed.length) throw new Error(`analyzer pass failed: ${JSON.stringify(r.failed)}`);
  }
  await analyzer.stop();
  const engine = startAlerts({ store, config, rules: parseAlertsFile(RULES), schedule: false });
  // Before churn-predictor's first prediction its silence rule fires; at T it has traffic again.
  await engine.tick(T - (SPAN_MIN + 20) * MINUTE);
  await engine.tick(T);
  return { engine };
}
