import { MwError } from '../../core/errors.ts';
import type { Store, Params } from '../../storage/client.ts';
import { ident } from '../../storage/identifiers.ts';
import { windowParams, type Window } from '../window.ts';
import type { FileSource } from './reference.ts';
import { LEVELS_SQL, type QuantileSummary } from './sketch.ts';

/** The subject name under which the model's own output is compared. */
export const PREDICTION_SUBJECT = '__prediction__';

/** At most this many categories per column are read; the rest are summed into OTHER_CATEGORY. */
export const MAX_CATEGORIES = 10_000;
/** Bucket for categories beyond MAX_CATEGORIES. */
export const OTHER_CATEGORY = '__other__';

/** A segment: rows whose categorical feature `feature` equals `value`. */
export interface Segment {
  feature: string;
  value: string;
}

/** Where a distribution is read from. Raw and rollup sources are one model version over a window. */
export type Source =
  | { kind: 'rollup'; model: string; version: string; window: Window }
  | { kind: 'raw'; model: string; version: string; window: Window; segment?: Segment }
  | { kind: 'file'; file: FileSource };

/** A numeric column: its quantile summary, moments and null count. */
export interface NumericColumn {
  summary: QuantileSummary;
  mean: number;
  std: number;
  nulls: number;
}

/** A categorical column: counts per category and null count. */
export interface CategoricalColumn {
  counts: Map<string, number>;
  n: number;
  nulls: number;
}

/** Everything drift needs about one side, in a few kilobytes per column. */
export interface Profile {
  rows: number;
  numeric: Map<string, NumericColumn>;
  categorical: Map<string, CategoricalColumn>;
  /** Columns read but not usable (unsupported type or name), with the reason. */
  skipped: { column: string; reason: string }[];
}

/** What to read: the prediction subject too, columns forced categorical, a column filter. */
export interface ProfileOptions {
  prediction?: boolean;
  categorical?: ReadonlySet<string>;
  columns?: ReadonlySet<string>;
  /** Files: keep every column under its own name (no prediction subject). */
  literal?: boolean;
}

interface NumRow { feature: string; n: string | number; mean: number; sd: number; mn: number; mx: number; q: number[] }
interface CatRow { feature: string; category: string; c: string | number }

function sourceWhere(src: Exclude<Source, { kind: 'file' }>, ts: 'ts' | 'minute'): { where: string; params: Params } {
  const wp = windowParams(src.window);
  const params: Params = { model: src.model, version: src.version, ...wp };
  const time = ts === 'ts'
    ? "ts >= {from:DateTime64(3,'UTC')} AND ts < {to:DateTime64(3,'UTC')}"
    : "minute >= {fromMin:DateTime('UTC')} AND minute < {toMin:DateTime('UTC')}";
  let where = `model = {model:String} AND version = {version:String} AND ${time}`;
  if (src.kind === 'raw' && src.segment) {
    where += ' AND features_cat[{segFeature:String}] = {segValue:String}';
    params.segFeature = src.segment.feature;
    params.segValue = src.segment.value;
  }
  return { where, params };
}

function numericColumn(r: NumRow, nulls: number): NumericColumn {
  const n = Number(r.n);
  return { summary: { n, min: Number(r.mn), max: Number(r.mx), q: r.q.map(Number) }, mean: Number(r.mean), std: Math.max(0, Number(r.sd)), nulls };
}

function addCategories(target: Map<string, CategoricalColumn>, rows: CatRow[]): void {
  for (const r of rows) {
    let col = target.get(r.feature);
    if (!col) target.set(r.feature, (col = { counts: new Map(), n: 0, nulls: 0 }));
    const c = Number(r.c);
    col.counts.set(r.category, (col.counts.get(r.category) ?? 0) + c);
    col.n += c;
  }
}

function filterProfile(p: Profile, opts: ProfileOptions): Profile {
  const keep = (name: string) => !opts.columns || opts.columns.has(name) || name === PREDICTION_SUBJECT;
  for (const k of [...p.numeric.keys()]) if (!keep(k)) p.numeric.delete(k);
  for (const k of [...p.categorical.keys()]) if (!keep(k)) p.categorical.delete(k);
  // A numeric column the caller declares categorical is read as categories of its text form.
  return p;
}

/** Reads a profile from the per-minute rollups (numeric, categorical, nulls) plus the prediction columns. */
async function rollupProfile(store: Store, src: Extract<Source, { kind: 'rollup' }>, opts: ProfileOptions): Promise<Profile> {
  const { where, params } = sourceWhere(src, 'minute');
  const [num, cat, nulls, total] = await Promise.all([
    store.query<NumRow>(
      `SELECT feature, sum(count) AS n, sum(sum) / n AS mean, sqrt(greatest(sum(sum_sq) / n - mean * mean, 0)) AS sd,
              min(min) AS mn, max(max) AS mx, quantilesTDigestMerge(${LEVELS_SQL})(digest) AS q
       FROM ${store.t('feature_num_1m')} WHERE ${where} GROUP BY feature HAVING n > 0`,
      params,
    ),
    store.query<CatRow>(
      `SELECT feature, category, sum(count) AS c FROM ${store.t('feature_cat_1m')} WHERE ${where}
       GROUP BY feature, category ORDER BY feature, c DESC, category LIMIT ${MAX_CATEGORIES} BY feature`,
      params,
    ),
    store.query<{ feature: string; nulls: string }>(
      `SELECT feature, sum(nulls) AS nulls FROM ${store.t('feature_null_1m')} WHERE ${where} GROUP BY feature`,
      params,
    ),
    store.query<{ n: string }>(`SELECT sum(predictions) AS n FROM ${store.t('latency_1m')} WHERE ${where}`, params),
  ]);
  const p = assemble(Number(total[0]?.n ?? 0), num, cat, nulls, opts);
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

/** Reads a profile straight from the raw rows (segments need it; the benchmark compares it). */
async function rawProfile(store: Store, src: Extract<Source, { kind: 'raw' }>, opts: ProfileOptions): Promise<Profile> {
  const { where, params } = sourceWhere(src, 'ts');
  const t = store.t('predictions');
  const [num, cat, nulls, total] = await Promise.all([
    store.query<NumRow>(
      `SELECT feature, count() AS n, avg(v) AS mean, stddevPop(v) AS sd, min(v) AS mn, max(v) AS mx,
              quantilesTDigest(${LEVELS_SQL})(v) AS q
       FROM ${t} ARRAY JOIN mapKeys(features_num) AS feature, mapValues(features_num) AS v
       WHERE ${where} GROUP BY feature`,
      params,
    ),
    store.query<CatRow>(
      `SELECT feature, category, count() AS c
       FROM ${t} ARRAY JOIN mapKeys(features_cat) AS feature, mapValues(features_cat) AS category
       WHERE ${where} GROUP BY feature, category ORDER BY feature, c DESC, category LIMIT ${MAX_CATEGORIES} BY feature`,
      params,
    ),
    store.query<{ feature: string; nulls: string }>(
      `SELECT feature, count() AS nulls FROM ${t} ARRAY JOIN features_null AS feature WHERE ${where} GROUP BY feature`,
      params,
    ),
    store.query<{ n: string }>(`SELECT count() AS n FROM ${t} WHERE ${where}`, params),
  ]);
  const p = assemble(Number(total[0]?.n ?? 0), num, cat, nulls, opts);
  if (opts.prediction !== false) await addPrediction(store, src, p);
  return filterProfile(p, opts);
}

/** Adds the prediction subject: prediction_value as numeric, else prediction_label as categorical. */
async function addPrediction(store: Store, src: Extract<Source, { kind: 'raw' }>, p: Profile): Promise<void> {
  const { where, params } = sourceWhere(src, 'ts');
  const t = store.t('predictions');
  const [num] = await store.query<NumRow & { total: string }>(
    `SELECT count() AS total, countIf(prediction_value IS NOT NULL) AS n,
            avgIf(assumeNotNull(prediction_value), prediction_value IS NOT NULL) AS mean,
            stddevPopIf(assumeNotNull(prediction_value), prediction_value IS NOT NULL) AS sd,
            minIf(assumeNotNull(prediction_value), prediction_value IS NOT NULL) AS mn,
            maxIf(assumeNotNull(prediction_value), prediction_value IS NOT NULL) AS mx,
            quantilesTDigestIf(${LEVELS_SQL})(assumeNotNull(prediction_value), prediction_value IS NOT NULL) AS q
     FROM ${t} WHERE ${where}`,
    params,
  );
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

const NUMERIC_TYPE = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal.*)\)?$/;
const TEXT_TYPE = /^(Nullable\()?(LowCardinality\()?(Nullable\()?(String|FixedString\(\d+\)|Bool|Enum.*|UUID)\)*$/;
const PREDICTION_COLUMNS = new Set(['prediction_value', 'prediction_label', 'prediction']);

function fileParams(f: FileSource): Params {
  return { path: f.path };
}

function fileTable(f: FileSource): string {
  // The path is a bound parameter; the format comes from a fixed whitelist.
  return `file({path:String}, '${f.format}')`;
}

async function describeFile(store: Store, f: FileSource): Promise<{ name: string; type: string }[]> {
  try {
    return await store.query<{ name: string; type: string }>(`DESCRIBE TABLE ${fileTable(f)}`, fileParams(f));
  } catch (err) {
    throw new MwError('MW_ERR_REFERENCE_UNREADABLE', `${f.path}: ${(err as Error).message.split('\n')[0]}`, { path: f.path }, { cause: err });
  }
}

/** Reads a profile from a CSV, Parquet or NDJSON file, aggregated by ClickHouse itself. */
async function fileProfile(store: Store, f: FileSource, opts: ProfileOptions): Promise<Profile> {
  const cols = await describeFile(store, f);
  const p: Profile = { rows: 0, numeric: new Map(), categorical: new Map(), skipped: [] };
  const numeric: { name: string; subject: string }[] = [];
  const text: { name: string; subject: string }[] = [];
  for (const c of cols) {
    const subject = !opts.literal && PREDICTION_COLUMNS.has(c.name) ? PREDICTION_SUBJECT : c.name;
    if (opts.columns && !opts.columns.has(c.name) && subject !== PREDICTION_SUBJECT) continue;
    if (opts.prediction === false && subject === PREDICTION_SUBJECT) continue;
    try {
      ident(c.name);
    } catch {
      p.skipped.push({ column: c.name, reason: 'column name is not a plain identifier' });
      continue;
    }
    if (NUMERIC_TYPE.test(c.type) && !opts.categorical?.has(c.name)) numeric.push({ name: c.name, subject });
    else if (TEXT_TYPE.test(c.type) || NUMERIC_TYPE.test(c.type)) text.push({ name: c.name, subject });
    else p.skipped.push({ column: c.name, reason: `unsupported type ${c.type}` });
  }
  const params = fileParams(f);
  const exprs = ['count() AS __rows'];
  numeric.forEach((c, i) => {
    const v = `toFloat64(\`${c.name}\`)`;
    exprs.push(
      `count(\`${c.name}\`) AS __n${i}`, `avg(${v}) AS __mean${i}`, `stddevPop(${v}) AS __sd${i}`, `min(${v}) AS __mn${i}`, `max(${v}) AS __mx${i}`,
      `quantilesTDigest(${LEVELS_SQL})(${v}) AS __q${i}`,
    );
  });
  text.forEach((c, i) => exprs.push(`count(\`${c.name}\`) AS __tn${i}`));
  let row: Record<string, any>;
  try {
    [row] = await store.query<Record<string, any>>(`SELECT ${exprs.join(', ')} FROM ${fileTable(f)}`, params);
  } catch (err) {
    throw new MwError('MW_ERR_REFERENCE_UNREADABLE', `${f.path}: ${(err as Error).message.split('\n')[0]}`, { path: f.path }, { cause: err });
  }
  p.rows = Number(row.__rows);
  numeric.forEach((c, i) => {
    const n = Number(row[`__n${i}`]);
    if (n === 0) {
      p.categorical.set(c.subject, { counts: new Map(), n: 0, nulls: p.rows });
      return;
    }
    p.numeric.set(c.subject, numericColumn({ feature: c.subject, n, mean: row[`__mean${i}`], sd: row[`__sd${i}`], mn: row[`__mn${i}`], mx: row[`__mx${i}`], q: row[`__q${i}`] }, p.rows - n));
  });
  for (const [i, c] of text.entries()) {
    const rows = await store.query<{ cat: string; cnt: string }>(
      `SELECT toString(\`${c.name}\`) AS __cat, count() AS __cnt
       FROM ${fileTable(f)} WHERE \`${c.name}\` IS NOT NULL GROUP BY __cat ORDER BY __cnt DESC, __cat LIMIT ${MAX_CATEGORIES}`,
      params,
    ).then((rs) => rs.map((r: any) => ({ cat: r.__cat, cnt: r.__cnt })));
    const col: CategoricalColumn = { counts: new Map(), n: 0, nulls: p.rows - Number(row[`__tn${i}`]) };
    for (const r of rows) {
      col.counts.set(r.cat, Number(r.cnt));
      col.n += Number(r.cnt);
    }
    p.categorical.set(c.subject, col);
  }
  return p;
}

/** Reads the profile of one side of a drift comparison. */
export async function readProfile(store: Store, src: Source, opts: ProfileOptions = {}): Promise<Profile> {
  if (src.kind === 'rollup') return rollupProfile(store, src, opts);
  if (src.kind === 'raw') return rawProfile(store, src, opts);
  return fileProfile(store, src.file, opts);
}

/**
 * Fetches at most `limit` raw values of one numeric column, for exact small-sample tests.
 * Returns null when the column has more values than that: callers then use the sketch.
 */
export async function fetchNumericValues(store: Store, src: Source, column: string, limit: number): Promise<number[] | null> {
  let rows: { v: number }[];
  if (src.kind === 'file') {
    const name = column === PREDICTION_SUBJECT ? await predictionColumn(store, src.file) : ident(column);
    rows = await store.query<{ v: number }>(
      `SELECT toFloat64(\`${name}\`) AS v FROM ${fileTable(src.file)} WHERE \`${name}\` IS NOT NULL LIMIT {lim:UInt64}`,
      { ...fileParams(src.file), lim: limit + 1 },
    );
  } else {
    const { where, params } = sourceWhere({ ...src, kind: 'raw' } as Extract<Source, { kind: 'raw' }>, 'ts');
    const expr = column === PREDICTION_SUBJECT ? 'assumeNotNull(prediction_value)' : 'features_num[{col:String}]';
    const cond = column === PREDICTION_SUBJECT ? 'prediction_value IS NOT NULL' : 'mapContains(features_num, {col:String})';
    rows = await store.query<{ v: number }>(
      `SELECT ${expr} AS v FROM ${store.t('predictions')} WHERE ${where} AND ${cond} LIMIT {lim:UInt64}`,
      { ...params, col: column, lim: limit + 1 },
    );
  }
  if (rows.length > limit) return null;
  return rows.map((r) => Number(r.v));
}

async function predictionColumn(store: Store, f: FileSource): Promise<string> {
  const cols = await describeFile(store, f);
  const c = cols.find((x) => PREDICTION_COLUMNS.has(x.name));
  if (!c) throw new MwError('MW_ERR_REFERENCE_UNREADABLE', `${f.path}: no prediction column`);
  return c.name;
}
