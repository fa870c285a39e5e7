import type { Store } from '../storage/client.ts';
import { rollupSource } from '../storage/levels.ts';
import { chSeconds, parseChTime, type Window } from './window.ts';

/** Verdict of one result row. */
export type ResultStatus = 'ok' | 'drift' | 'warn' | 'nodata';

/** One row of `analysis_results`: a metric of a subject for a model/version/segment over a window. */
export interface ResultRow {
  analyzer: string;
  window: Window;
  model: string;
  version: string;
  segment: string;
  subject: string;
  metric: string;
  value: number;
  threshold: number | null;
  p_value: number | null;
  method: string;
  status: ResultStatus;
  reference: string;
  details: Record<string, unknown>;
}

const finite = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : x);

/** Writes result rows in one insert; non-finite values are stored as 0 and flagged in details. */
export async function writeResults(store: Store, rows: readonly ResultRow[]): Promise<void> {
  if (rows.length === 0) return;
  const now = new Date();
  await store.insert(
    'analysis_results',
    rows.map((r) => {
      const ok = Number.isFinite(r.value);
      return {
        window_start: chSeconds(r.window.from),
        window_end: chSeconds(r.window.to),
        computed_at: now.toISOString().replace('T', ' ').replace('Z', ''),
        analyzer: r.analyzer,
        model: r.model,
        version: r.version,
        segment: r.segment,
        subject: r.subject,
        metric: r.metric,
        value: ok ? r.value : 0,
        threshold: finite(r.threshold),
        p_value: finite(r.p_value),
        method: r.method,
        status: r.status,
        reference: r.reference,
        details: JSON.stringify(ok ? r.details : { ...r.details, nonFiniteValue: String(r.value) }),
      };
    }),
  );
}

/** Filter for reading stored results. */
export interface ResultQuery {
  analyzer: string;
  model?: string;
  version?: string;
  segment?: string;
  window: Window;
  reference?: string;
}

// A row as read back: the window as two columns, the reference and details as stored text.
type StoredRow = Omit<ResultRow, 'window' | 'reference' | 'details'> & { window_start: string; window_end: string; ref_text: string; details: string };

/**
 * Reads the latest result rows computed for exactly this window (the newest computation wins,
 * since ReplacingMergeTree may not have merged yet).
 */
export async function readResults(store: Store, q: ResultQuery): Promise<ResultRow[]> {
  const where = ['analyzer = {analyzer:String}', 'window_start = {ws:DateTime}', 'window_end = {we:DateTime}'];
  const params: Record<string, unknown> = { analyzer: q.analyzer, ws: chSeconds(q.window.from), we: chSeconds(q.window.to) };
  if (q.model !== undefined) { where.push('model = {model:String}'); params.model = q.model; }
  if (q.version !== undefined) { where.push('version = {version:String}'); params.version = q.version; }
  if (q.segment !== undefined) { where.push('segment = {segment:String}'); params.segment = q.segment; }
  if (q.reference !== undefined) { where.push('analysis_results.reference = {reference:String}'); params.reference = q.reference; }
  const rows = await store.query<StoredRow>(
    `SELECT window_start, window_end, analyzer, model, version, segment, subject, metric,
            argMax(value, computed_at) AS value, argMax(threshold, computed_at) AS threshold,
            argMax(p_value, computed_at) AS p_value, argMax(method, computed_at) AS method,
            argMax(status, computed_at) AS status, argMax(analysis_results.reference, computed_at) AS ref_text,
            argMax(details, computed_at) AS details
     FROM ${store.t('analysis_results')} AS analysis_results
     WHERE ${where.join(' AND ')}
     GROUP BY window_start, window_end, analyzer, model, version, segment, subject, metric
     ORDER BY model, version, segment, subject, metric`,
    params,
  );
  return rows.map((r) => ({
    analyzer: r.analyzer,
    window: { from: parseChTime(r.window_start), to: parseChTime(r.window_end) },
    model: r.model,
    version: r.version,
    segment: r.segment,
    subject: r.subject,
    metric: r.metric,
    value: Number(r.value),
    threshold: r.threshold === null ? null : Number(r.threshold),
    p_value: r.p_value === null ? null : Number(r.p_value),
    method: r.method,
    status: r.status,
    reference: r.ref_text,
    details: safeJson(r.details),
  }));
}

function safeJson(s: string): Record<string, unknown> {
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' ? v : { value: v };
  } catch {
    return { raw: s };
  }
}

/** A result row as JSON for the API (dates as ISO strings). */
export function resultToJson(r: ResultRow): Record<string, unknown> {
  const { window, ...rest } = r;
  return { window_start: window.from.toISOString(), window_end: window.to.toISOString(), ...rest };
}

/** The model/version pairs that have predictions in the window (from the latency rollups). */
export async function modelsInWindow(store: Store, w: Window, model?: string): Promise<{ model: string; version: string }[]> {
  const src = rollupSource(store, 'latency', w);
  const rows = await store.query<{ model: string; version: string }>(
    `SELECT DISTINCT model, version FROM ${src.sql}
     WHERE 1 ${model !== undefined ? 'AND model = {model:String}' : ''}
     ORDER BY model, version`,
    { ...src.params, model },
  );
  return rows;
}
