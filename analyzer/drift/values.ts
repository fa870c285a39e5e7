/** Raw values of one column, read in bounded amounts for exact tests and exact value counts. */
import type { Store } from '../../storage/client.ts';
import { ident } from '../../storage/identifiers.ts';
import { sortedFinite } from '../stats/index.ts';
import { fileParams, fileTable, predictionColumn, PREDICTION_SUBJECT, sourceWhere, type Source } from './source.ts';

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
  let row: { n: number | string; vs: number[] } | undefined;
  if (src.kind === 'file') {
    const name = column === PREDICTION_SUBJECT ? await predictionColumn(store, src.file) : ident(column);
    [row] = await store.query<{ n: number; vs: number[] }>(
      `SELECT ${agg} FROM (SELECT toFloat64(\`${name}\`) AS v FROM ${fileTable(src.file)} WHERE \`${name}\` IS NOT NULL)`,
      fileParams(src.file),
    );
  } else {
    const { where, params } = sourceWhere({ ...src, kind: 'raw' } as Extract<Source, { kind: 'raw' }>, 'ts');
    const expr = column === PREDICTION_SUBJECT ? 'assumeNotNull(prediction_value)' : 'features_num[{col:String}]';
    const cond = column === PREDICTION_SUBJECT ? 'prediction_value IS NOT NULL' : 'mapContains(features_num, {col:String})';
    [row] = await store.query<{ n: number; vs: number[] }>(
      `SELECT ${agg} FROM (SELECT ${expr} AS v FROM ${store.t('predictions')} WHERE ${where} AND ${cond})`,
      { ...params, col: column },
    );
  }
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
  const agg = (v: string, from: string) =>
    `SELECT toString(v) AS k, count() AS c, count() OVER () AS d FROM (${v}${from}) GROUP BY v ORDER BY c DESC, v LIMIT ${lim}`;
  let rows: { k: string; c: number | string; d: number | string }[];
  if (src.kind === 'file') {
    const name = column === PREDICTION_SUBJECT ? await predictionColumn(store, src.file) : ident(column);
    rows = await store.query(agg(`SELECT toFloat64(\`${name}\`) AS v`, ` FROM ${fileTable(src.file)} WHERE \`${name}\` IS NOT NULL`), fileParams(src.file));
  } else {
    const { where, params } = sourceWhere({ ...src, kind: 'raw' } as Extract<Source, { kind: 'raw' }>, 'ts');
    const expr = column === PREDICTION_SUBJECT ? 'assumeNotNull(prediction_value)' : 'features_num[{col:String}]';
    const cond = column === PREDICTION_SUBJECT ? 'prediction_value IS NOT NULL' : 'mapContains(features_num, {col:String})';
    rows = await store.query(agg(`SELECT ${expr} AS v`, ` FROM ${store.t('predictions')} WHERE ${where} AND ${cond}`), { ...params, col: column });
  }
  const counts = new Map(rows.map((r) => [r.k, Number(r.c)]));
  return { counts, distinct: rows.length ? Number(rows[0].d) : 0 };
}
