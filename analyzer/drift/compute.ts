import type { Store } from '../../storage/client.ts';
import { cvm, ks as ksExact, kolmogorovSf } from '../stats/index.ts';
import { checkMethod, chisquareCounts, countDistance, isDrift, METHODS, ztestCounts } from './methods.ts';
import { fetchNumericValues, OTHER_CATEGORY, PREDICTION_SUBJECT, readProfile, type CategoricalColumn, type NumericColumn, type Profile, type ProfileOptions, type Source } from './profile.ts';
import {
  binCounts, binSample, distinctQuantiles, ksFromSummaries, ksSampleVsSummary, referenceCuts, summaryOfSample,
  wassersteinFromSummaries, type QuantileSummary,
} from './sketch.ts';

/** Samples at or below this size get the exact small-sample defaults (Evidently's rule). */
export const SMALL_SAMPLE = 1000;
/** The larger side of an exact test is fetched raw only up to this many values; beyond, its sketch is used. */
export const EXACT_FETCH_LIMIT = 100_000;

/** Per-column method and threshold choices; anything not given follows the defaults. */
export interface DriftOptions {
  method?: string;
  threshold?: number;
  methods?: Record<string, string>;
  thresholds?: Record<string, number>;
  /** Share of drifted columns at which the dataset drifts (default 0.5). */
  driftShare?: number;
  /** Absolute rise of the null rate that counts as drift (default 0.05). */
  nullRateThreshold?: number;
  /** Called after each column is compared (progress bars). */
  onProgress?: (done: number, total: number) => void;
}

/** The verdict for one column. */
export interface ColumnDrift {
  column: string;
  type: 'numeric' | 'categorical';
  method: string;
  statistic: number;
  p_value: number | null;
  threshold: number;
  drift: boolean;
  /** 'nodata' when one side has no values. */
  status: 'ok' | 'drift' | 'nodata';
  /** 'exact' (raw values), 'sketch' (quantile summaries / rollup counts) or 'mixed'. */
  path: 'exact' | 'sketch' | 'mixed';
  reference_n: number;
  current_n: number;
  /** Data for reports: reference and current shares over common bins or categories. */
  bins?: { labels: string[]; reference: number[]; current: number[] };
  unseen?: string[];
}

/** The null rate of a column on both sides. */
export interface NullRate {
  column: string;
  reference: number;
  current: number;
  drift: boolean;
  threshold: number;
}

/** Everything a drift comparison yields. */
export interface DriftReport {
  columns: ColumnDrift[];
  dataset: { columns: number; drifted: number; share: number; drift: boolean; threshold: number };
  nullRates: NullRate[];
  /** Columns present on one side only, or with different types. */
  schema: { added: string[]; removed: string[]; typeChanged: string[] };
  referenceRows: number;
  currentRows: number;
}

interface Side {
  src: Source;
  profile: Profile;
}

function columnChoice(opts: DriftOptions, column: string, type: 'numeric' | 'categorical', dflt: string): { method: string; threshold: number } {
  const method = opts.methods?.[column] ?? opts.method ?? dflt;
  checkMethod(method, type);
  const threshold = opts.thresholds?.[column] ?? opts.threshold ?? METHODS[method].threshold;
  return { method, threshold };
}

function sortedCopy(v: number[]): number[] {
  return v.sort((a, b) => a - b);
}

/** Category counts of a numeric column with few distinct values (exact sample, else quantile mass). */
function numericAsCounts(values: number[] | null, s: QuantileSummary): Map<string, number> {
  const m = new Map<string, number>();
  if (values) {
    for (const v of values) m.set(String(v), (m.get(String(v)) ?? 0) + 1);
    return m;
  }
  for (const v of s.q) m.set(String(v), (m.get(String(v)) ?? 0) + s.n / s.q.length);
  return m;
}

async function compareNumeric(store: Store, column: string, ref: Side, cur: Side, r: NumericColumn, c: NumericColumn, opts: DriftOptions): Promise<ColumnDrift> {
  const nR = r.summary.n;
  const nC = c.summary.n;
  const base = { column, type: 'numeric' as const, reference_n: nR, current_n: nC };
  if (nR === 0 || nC === 0) {
    const ch = columnChoice(opts, column, 'numeric', 'wasserstein');
    return { ...base, ...ch, statistic: 0, p_value: null, drift: false, status: 'nodata', path: 'sketch' };
  }
  const small = Math.min(nR, nC) <= SMALL_SAMPLE;
  // Raw values only where an exact small-sample test wants them, and bounded by LIMIT.
  let refVals: number[] | null = null;
  let curVals: number[] | null = null;
  if (small) {
    refVals = nR <= EXACT_FETCH_LIMIT ? await fetchNumericValues(store, ref.src, column, EXACT_FETCH_LIMIT) : null;
    curVals = nC <= EXACT_FETCH_LIMIT ? await fetchNumericValues(store, cur.src, column, EXACT_FETCH_LIMIT) : null;
  }
  const unique = refVals ? new Set(refVals).size : distinctQuantiles(r.summary);
  const dflt = unique > 5 ? (small ? 'ks' : 'wasserstein') : small ? (unique <= 2 ? 'ztest' : 'chisquare') : 'jensenshannon';
  const wanted = opts.methods?.[column] ?? opts.method ?? dflt;
  if (!METHODS[wanted]?.numeric && METHODS[wanted]?.categorical) {
    // Few distinct values: compare as categories, as Evidently does.
    const rc = numericAsCounts(refVals, r.summary);
    const cc = numericAsCounts(curVals, c.summary);
    const res = compareCounts(column, { counts: rc, n: nR, nulls: r.nulls }, { counts: cc, n: nC, nulls: c.nulls }, opts, wanted);
    return { ...res, type: 'numeric', path: refVals && curVals ? 'exact' : 'sketch' };
  }
  const { method, threshold } = columnChoice(opts, column, 'numeric', dflt);
  const rs = refVals ? summaryOfSample(refVals) : r.summary;
  const cs = curVals ? summaryOfSample(curVals) : c.summary;
  const path: ColumnDrift['path'] = refVals && curVals ? 'exact' : refVals || curVals ? 'mixed' : 'sketch';
  let statistic: number;
  let p: number | null = null;
  if (method === 'ks') {
    if (refVals && curVals) {
      const k = ksExact(refVals, curVals);
      statistic = k.statistic;
      p = k.p_value;
    } else {
      if (refVals || curVals) {
        const sample = sortedCopy([...(refVals ?? curVals)!]);
        statistic = ksSampleVsSummary(sample, refVals ? cs : rs);
      } else {
        statistic = ksFromSummaries(rs, cs);
      }
      // Asymptotic two-sample p-value with the effective sample size.
      const nEff = Math.max(1, Math.round((nR * nC) / (nR + nC)));
      p = kolmogorovSf(nEff, statistic);
    }
  } else if (method === 'wasserstein') {
    const w = wassersteinFromSummaries(rs, cs);
    const sd = r.std;
    statistic = sd > 0 ? w / sd : w > 0 ? Number.POSITIVE_INFINITY : 0;
  } else if (method === 'cvm') {
    const k = cvm(refVals ?? rs.q, curVals ?? cs.q);
    statistic = k.statistic;
    p = refVals && curVals ? k.p_value : null;
  } else {
    const cuts = referenceCuts(rs);
    const rb = refVals ? binSample(refVals, cuts) : binCounts(rs, cuts);
    const cb = curVals ? binSample(curVals, cuts) : binCounts(cs, cuts);
    statistic = countDistance(method, rb, cb);
  }
  const drift = isDrift(method, statistic, p, threshold);
  const cuts = referenceCuts(rs);
  const rb = refVals ? binSample(refVals, cuts) : binCounts(rs, cuts);
  const cb = curVals ? binSample(curVals, cuts) : binCounts(cs, cuts);
  const edges = [rs.min, ...cuts, rs.max];
  const labels = rb.map((_, i) => `${fmt(edges[i])}..${fmt(i + 1 < edges.length ? edges[i + 1] : Math.max(rs.max, cs.max))}`);
  return {
    ...base, method, threshold, statistic, p_value: p, drift, status: drift ? 'drift' : 'ok', path,
    bins: { labels, reference: shares(rb), current: shares(cb) },
  };
}

const fmt = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));

function shares(v: number[]): number[] {
  const t = v.reduce((a, b) => a + b, 0);
  return v.map((x) => (t > 0 ? x / t : 0));
}

function compareCounts(column: string, r: CategoricalColumn, c: CategoricalColumn, opts: DriftOptions, forced?: string): ColumnDrift {
  const base = { column, type: 'categorical' as const, reference_n: r.n, current_n: c.n };
  const keys = [...new Set([...r.counts.keys(), ...c.counts.keys()])].sort();
  const unseen = [...c.counts.keys()].filter((k) => !r.counts.has(k) && k !== OTHER_CATEGORY).sort();
  const small = Math.min(r.n, c.n) <= SMALL_SAMPLE;
  const dflt = small ? (keys.length <= 2 ? 'ztest' : 'chisquare') : 'jensenshannon';
  const { method, threshold } = forced ? { method: forced, threshold: opts.thresholds?.[column] ?? opts.threshold ?? METHODS[forced].threshold } : columnChoice(opts, column, 'categorical', dflt);
  if (r.n === 0 || c.n === 0) return { ...base, method, threshold, statistic: 0, p_value: null, drift: false, status: 'nodata', path: 'sketch', unseen };
  const rv = keys.map((k) => r.counts.get(k) ?? 0);
  const cv = keys.map((k) => c.counts.get(k) ?? 0);
  let statistic: number;
  let p: number | null = null;
  if (method === 'chisquare') ({ statistic, p_value: p } = chisquareCounts(rv, cv));
  else if (method === 'ztest') {
    // The reference's most common category is the one whose share is tested.
    let top = 0;
    rv.forEach((x, i) => { if (x > rv[top]) top = i; });
    ({ statistic, p_value: p } = ztestCounts(rv, cv, top));
  } else statistic = countDistance(method, rv, cv);
  const drift = isDrift(method, statistic, p, threshold);
  return {
    ...base, method, threshold, statistic, p_value: p, drift, status: drift ? 'drift' : 'ok', path: 'exact',
    bins: { labels: keys, reference: shares(rv), current: shares(cv) }, unseen,
  };
}

/** Reads both sides (aggregated inside ClickHouse) and compares every column they share. */
export async function compareSources(store: Store, refSrc: Source, curSrc: Source, opts: DriftOptions = {}, profileOpts: ProfileOptions = {}): Promise<DriftReport> {
  const [rp, cp] = await Promise.all([readProfile(store, refSrc, profileOpts), readProfile(store, curSrc, profileOpts)]);
  return compareProfiles(store, { src: refSrc, profile: rp }, { src: curSrc, profile: cp }, opts);
}

async function compareProfiles(store: Store, ref: Side, cur: Side, opts: DriftOptions): Promise<DriftReport> {
  const rp = ref.profile;
  const cp = cur.profile;
  const typeOf = (p: Profile, k: string) => (p.numeric.has(k) ? 'numeric' : p.categorical.has(k) ? 'categorical' : undefined);
  const names = [...new Set([...rp.numeric.keys(), ...rp.categorical.keys(), ...cp.numeric.keys(), ...cp.categorical.keys()])].sort();
  const report: DriftReport = {
    columns: [], nullRates: [], schema: { added: [], removed: [], typeChanged: [] },
    dataset: { columns: 0, drifted: 0, share: 0, drift: false, threshold: opts.driftShare ?? 0.5 },
    referenceRows: rp.rows, currentRows: cp.rows,
  };
  const nullThreshold = opts.nullRateThreshold ?? 0.05;
  for (const name of names) {
    const tr = typeOf(rp, name);
    const tc = typeOf(cp, name);
    if (!tr) { report.schema.added.push(name); continue; }
    if (!tc) { report.schema.removed.push(name); continue; }
    const rNulls = (rp.numeric.get(name) ?? rp.categorical.get(name))!.nulls;
    const cNulls = (cp.numeric.get(name) ?? cp.categorical.get(name))!.nulls;
    const rRate = rp.rows > 0 ? rNulls / rp.rows : 0;
    const cRate = cp.rows > 0 ? cNulls / cp.rows : 0;
    report.nullRates.push({ column: name, reference: rRate, current: cRate, threshold: nullThreshold, drift: cRate - rRate > nullThreshold });
    // A column entirely null on one side shows up as an empty categorical column: compare by the other side's type.
    const rEmpty = tr === 'categorical' && rp.categorical.get(name)!.n === 0;
    const cEmpty = tc === 'categorical' && cp.categorical.get(name)!.n === 0;
    const type = rEmpty ? tc : cEmpty ? tr : tr === tc ? tr : undefined;
    if (!type) { report.schema.typeChanged.push(name); continue; }
    let col: ColumnDrift;
    if (type === 'numeric') {
      const empty: NumericColumn = { summary: { n: 0, min: NaN, max: NaN, q: [] }, mean: NaN, std: NaN, nulls: 0 };
      col = await compareNumeric(store, name, ref, cur, rp.numeric.get(name) ?? empty, cp.numeric.get(name) ?? empty, opts);
    } else {
      const empty: CategoricalColumn = { counts: new Map(), n: 0, nulls: 0 };
      col = compareCounts(name, rp.categorical.get(name) ?? empty, cp.categorical.get(name) ?? empty, opts);
    }
    report.columns.push(col);
    opts.onProgress?.(names.indexOf(name) + 1, names.length);
  }
  // Dataset drift counts the features; the prediction is reported but is not a feature.
  const features = report.columns.filter((c) => c.column !== PREDICTION_SUBJECT && c.status !== 'nodata');
  report.dataset.columns = features.length;
  report.dataset.drifted = features.filter((c) => c.drift).length;
  report.dataset.share = features.length ? report.dataset.drifted / features.length : 0;
  report.dataset.drift = features.length > 0 && report.dataset.share >= report.dataset.threshold;
  return report;
}
