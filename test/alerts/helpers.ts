import { loadConfig } from '../../core/config/load.ts';
import type { Config } from '../../core/config/schema.ts';
import type { Store } from '../../storage/client.ts';

/** A config with every default and the given overrides (dotted keys). */
export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return loadConfig({ overrides });
}

/** A minute-aligned time near the real clock (rows far in the past would meet the tables' TTL). */
export function baseTime(): number {
  return Math.floor(Date.now() / 60_000) * 60_000;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** One analysis_results row. */
export interface ResultRow {
  analyzer: string;
  model: string;
  version?: string;
  segment?: string;
  subject: string;
  metric: string;
  value: number;
  threshold?: number | null;
  status: string;
  method?: string;
  windowStart: number;
  windowEnd: number;
  computedAt: number;
}

/** Inserts analysis_results rows as an analyzer would. */
export async function seedResults(store: Store, rows: ResultRow[]): Promise<void> {
  await store.insert('analysis_results', rows.map((r) => ({
    window_start: iso(r.windowStart), window_end: iso(r.windowEnd), computed_at: iso(r.computedAt),
    analyzer: r.analyzer, model: r.model, version: r.version ?? 'v1', segment: r.segment ?? '', subject: r.subject, metric: r.metric,
    value: r.value, threshold: r.threshold ?? null, p_value: null, method: r.method ?? 'psi', status: r.status, reference: '', details: '{}',
  })));
}

/** Drift rows for some features of a model, all in one window. */
export function driftRows(model: string, features: string[], status: 'drift' | 'ok', windowEnd: number, computedAt: number): ResultRow[] {
  return features.map((f) => ({
    analyzer: 'drift', model, subject: f, metric: 'drift', value: status === 'drift' ? 0.4 : 0.02, threshold: 0.2, status,
    windowStart: windowEnd - 3_600_000, windowEnd, computedAt,
  }));
}

/** Empties the alerting tables, the result table and the latency rollup (every level) between tests. */
export async function resetTables(store: Store): Promise<void> {
  for (const t of ['analysis_results', 'alert_series', 'alert_groups', 'alert_deliveries', 'alert_history', 'alert_silences', 'predictions', 'latency_1m', 'latency_1h', 'latency_1d']) {
    await store.command(`TRUNCATE TABLE IF EXISTS ${store.t(t)}`);
  }
}
