import type { Store } from '../storage/client.ts';
import { rollupSource } from '../storage/levels.ts';
import type { ResultRow } from './results.ts';
import { windowSeconds, type Window } from './window.ts';

/** Latency quantiles reported, with their metric names. */
export const LATENCY_QUANTILES = [
  [0.5, 'latency_p50'], [0.9, 'latency_p90'], [0.95, 'latency_p95'], [0.99, 'latency_p99'], [0.999, 'latency_p999'],
] as const;

/** Latency and traffic of one model version over a window. */
export interface LatencyStats {
  model: string;
  version: string;
  predictions: number;
  errors: number;
  withLatency: number;
  quantiles: Record<string, number | null>;
  mean: number | null;
  max: number | null;
  throughputPerSec: number;
  errorRate: number;
}

/** One model version's merged latency rollup (counts as numbers or text). */
export interface LatencyRollupRow { model: string; version: string; n: string | number; e: string | number; wl: string | number; s: number; mx: number; q: number[] }

/** Merges the quantilesDD sketches of the window (1% relative accuracy; minute, hour and day levels) per model version. */
export async function computeLatency(store: Store, w: Window, filter: { model?: string; version?: string } = {}): Promise<LatencyStats[]> {
  const src = rollupSource(store, 'latency', w);
  const levels = LATENCY_QUANTILES.map(([p]) => p).join(', ');
  const rows = await store.query<LatencyRollupRow>(
    `SELECT model, version, sum(predictions) AS n, sum(errors) AS e, sum(with_latency) AS wl, sum(latency_sum) AS s,
            max(latency_max) AS mx, quantilesDDMerge(0.01, ${levels})(latency_sketch) AS q
     FROM ${src.sql}
     WHERE 1
       ${filter.model !== undefined ? 'AND model = {model:String}' : ''}
       ${filter.version !== undefined ? 'AND version = {version:String}' : ''}
     GROUP BY model, version ORDER BY model, version`,
    { ...src.params, model: filter.model, version: filter.version },
  );
  return rows.map((r) => latencyStatsFromRow(r, windowSeconds(w)));
}

/** Latency stats of one model version from its merged rollup row over a window of `secs` seconds. */
export function latencyStatsFromRow(r: LatencyRollupRow, secs: number): LatencyStats {
  const n = Number(r.n);
  const wl = Number(r.wl);
  const quantiles: Record<string, number | null> = {};
  LATENCY_QUANTILES.forEach(([, name], i) => (quantiles[name] = wl > 0 && Number.isFinite(Number(r.q[i])) ? Number(r.q[i]) : null));
  return {
    model: r.model, version: r.version, predictions: n, errors: Number(r.e), withLatency: wl, quantiles,
    mean: wl > 0 ? Number(r.s) / wl : null, max: wl > 0 ? Number(r.mx) : null,
    throughputPerSec: secs > 0 ? n / secs : 0, errorRate: n > 0 ? Number(r.e) / n : 0,
  };
}

/** Result rows of the latency job (subject `latency`). */
export function latencyRows(w: Window, stats: LatencyStats[]): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const s of stats) {
    const base = { analyzer: 'latency', window: w, model: s.model, version: s.version, segment: '', subject: 'latency', threshold: null, p_value: null, reference: '', details: {} };
    const add = (metric: string, value: number | null, method: string, details: Record<string, unknown> = {}) =>
      rows.push({ ...base, metric, value: value ?? 0, method, status: value === null ? 'nodata' : 'ok', details });
    for (const [, name] of LATENCY_QUANTILES) add(name, s.quantiles[name], 'quantilesDD', { relative_accuracy: 0.01 });
    add('latency_mean', s.mean, 'mean');
    add('latency_max', s.max, 'max');
    add('throughput', s.throughputPerSec, 'rate', { predictions: s.predictions });
    add('error_rate', s.predictions > 0 ? s.errorRate : null, 'rate', { errors: s.errors, predictions: s.predictions });
  }
  return rows;
}

/** Runs the latency job over a window. */
export async function runLatency(store: Store, w: Window): Promise<ResultRow[]> {
  return latencyRows(w, await computeLatency(store, w));
}
