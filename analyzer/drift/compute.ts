/**
 * A drift comparison of two sides (rollup windows, raw windows or files): profiles aggregated
 * inside ClickHouse, one verdict per shared column, null rates, schema changes and the dataset share.
 */
import type { Store } from '../../storage/client.ts';
import { datasetDrift, type ColumnResult } from '../stats/index.ts';
import { prepareFiles } from './file-profile.ts';
import { columnRequest } from './methods.ts';
import { compareNumeric, EXACT_LIMIT, fetchExact, type NumericSide } from './numeric.ts';
import { PREDICTION_SUBJECT, readProfile, type CategoricalColumn, type NumericColumn, type Profile, type ProfileOptions, type Source } from './profile.ts';
import { categoricalVerdict, type ColumnDrift, type DriftOptions, type DriftReport } from './types.ts';

export { EXACT_FETCH_LIMIT, EXACT_LIMIT } from './numeric.ts';
export type { ColumnDrift, DriftOptions, DriftReport, NullRate } from './types.ts';

interface Side {
  src: Source;
  profile: Profile;
}

function compareCategorical(column: string, r: CategoricalColumn, c: CategoricalColumn, opts: DriftOptions): ColumnDrift {
  const req = columnRequest(opts, column, 'categorical');
  const base = { column, type: 'categorical' as const, reference_n: r.n, current_n: c.n, path: 'exact' as const };
  const v = categoricalVerdict(column, req.method, req.threshold, r.counts, c.counts, req.global);
  if (r.n === 0 || c.n === 0) return { ...base, ...v, statistic: 0, p_value: null, drift: false, status: 'nodata' };
  return { ...base, ...v };
}

/**
 * Reads both sides (aggregated inside ClickHouse) and compares every column they share. File sides
 * are scanned and typed together and loaded once; their other columns are listed as skipped.
 */
export async function compareSources(store: Store, refSrc: Source, curSrc: Source, opts: DriftOptions = {}, profileOpts: ProfileOptions = {}): Promise<DriftReport> {
  const sides = await prepareFiles(store, refSrc, curSrc, profileOpts);
  try {
    // Two files within the exact limit are compared on their values alone: no sketches to build.
    const rowsOf = (s: Source) => (s.kind === 'loaded' ? s.file.rows : Infinity);
    const sketches = Math.max(rowsOf(sides.ref), rowsOf(sides.cur)) > (opts.exactLimit ?? EXACT_LIMIT);
    const [rp, cp] = await Promise.all([readProfile(store, sides.ref, { ...profileOpts, sketches }), readProfile(store, sides.cur, { ...profileOpts, sketches })]);
    const report = await compareProfiles(store, { src: sides.ref, profile: rp }, { src: sides.cur, profile: cp }, opts);
    for (const col of report.columns) {
      const note = sides.notes.get(col.column);
      if (note) col.note = col.note ? `${note}; ${col.note}` : note;
    }
    report.skipped.unshift(...sides.skipped);
    return report;
  } finally {
    await sides.release();
  }
}

const EMPTY_NUMERIC: NumericColumn = { summary: { n: 0, min: NaN, max: NaN, q: [] }, mean: NaN, std: NaN, nulls: 0 };
const EMPTY_CATEGORICAL: CategoricalColumn = { counts: new Map(), n: 0, nulls: 0 };

async function compareProfiles(store: Store, ref: Side, cur: Side, opts: DriftOptions): Promise<DriftReport> {
  const rp = ref.profile;
  const cp = cur.profile;
  const typeOf = (p: Profile, k: string) => (p.numeric.has(k) ? 'numeric' : p.categorical.has(k) ? 'categorical' : undefined);
  const names = [...new Set([...rp.numeric.keys(), ...rp.categorical.keys(), ...cp.numeric.keys(), ...cp.categorical.keys()])].sort();
  const report: DriftReport = {
    columns: [], nullRates: [], schema: { added: [], removed: [], typeChanged: [] }, skipped: [...rp.skipped, ...cp.skipped],
    dataset: { columns: 0, drifted: 0, share: 0, drift: false, threshold: opts.driftShare ?? 0.5 },
    referenceRows: rp.rows, currentRows: cp.rows,
  };
  const nullThreshold = opts.nullRateThreshold ?? 0.05;
  // The next column's exact values are read while this one is computed (ClickHouse sorts on its own
  // threads while Node runs the statistics); at most two columns' values are held at a time.
  const sidesOf = (name: string): [NumericSide, NumericSide] | undefined => {
    const r = rp.numeric.get(name);
    const c = cp.numeric.get(name);
    return r && c ? [{ src: ref.src, col: r }, { src: cur.src, col: c }] : undefined;
  };
  const prefetch = (name: string | undefined) => {
    const s = name === undefined ? undefined : sidesOf(name);
    if (!s) return undefined;
    const p = fetchExact(store, name!, s[0], s[1], opts);
    p?.catch(() => {}); // an error surfaces when the column itself is compared
    return p;
  };
  let next = prefetch(names[0]);
  for (const [i, name] of names.entries()) {
    const current = next;
    next = prefetch(names[i + 1]);
    const tr = typeOf(rp, name);
    const tc = typeOf(cp, name);
    if (!tr) { report.schema.added.push(name); report.skipped.push({ column: name, reason: 'only in current' }); continue; }
    if (!tc) { report.schema.removed.push(name); report.skipped.push({ column: name, reason: 'only in reference' }); continue; }
    const rNulls = (rp.numeric.get(name) ?? rp.categorical.get(name))!.nulls;
    const cNulls = (cp.numeric.get(name) ?? cp.categorical.get(name))!.nulls;
    const rRate = rp.rows > 0 ? rNulls / rp.rows : 0;
    const cRate = cp.rows > 0 ? cNulls / cp.rows : 0;
    report.nullRates.push({ column: name, reference: rRate, current: cRate, threshold: nullThreshold, drift: cRate - rRate > nullThreshold });
    // A column entirely null on one side shows up as an empty categorical column: compare by the other side's type.
    const rEmpty = tr === 'categorical' && rp.categorical.get(name)!.n === 0;
    const cEmpty = tc === 'categorical' && cp.categorical.get(name)!.n === 0;
    const type = rEmpty ? tc : cEmpty ? tr : tr === tc ? tr : undefined;
    if (!type) {
      report.schema.typeChanged.push(name);
      report.skipped.push({ column: name, reason: `types differ: ${tr} vs ${tc}` });
      continue;
    }
    const col = type === 'numeric'
      ? await compareNumeric(store, name, { src: ref.src, col: rp.numeric.get(name) ?? EMPTY_NUMERIC }, { src: cur.src, col: cp.numeric.get(name) ?? EMPTY_NUMERIC }, opts, current)
      : compareCategorical(name, rp.categorical.get(name) ?? EMPTY_CATEGORICAL, cp.categorical.get(name) ?? EMPTY_CATEGORICAL, opts);
    // Raw windows read from a row sample say so, with the strides (those value counts are estimates).
    const rs = rp.rowSample?.estimated.includes(name) ? rp.rowSample.stride : 1;
    const cs = cp.rowSample?.estimated.includes(name) ? cp.rowSample.stride : 1;
    if (rs > 1 || cs > 1) col.details = { ...col.details, row_sample_stride: { reference: rs, current: cs } };
    col.null_rate = { reference: rRate, current: cRate };
    const rInf = rp.numeric.get(name)?.nonFinite ?? 0;
    const cInf = cp.numeric.get(name)?.nonFinite ?? 0;
    if (rInf > 0 || cInf > 0) col.non_finite = { reference: rInf, current: cInf };
    report.columns.push(col);
    opts.onProgress?.(i + 1, names.length);
  }
  // Dataset drift counts the features; the prediction is reported but is not a feature.
  const features = report.columns.filter((c) => c.column !== PREDICTION_SUBJECT && c.status !== 'nodata');
  const ds = datasetDrift(features as unknown as (ColumnResult & ColumnDrift)[], { share: report.dataset.threshold, correction: opts.correction ?? 'none' });
  // Corrections adjust p-values and verdicts of the feature columns; write them back in place.
  ds.columns.forEach((adj, k) => {
    const col = features[k];
    if (adj.p_value_raw === undefined) return;
    col.details = { ...col.details, p_value_raw: adj.p_value_raw, correction: opts.correction };
    col.p_value = adj.p_value;
    col.drift = adj.drift;
    col.status = adj.drift ? 'drift' : 'ok';
  });
  report.dataset.columns = features.length;
  report.dataset.drifted = ds.drifted;
  report.dataset.share = ds.share;
  report.dataset.drift = ds.drift;
  return report;
}
