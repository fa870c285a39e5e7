/** Raw values of one column, read in bounded amounts for exact tests and exact value counts. */
import type { Params, Store } from '../../storage/client.ts';
import { MwError } from '../../core/errors.ts';
import { sortedFinite } from '../stats/index.ts';
import { PREDICTION_SUBJECT, sourceWhere, type Source } from './source.ts';

/**
 * The finite values of one numeric column as a subquery with one column `v`: from a loaded file's
 * table, or from the raw predictions of a window (rollup windows read their raw rows too).
 */
function valueQuery(store: Store, src: Source, column: string): { sql: string; params: Params } {
  if (src.kind === 'file') throw new TypeError('file sources are loaded before their values are read');
  if (src.kind === 'loaded') {
    const c = src.subjects.get(column);
    if (!c || c.kind !== 'numeric') throw new MwError('MW_ERR_DRIFT_METHOD', `${src.file.path}: no numeric column ${column}`, { column });
    return { sql: `SELECT assumeNotNull(${c.expr}) AS v FROM ${src.file.table} WHERE ${c.expr} IS NOT NULL AND isFinite(v)`, params: {} };
  }
  const { where, params } = sourceWhere({ ...src, kind: 'raw' } as Extract<Source, { kind: 'raw' }>);
  const expr = column === PREDICTION_SUBJECT ? 'assumeNotNull(prediction_value)' : 'features_num[{col:String}]';
  const cond = column === PREDICTION_SUBJECT ? 'prediction_value IS NOT NULL' : 'mapContains(features_num, {col:String})';
  return { sql: `SELECT ${expr} AS v FROM ${store.t('predictions')} WHERE ${where} AND ${cond} AND isFinite(v)`, params: { ...params, col: column } };
}

/**
 * Every finite value of one numeric column, sorted by ClickHouse and sent as RowBinary (8 bytes a
 * value, no JSON): the exact path for sides up to the exact limit.
 */
export async function fetchSortedValues(store: Store, src: Source, column: string): Promise<ValueSample> {
  const { sql, params } = valueQuery(store, src, column);
  const buf = await store.queryBinary(`SELECT v FROM (${sql}) ORDER BY v FORMAT RowBinary`, params);
  // Copy into an aligned array (the result buffer may start at any byte offset).
  const values = new Float64Array(buf.length / 8);
  new Uint8Array(values.buffer).set(buf);
  return { values, total: values.length, sampled: false };
}

/** Raw values of one column: all of them, or a uniform sample when there are more than the limit. */
export interface ValueSample {
  /** Sorted, finite values. */
  values: Float64Array;
  /** Non-null values on that side. */
  total: number;
  sampled: boolean;
}

// Fixed seed: the same window gives the same sample on every run.
const SAMPLE_SEED = 20240601;

/**
 * Reads the non-null values of one numeric column, at most `limit` of them: when the side has more,
 * ClickHouse draws a uniform sample of `limit` (reservoir sampling), so Node never holds more.
 */
export async function fetchNumericSample(store: Store, src: Source, column: string, limit: number): Promise<ValueSample> {
  const lim = Math.max(1, Math.floor(limit));
  const agg = `count() AS n, groupArraySample(${lim}, ${SAMPLE_SEED})(v) AS vs`;
  const { sql, params } = valueQuery(store, src, column);
  const [row] = await store.query<{ n: number; vs: number[] }>(`SELECT ${agg} FROM (${sql})`, params);
  const total = Number(row?.n ?? 0);
  return { values: sortedFinite(row?.vs ?? []), total, sampled: total > lim };
}


/** Exact counts of a numeric column's values, as categories (value as text); `distinct` counts them all. */
export interface ValueCounts {
  counts: Map<string, number>;
  /** Distinct non-null values on that side (may exceed counts.size when capped). */
  distinct: number;
}

/**
 * Counts the values of one numeric column inside ClickHouse, the `limit` most frequent ones (numeric
 * columns compared as categories, and the distinct-value check of the default rule).
 */
export async function fetchValueCounts(store: Store, src: Source, column: string, limit: number): Promise<ValueCounts> {
  const lim = Math.max(1, Math.floor(limit));
  // toString(Float64) prints integers without a decimal point, as String(number) does in JS.
  const agg = (sql: string) => `SELECT toString(v) AS k, count() AS c, count() OVER () AS d FROM (${sql}) GROUP BY v ORDER BY c DESC, v LIMIT ${lim}`;
  const { sql, params } = valueQuery(store, src, column);
  const rows = await store.query<{ k: string; c: number | string; d: number | string }>(agg(sql), params);
  const counts = new Map(rows.map((r) => [r.k, Number(r.c)]));
  return { counts, distinct: rows.length ? Number(rows[0].d) : 0 };
}
