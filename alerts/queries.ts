import type { Store } from '../storage/client.ts';
import { LEVELS, levelTable, ROLLUP_SIGNALS, rollupSource } from '../storage/levels.ts';
import { seenByKey, seenEdges } from '../storage/levels-read.ts';
import type { Condition, Labels, Sample } from './types.ts';

/** Name of the latency analyzer's metric for a quantile: 0.99 -> latency_p99, 0.999 -> latency_p999, 1 -> latency_max. */
export function quantileMetric(q: number): string {
  if (q >= 1) return 'latency_max';
  const pct = +(q * 100).toPrecision(6);
  return `latency_p${String(pct).replace('.', '')}`;
}

const ANALYSIS: Record<string, { analyzer: string; metric?: string; subject?: string; labels: 'model' | 'feature' | 'gpu' }> = {
  latency_quantile: { analyzer: 'latency', labels: 'model' },
  drift_share: { analyzer: 'drift', metric: 'drift_share', subject: '__dataset__', labels: 'model' },
  feature_drift: { analyzer: 'drift', metric: 'drift', labels: 'feature' },
  data_quality: { analyzer: 'quality', labels: 'feature' },
  gpu_idle: { analyzer: 'gpu', metric: 'idle', labels: 'gpu' },
  gpu_memory: { analyzer: 'gpu', metric: 'memory_pressure', labels: 'gpu' },
};

interface ResultRow {
  model: string;
  version: string;
  segment: string;
  subject: string;
  r: [number, number | null, string, string];
}

async function analysisSamples(store: Store, kind: string, c: Condition, now: number): Promise<Sample[]> {
  const spec = ANALYSIS[kind];
  const metric = kind === 'latency_quantile' ? quantileMetric(c.quantile ?? 0.99) : kind === 'data_quality' ? c.metric! : spec.metric!;
  const where = [
    'analyzer = {analyzer:String}', 'metric = {metric:String}',
    'window_end <= fromUnixTimestamp64Milli({now:Int64})', 'window_end > fromUnixTimestamp64Milli({from:Int64})',
  ];
  const params: Record<string, unknown> = { analyzer: spec.analyzer, metric, now, from: now - c.lookbackMs };
  if (c.model !== undefined) { where.push('model = {model:String}'); params.model = c.model; }
  if (c.version !== undefined) { where.push('version = {version:String}'); params.version = c.version; }
  if (c.segment !== undefined) { where.push('segment = {segment:String}'); params.segment = c.segment; }
  if (spec.subject) { where.push('subject = {subject:String}'); params.subject = spec.subject; }
  if (kind === 'feature_drift' && c.feature === undefined) where.push(`subject != '__dataset__'`);
  if (c.feature !== undefined && spec.labels !== 'model') { where.push('subject = {feature:String}'); params.feature = c.feature; }
  // The latest window of each series, and of that window the latest computation.
  const rows = await store.query<ResultRow>(
    `SELECT model, version, segment, subject,
            argMax(tuple(value, threshold, status, method), tuple(window_end, computed_at)) AS r
     FROM ${store.t('analysis_results')}
     WHERE ${where.join(' AND ')}
     GROUP BY model, version, segment, subject`,
    params,
  );
  return rows.map((row) => {
    const [value, threshold, status, method] = row.r;
    const labels: Labels = {};
    if (row.model !== '' || spec.labels !== 'gpu') labels.model = row.model;
    if (row.version !== '' && spec.labels !== 'gpu') labels.version = row.version;
    if (row.segment !== '') labels.segment = row.segment;
    if (spec.labels === 'feature') labels.feature = row.subject;
    if (spec.labels === 'gpu') labels.gpu = row.subject;
    if (kind === 'feature_drift' && method) labels.method = method;
    return {
      labels,
      value: Number(value),
      threshold: threshold === null ? null : Number(threshold),
      active: status !== 'ok' && status !== 'nodata' && status !== '',
    };
  });
}

/** Whole seconds: the window edges are compared with bucket starts at second precision, as they always were. */
const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

async function errorRateSamples(store: Store, c: Condition, now: number): Promise<Sample[]> {
  // The minutes starting in [from, now), whole hours and days of a long window from their own levels.
  const src = rollupSource(store, 'latency', { from: new Date(floorSecond(now - (c.windowMs ?? 300_000))), to: new Date(floorSecond(now)) });
  const where = ['1'];
  const params: Record<string, unknown> = { ...src.params, min: c.minCount ?? 1 };
  if (c.model !== undefined) { where.push('model = {model:String}'); params.model = c.model; }
  if (c.version !== undefined) { where.push('version = {version:String}'); params.version = c.version; }
  const rows = await store.query<{ model: string; version: string; n: string; e: string }>(
    `SELECT model, version, sum(predictions) AS n, sum(errors) AS e
     FROM ${src.sql} WHERE ${where.join(' AND ')}
     GROUP BY model, version HAVING n >= {min:UInt64}`,
    params,
  );
  return rows.map((r) => ({ labels: { model: r.model, version: r.version }, value: Number(r.e) / Number(r.n), threshold: c.value ?? null }));
}

async function noDataSamples(store: Store, c: Condition, now: number): Promise<Sample[]> {
  // Seconds since the model's last prediction (the end of its last busy minute; of its last busy hour
  // or day when the silence is older than the minutes kept), looking back at most a week or twice the silence.
  const horizonMs = Math.max(7 * 86_400_000, (c.silenceMs ?? 0) * 2);
  const where = ['model = {model:String}', 'predictions > 0'];
  const params: Record<string, unknown> = { model: c.model };
  if (c.version !== undefined) { where.push('version = {version:String}'); params.version = c.version; }
  const edges = seenEdges(store, 'latency', { keys: ['model'], where: where.join(' AND '), window: { from: floorSecond(now - horizonMs), to: floorSecond(now) + 1000 } });
  const rows = await store.query<{ model: string; level: string; first: number; last: number }>(edges.sql, { ...edges.params, ...params });
  const last = seenByKey(rows, () => 'model').get('model')?.last;
  const ageS = last !== undefined ? Math.max(0, (now - last) / 1000) : horizonMs / 1000;
  const silenceS = (c.silenceMs ?? 0) / 1000;
  const labels: Labels = { model: c.model! };
  if (c.version !== undefined) labels.version = c.version;
  return [{ labels, value: ageS, threshold: silenceS, active: ageS >= silenceS }];
}

/** Tables a `query` rule may name unqualified: results, raw data and every level of every rollup. */
const TABLES = ['analysis_results', 'predictions', 'ground_truth', ...ROLLUP_SIGNALS.flatMap((s) => LEVELS.map((l) => levelTable(s, l)))];

/** Qualifies the known table names of a user query with the store's database. */
export function qualifyTables(store: Store, sql: string): string {
  return sql.replace(new RegExp(`(?<![.\\w\`"])(${TABLES.join('|')})(?![\\w\`"])`, 'g'), (name) => store.t(name));
}

async function querySamples(store: Store, c: Condition, now: number): Promise<Sample[]> {
  const rows = await store.query<Record<string, unknown>>(
    qualifyTables(store, c.sql!),
    { now, from: now - c.lookbackMs },
    // Over HTTP a user query runs read-only. The embedded engine keeps query settings for the rest of
    // its session, so there the single-SELECT check done when the rules are loaded is the guard.
    store.mode === 'server' ? { readonly: '2' } : undefined,
  );
  return rows.map((row) => {
    const labels: Labels = {};
    let threshold: number | null | undefined;
    for (const [k, v] of Object.entries(row)) {
      if (k === 'value') continue;
      if (k === 'threshold') {
        threshold = v === null ? null : Number(v);
        continue;
      }
      labels[k] = v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    return { labels, value: Number(row.value), threshold };
  });
}

/**
 * Reads the current values of a condition: one sample per series. Kinds over analysis_results read
 * the latest window per series; error_rate and no_data read the latency rollup, each stretch from the
 * coarsest level that holds it (storage/levels.ts); a query runs as given
 * with `{now:Int64}` and `{from:Int64}` (ms) bound.
 */
export async function readCondition(store: Store, c: Condition, now: number): Promise<Sample[]> {
  switch (c.kind) {
    case 'error_rate': return errorRateSamples(store, c, now);
    case 'no_data': return noDataSamples(store, c, now);
    case 'query': return querySamples(store, c, now);
    default: return analysisSamples(store, c.kind, c, now);
  }
}
