import type { Store } from '../storage/client.ts';
import { rollupSource, type RollupSignal } from '../storage/levels.ts';
import type { ResultRow } from './results.ts';
import { windowParams, type Window } from './window.ts';
import { previousWindow } from './window.ts';

/** Data quality of one model version over a window, against a reference window. */
export interface QualityReport {
  model: string;
  version: string;
  predictions: number;
  nullRates: { feature: string; nulls: number; rate: number }[];
  typeViolations: string[];
  outOfRange: { feature: string; count: number; share: number; refMin: number; refMax: number }[];
  appeared: string[];
  disappeared: string[];
  unseenCategories: { feature: string; categories: string[]; count: number }[];
}

type Scope = { model: string; version: string };

/** Computes null rates, type violations, out-of-range counts, schema drift and unseen categories in ClickHouse. */
export async function computeQuality(store: Store, scope: Scope, w: Window, ref: Window = previousWindow(w)): Promise<QualityReport> {
  // Each rollup is read over the current window (prefix c) and the reference window (prefix r),
  // every stretch from the coarsest level that holds it whole (storage/levels.ts).
  const p: Record<string, unknown> = { model: scope.model, version: scope.version, ...windowParams(w) };
  const of = (signal: RollupSignal, prefix: 'c' | 'r') => {
    const src = rollupSource(store, signal, prefix === 'c' ? w : ref, { prefix });
    Object.assign(p, src.params);
    return `${src.sql} WHERE model = {model:String} AND version = {version:String}`;
  };
  const [tot] = await store.query<{ n: string }>(`SELECT sum(predictions) AS n FROM ${of('latency', 'c')}`, p);
  const predictions = Number(tot?.n ?? 0);
  const featuresOf = (prefix: 'c' | 'r') =>
    `SELECT DISTINCT feature FROM ${of('feature_num', prefix)}
     UNION DISTINCT SELECT DISTINCT feature FROM ${of('feature_cat', prefix)}
     UNION DISTINCT SELECT DISTINCT feature FROM ${of('feature_null', prefix)}`;
  const [nulls, types, cur, prev, unseen, ranges] = await Promise.all([
    store.query<{ feature: string; nulls: string }>(`SELECT feature, sum(nulls) AS nulls FROM ${of('feature_null', 'c')} GROUP BY feature ORDER BY feature`, p),
    store.query<{ feature: string }>(
      `SELECT DISTINCT feature FROM ${of('feature_num', 'c')}
       AND feature IN (SELECT feature FROM ${of('feature_cat', 'c')}) ORDER BY feature`, p),
    store.query<{ feature: string }>(featuresOf('c'), p),
    store.query<{ feature: string }>(featuresOf('r'), p),
    store.query<{ feature: string; cats: string[]; n: string }>(
      `SELECT feature, arraySlice(groupArray(category), 1, 100) AS cats, count() AS n FROM (
         SELECT DISTINCT feature, category FROM ${of('feature_cat', 'c')}
       ) AS c
       WHERE (feature, category) NOT IN (SELECT feature, category FROM ${of('feature_cat', 'r')})
         AND feature IN (SELECT feature FROM ${of('feature_cat', 'r')})
       GROUP BY feature ORDER BY feature`, p),
    store.query<{ feature: string; mn: number; mx: number }>(
      `SELECT feature, min(min) AS mn, max(max) AS mx FROM ${of('feature_num', 'r')} GROUP BY feature ORDER BY feature`, p),
  ]);
  // Out of range: the reference ranges go in as bound arrays; the raw rows are only counted in ClickHouse.
  let outOfRange: QualityReport['outOfRange'] = [];
  if (ranges.length > 0) {
    const names = ranges.map((r) => r.feature);
    const mins = ranges.map((r) => Number(r.mn));
    const maxs = ranges.map((r) => Number(r.mx));
    const oor = await store.query<{ feature: string; oor: string; n: string }>(
      `SELECT feature, countIf(v < transform(feature, {names:Array(String)}, {mins:Array(Float64)}, nan)
                            OR v > transform(feature, {names:Array(String)}, {maxs:Array(Float64)}, nan)) AS oor, count() AS n
       FROM ${store.t('predictions')} ARRAY JOIN mapKeys(features_num) AS feature, mapValues(features_num) AS v
       WHERE model = {model:String} AND version = {version:String}
         AND ts >= {from:DateTime64(3,'UTC')} AND ts < {to:DateTime64(3,'UTC')} AND has({names:Array(String)}, feature)
       GROUP BY feature ORDER BY feature`,
      { ...p, names, mins, maxs },
    );
    outOfRange = oor.map((r) => {
      const i = names.indexOf(r.feature);
      return { feature: r.feature, count: Number(r.oor), share: Number(r.n) > 0 ? Number(r.oor) / Number(r.n) : 0, refMin: mins[i], refMax: maxs[i] };
    });
  }
  return {
    ...scope, predictions,
    nullRates: nulls.map((r) => ({ feature: r.feature, nulls: Number(r.nulls), rate: predictions > 0 ? Number(r.nulls) / predictions : 0 })),
    typeViolations: types.map((r) => r.feature),
    outOfRange,
    ...schemaChanges(cur.map((r) => r.feature), prev.map((r) => r.feature)),
    unseenCategories: unseen.map((r) => ({ feature: r.feature, categories: r.cats, count: Number(r.n) })),
  };
}

/**
 * Features that appeared (in the window, not in the reference) or disappeared (the other way),
 * sorted. An empty side reports nothing: no traffic is not a schema change.
 */
export function schemaChanges(current: readonly string[], reference: readonly string[]): { appeared: string[]; disappeared: string[] } {
  const cur = new Set(current);
  const ref = new Set(reference);
  if (cur.size === 0 || ref.size === 0) return { appeared: [], disappeared: [] };
  return { appeared: [...cur].filter((f) => !ref.has(f)).sort(), disappeared: [...ref].filter((f) => !cur.has(f)).sort() };
}

/** Result rows of the quality job. */
export function qualityRows(w: Window, q: QualityReport, reference: string): ResultRow[] {
  const base = { analyzer: 'quality', window: w, model: q.model, version: q.version, segment: '', p_value: null, reference };
  const rows: ResultRow[] = [];
  for (const n of q.nullRates) rows.push({ ...base, subject: n.feature, metric: 'null_rate', value: n.rate, threshold: null, method: 'rate', status: 'ok', details: { nulls: n.nulls, predictions: q.predictions } });
  for (const f of q.typeViolations) rows.push({ ...base, subject: f, metric: 'type_violation', value: 1, threshold: 0, method: 'rule', status: 'warn', details: { reason: 'seen as numeric and as categorical' } });
  for (const o of q.outOfRange) rows.push({ ...base, subject: o.feature, metric: 'out_of_range', value: o.share, threshold: 0, method: 'range', status: o.count > 0 ? 'warn' : 'ok', details: { count: o.count, reference_min: o.refMin, reference_max: o.refMax } });
  for (const u of q.unseenCategories) rows.push({ ...base, subject: u.feature, metric: 'unseen_categories', value: u.count, threshold: 0, method: 'count', status: 'warn', details: { categories: u.categories } });
  rows.push({
    ...base, subject: '__schema__', metric: 'schema_changes', value: q.appeared.length + q.disappeared.length, threshold: 0, method: 'count',
    status: q.predictions === 0 ? 'nodata' : q.appeared.length + q.disappeared.length > 0 ? 'warn' : 'ok', details: { appeared: q.appeared, disappeared: q.disappeared },
  });
  return rows;
}

/** Runs the quality job for one model version. */
export async function runQuality(store: Store, scope: Scope, w: Window, ref: Window = previousWindow(w)): Promise<ResultRow[]> {
  return qualityRows(w, await computeQuality(store, scope, w, ref), `${ref.from.toISOString()}..${ref.to.toISOString()}`);
}
