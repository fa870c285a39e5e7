/**
 * Drift profiles: everything a comparison needs about one side, aggregated inside ClickHouse from
 * the per-minute rollups, the raw rows or a reference file, in a few kilobytes per column.
 */
import type { Store } from '../../storage/client.ts';
import { loadedProfile } from './file-profile.ts';
import { LEVELS_SQL } from './sketch.ts';
import {
  addCategories, numericColumn, MAX_CATEGORIES, PREDICTION_SUBJECT, rollupRead, sourceWhere,
  type CatRow, type NumRow, type Profile, type ProfileOptions, type Source,
} from './source.ts';

export * from './source.ts';
export * from './values.ts';

function filterProfile(p: Profile, opts: ProfileOptions): Profile {
  const keep = (name: string) => !opts.columns || opts.columns.has(name) || name === PREDICTION_SUBJECT;
  for (const k of [...p.numeric.keys()]) if (!keep(k)) p.numeric.delete(k);
  for (const k of [...p.categorical.keys()]) if (!keep(k)) p.categorical.delete(k);
  // A numeric column the caller declares categorical is read as categories of its text form.
  return p;
}

/** Reads a profile from the rollups (numeric, categorical, nulls; minute, hour and day levels) plus the prediction columns. */
async function rollupProfile(store: Store, src: Extract<Source, { kind: 'rollup' }>, opts: ProfileOptions): Promise<Profile> {
  const read = (signal: Parameters<typeof rollupRead>[2]) => rollupRead(store, src, signal);
  const num = read('feature_num');
  const cat = read('feature_cat');
  const nul = read('feature_null');
  const lat = read('latency');
  const [numRows, catRows, nulls, total] = await Promise.all([
    store.query<NumRow>(
      `SELECT feature, sum(count) AS n, sum(sum) / n AS mean, sqrt(greatest(sum(sum_sq) / n - mean * mean, 0)) AS sd,
              min(min) AS mn, max(max) AS mx, quantilesTDigestMerge(${LEVELS_SQL})(digest) AS q
       FROM ${num.from} WHERE ${num.where} GROUP BY feature HAVING n > 0`,
      num.params,
    ),
    store.query<CatRow>(
      `SELECT feature, category, sum(count) AS c FROM ${cat.from} WHERE ${cat.where}
       GROUP BY feature, category ORDER BY feature, c DESC, category LIMIT ${MAX_CATEGORIES} BY feature`,
      cat.params,
    ),
    store.query<{ feature: string; nulls: string }>(`SELECT feature, sum(nulls) AS nulls FROM ${nul.from} WHERE ${nul.where} GROUP BY feature`, nul.params),
    store.query<{ n: string }>(`SELECT sum(predictions) AS n FROM ${lat.from} WHERE ${lat.where}`, lat.params),
  ]);
  const p = assemble(Number(total[0]?.n ?? 0), numRows, catRows, nulls, opts);
  if (opts.prediction !== false) await addPrediction(store, { ...src, kind: 'raw' }, p);
  return filterProfile(p, opts);
}

function assemble(rows: number, num: NumRow[], cat: CatRow[], nulls: { feature: string; nulls: string }[], opts: ProfileOptions): Profile {
  const nullMap = new Map(nulls.map((r) => [r.feature, Number(r.nulls)]));
  const p: Profile = { rows, numeric: new Map(), categorical: new Map(), skipped: [] };
  for (const r of num) {
    if (opts.categorical?.has(r.feature)) continue;
    p.numeric.set(r.feature, numericColumn(r, nullMap.get(r.feature) ?? 0));
  }
  addCategories(p.categorical, cat);
  for (const [f, c] of p.categorical) c.nulls = nullMap.get(f) ?? 0;
  // A feature that is null in every row of the window still gets its null rate.
  for (const [f, n] of nullMap) {
    if (!p.numeric.has(f) && !p.categorical.has(f)) p.categorical.set(f, { counts: new Map(), n: 0, nulls: n });
  }
  return p;
}

/**
 * Above twice this many rows, a raw window's numeric columns are read from a deterministic 1-in-k
 * sample of at least this many rows (quantile sketch, mean, std, min, max, and the value count as
 * sampled count x k); the row count, null counts and category counts still cover every row
 * (docs/drift.md, "Raw windows").
 */
export const SKETCH_SAMPLE_ROWS = 500_000;
/** A feature with fewer sampled values than this share of the sampled rows is read in full instead. */
const MIN_SAMPLED_SHARE = 0.5;

/** 1-in-k row stride for a window of `rows` rows (1 = every row). */
export function sketchStride(rows: number, target = SKETCH_SAMPLE_ROWS): number {
  return target > 0 ? Math.max(1, Math.floor(rows / target)) : 1;
}

/**
 * SQL for "this row is in the sample": a hash of its millisecond, so a rerun picks the same rows.
 * Rows of the same millisecond are kept or skipped together (cheaper than hashing the id string).
 */
function keepExpr(stride: number): string {
  return stride <= 1 ? '1' : `intHash64(toUnixTimestamp64Milli(ts)) % ${Math.floor(stride)} = 0`;
}

/** A numeric row as the raw readers select it: `n` counts the values read (sampled or not). */
type RawNumRow = NumRow & { n: number | string };

/**
 * Numeric rows of a raw window from its sampled read: each value count scaled by the stride, except
 * for features too rare for the sample (fewer than `minSampled` sampled values), which are read
 * again in full so that their figures are exact. Returns the features whose counts are estimates.
 */
export async function scaleSampled(
  sampled: RawNumRow[], stride: number, minSampled: number, readFull: (features: string[]) => Promise<RawNumRow[]>,
): Promise<{ rows: NumRow[]; estimated: string[] }> {
  if (stride <= 1) return { rows: sampled, estimated: [] };
  const thin = sampled.filter((r) => Number(r.n) < minSampled).map((r) => r.feature);
  const full = new Map((thin.length > 0 ? await readFull(thin) : []).map((r) => [r.feature, r]));
  const estimated: string[] = [];
  const rows = sampled.map((r) => {
    const f = full.get(r.feature);
    if (f) return f;
    estimated.push(r.feature);
    return { ...r, n: Math.round(Number(r.n) * stride) };
  });
  return { rows, estimated };
}

/**
 * Reads a profile straight from the raw rows (segments need it; the benchmark compares it). The
 * flattened feature map is grouped by key in one pass, with no per-column map lookups. The t-digest
 * over every value of a large window is what costs, so large windows read a fixed-size row sample.
 */
async function rawProfile(store: Store, src: Extract<Source, { kind: 'raw' }>, opts: ProfileOptions): Promise<Profile> {
  const { where, params } = sourceWhere(src);
  const t = store.t('predictions');
  const [total] = await store.query<{ n: string }>(`SELECT count() AS n FROM ${t} WHERE ${where}`, params);
  const rows = Number(total?.n ?? 0);
  const stride = sketchStride(rows, opts.sketchSampleRows);
  const distribution = (cond: string, extra: Record<string, unknown> = {}) => store.query<RawNumRow>(
    `SELECT feature, count() AS n, avg(v) AS mean, stddevPop(v) AS sd, min(v) AS mn, max(v) AS mx, quantilesTDigest(${LEVELS_SQL})(v) AS q
     FROM ${t} ARRAY JOIN features_num.keys AS feature, features_num.values AS v
     WHERE ${where} AND ${cond} GROUP BY feature`,
    { ...params, ...extra },
  );
  const [sampled, cat, nulls] = await Promise.all([
    distribution(keepExpr(stride)),
    store.query<CatRow>(
      `SELECT feature, category, count() AS c
       FROM ${t} ARRAY JOIN features_cat.keys AS feature, features_cat.values AS category
       WHERE ${where} GROUP BY feature, category ORDER BY feature, c DESC, category LIMIT ${MAX_CATEGORIES} BY feature`,
      params,
    ),
    store.query<{ feature: string; nulls: string }>(
      `SELECT feature, count() AS nulls FROM ${t} ARRAY JOIN features_null AS feature WHERE ${where} GROUP BY feature`,
      params,
    ),
  ]);
  const num = await scaleSampled(sampled, stride, (rows / stride) * MIN_SAMPLED_SHARE, (thin) => distribution('has({thin:Array(String)}, feature)', { thin }));
  const p = assemble(rows, num.rows, cat, nulls, opts);
  if (stride > 1) p.rowSample = { stride, estimated: num.estimated };
  if (opts.prediction !== false) await addPrediction(store, src, p, stride);
  return filterProfile(p, opts);
}

/** Adds the prediction subject: prediction_value as numeric, else prediction_label as categorical. */
async function addPrediction(store: Store, src: Extract<Source, { kind: 'raw' }>, p: Profile, stride = 1): Promise<void> {
  const { where, params } = sourceWhere(src);
  const t = store.t('predictions');
  const digest = (keep: string) => `quantilesTDigestIf(${LEVELS_SQL})(assumeNotNull(prediction_value), prediction_value IS NOT NULL AND ${keep})`;
  const [num] = await store.query<NumRow & { total: string; ns: string }>(
    `SELECT count() AS total, countIf(prediction_value IS NOT NULL) AS n,
            avgIf(assumeNotNull(prediction_value), prediction_value IS NOT NULL) AS mean,
            stddevPopIf(assumeNotNull(prediction_value), prediction_value IS NOT NULL) AS sd,
            minIf(assumeNotNull(prediction_value), prediction_value IS NOT NULL) AS mn,
            maxIf(assumeNotNull(prediction_value), prediction_value IS NOT NULL) AS mx,
            countIf(prediction_value IS NOT NULL AND ${keepExpr(stride)}) AS ns, ${digest(keepExpr(stride))} AS q
     FROM ${t} WHERE ${where}`,
    params,
  );
  // Predictions too rare for the sample get a digest of all their values, as thin features do.
  if (num && Number(num.ns) < Math.min(Number(num.n), (Number(num.total) / stride) * MIN_SAMPLED_SHARE)) {
    const [all] = await store.query<{ q: number[] }>(`SELECT ${digest('1')} AS q FROM ${t} WHERE ${where}`, params);
    num.q = all.q;
  }
  const total = Number(num?.total ?? 0);
  if (num && Number(num.n) > 0) {
    p.numeric.set(PREDICTION_SUBJECT, numericColumn({ ...num, feature: PREDICTION_SUBJECT }, total - Number(num.n)));
    return;
  }
  const cats = await store.query<CatRow>(
    `SELECT ${"'" + PREDICTION_SUBJECT + "'"} AS feature, assumeNotNull(prediction_label) AS category, count() AS c
     FROM ${t} WHERE ${where} AND prediction_label IS NOT NULL
     GROUP BY category ORDER BY c DESC, category LIMIT ${MAX_CATEGORIES}`,
    params,
  );
  if (cats.length === 0) return;
  addCategories(p.categorical, cats);
  const col = p.categorical.get(PREDICTION_SUBJECT)!;
  col.nulls = total - col.n;
}

/** Reads the profile of one side of a drift comparison. */
export async function readProfile(store: Store, src: Source, opts: ProfileOptions = {}): Promise<Profile> {
  if (src.kind === 'rollup') return rollupProfile(store, src, opts);
  if (src.kind === 'raw') return rawProfile(store, src, opts);
  if (src.kind === 'loaded') return loadedProfile(store, src, opts);
  throw new TypeError('file sources are loaded (prepareFiles) before they are profiled');
}

