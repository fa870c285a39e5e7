/**
 * Drift of one numeric column between two sides, each known by a quantile sketch and, where a
 * method wants them and the side is small enough, by its raw values. Every statistic comes from
 * analyzer/stats; this file only decides what each method is fed (see docs/drift.md).
 */
import { MwError } from '../../core/errors.ts';
import type { Store } from '../../storage/client.ts';
import {
  binnedMeasure, chooseMethod, countCategories, countIntoBins, energySorted, ksAsymptoticSf, ksStatisticSorted,
  MAX_DISCRETE_UNIQUE, quantileEdges, quantileSorted7, SMALL_REFERENCE_MAX, testColumn, wassersteinSorted,
  type BinnedMethod, type ColumnResult, type DriftMethod,
} from '../stats/index.ts';
import { columnRequest, isDrift, NUMERIC_FEED, thresholdFor } from './methods.ts';
import { MAX_CATEGORIES, type NumericColumn, type Source } from './source.ts';
import { fetchNumericSample, fetchSortedValues, fetchValueCounts, type ValueCounts, type ValueSample } from './values.ts';
import { binCounts, distinctKnots, quantileOf, referenceCuts, sketchSample, sketchValueCounts, type QuantileSummary } from './sketch.ts';
import { categoricalVerdict, shares, type ColumnDrift, type DriftOptions } from './types.ts';

/** Rollup windows: raw values of a side are fetched up to this many; beyond, raw-only methods get a uniform sample of this size. */
export const EXACT_FETCH_LIMIT = 100_000;

/**
 * Files and raw-row windows: when both sides have at most this many values, every method is computed
 * exactly on all of them (sorted by ClickHouse, sent as RowBinary); above it the sketch path is used.
 */
export const EXACT_LIMIT = 1_000_000;

/** Sides whose raw values are cheap to read in full (not a rollup window, which is read for its cost bound). */
function exactable(src: Source): boolean {
  return src.kind === 'loaded' || src.kind === 'raw';
}

/** Both sides' values of a column, when the exact path applies to it; undefined otherwise. */
export function fetchExact(store: Store, column: string, ref: NumericSide, cur: NumericSide, opts: DriftOptions): Promise<[ValueSample, ValueSample]> | undefined {
  const limit = opts.exactLimit ?? EXACT_LIMIT;
  const nR = ref.col.summary.n;
  const nC = cur.col.summary.n;
  if (!exactable(ref.src) || !exactable(cur.src) || nR === 0 || nC === 0 || nR > limit || nC > limit) return undefined;
  return Promise.all([fetchSortedValues(store, ref.src, column), fetchSortedValues(store, cur.src, column)]);
}

/** One side of a comparison: where to read raw values, and its profile entry. */
export interface NumericSide {
  src: Source;
  col: NumericColumn;
}

/** A sketch with at most this many distinct knots may hold a column of few values, blurred by the digest. */
export const FEW_KNOTS = 64;

// Methods that the stats module treats as numeric-only: a default choice outside them compares categories.
const CONTINUOUS_DEFAULTS = new Set<DriftMethod>(['ks', 'wasserstein']);

/** Distinct values over both sides, counted only up to MAX_DISCRETE_UNIQUE + 1 (all the rule needs). */
function distinctUpTo(sides: (Float64Array | QuantileSummary)[]): number {
  const seen = new Set<number>();
  for (const s of sides) {
    const values = s instanceof Float64Array ? s : sketchSample(s);
    if (!(s instanceof Float64Array)) {
      seen.add(s.min);
      seen.add(s.max);
    }
    for (const v of values) {
      seen.add(v);
      if (seen.size > MAX_DISCRETE_UNIQUE) return seen.size;
    }
  }
  return seen.size;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x);
}

/** Report bins: the reference's decile cuts, each side's share per bin (raw values where known, else the sketch CDF). */
function reportBins(r: NumericColumn, c: NumericColumn, refVals: Float64Array | undefined, curVals: Float64Array | undefined): ColumnDrift['bins'] {
  const cuts = refVals ? quantileEdges(refVals) : referenceCuts(r.summary);
  const rb = refVals ? countIntoBins(refVals, cuts) : binCounts(r.summary, cuts);
  const cb = curVals ? countIntoBins(curVals, cuts) : binCounts(c.summary, cuts);
  const lo = Math.min(r.summary.min, c.summary.min);
  const hi = Math.max(r.summary.max, c.summary.max);
  const edges = [lo, ...cuts, hi];
  const labels = Array.from(rb, (_, i) => `${fmt(edges[i])}..${fmt(edges[i + 1])}`);
  return { labels, reference: shares(rb), current: shares(cb) };
}

/** Quantile levels reports show side by side (and draw the two CDFs through). */
const REPORT_P = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99];

/** Both sides' quantiles at REPORT_P: exact from raw values where read, else from the sketch. */
function reportQuantiles(r: NumericColumn, c: NumericColumn, refVals?: Float64Array, curVals?: Float64Array): NonNullable<ColumnDrift['quantiles']> {
  const side = (vals: Float64Array | undefined, col: NumericColumn) => REPORT_P.map((p) => (vals ? quantileSorted7(vals, p) : quantileOf(col.summary, p)));
  return { p: REPORT_P, reference: side(refVals, r), current: side(curVals, c) };
}

/** A method fed from sketches (and raw values where a side has them). */
function sketchStatistic(method: DriftMethod, r: NumericColumn, c: NumericColumn, refVals?: Float64Array, curVals?: Float64Array): { statistic: number; p: number | null } {
  const a = refVals ?? sketchSample(r.summary);
  const b = curVals ?? sketchSample(c.summary);
  switch (method) {
    case 'ks': {
      const d = ksStatisticSorted(a, b);
      // Asymptotic p-value with the true sizes, not the grid's.
      return { statistic: d, p: ksAsymptoticSf(r.summary.n, c.summary.n, d) };
    }
    case 'wasserstein':
      return { statistic: wassersteinSorted(a, b, refVals ? undefined : r.std).statistic, p: null };
    case 'energy':
      return { statistic: energySorted(a, b), p: null };
    default: {
      const cuts = refVals ? quantileEdges(refVals) : referenceCuts(r.summary);
      const rb = refVals ? countIntoBins(refVals, cuts) : binCounts(r.summary, cuts);
      const cb = curVals ? countIntoBins(curVals, cuts) : binCounts(c.summary, cuts);
      return { statistic: binnedMeasure(method as BinnedMethod, rb, cb), p: null };
    }
  }
}

/** Category counts of a side from the sketch alone (raw rows gone): each knot value carries n / LEVELS, rounded. */
function sketchCounts(s: QuantileSummary): Map<string, number> {
  const m = sketchValueCounts(s);
  for (const [k, v] of m) m.set(k, Math.round(v));
  return m;
}

/** Compares one numeric column; reads raw values only where the method needs them (bounded by the fetch limit). */
export async function compareNumeric(
  store: Store, column: string, ref: NumericSide, cur: NumericSide, opts: DriftOptions, prefetched?: Promise<[ValueSample, ValueSample]>,
): Promise<ColumnDrift> {
  const r = ref.col;
  const c = cur.col;
  const nR = r.summary.n;
  const nC = c.summary.n;
  const req = columnRequest(opts, column, 'numeric');
  const base = { column, type: 'numeric' as const, reference_n: nR, current_n: nC };
  if (nR === 0 || nC === 0) {
    const method = req.method ?? chooseMethod({ type: 'numeric', referenceSize: nR, uniqueValues: MAX_DISCRETE_UNIQUE + 1 }).method;
    return { ...base, method, threshold: thresholdFor(req, method), statistic: 0, p_value: null, drift: false, status: 'nodata', path: 'sketch' };
  }
  const sides = { ref, cur };
  const raw: { ref?: ValueSample; cur?: ValueSample } = {};
  // Exact where cheap: both sides within the exact limit are read in full, and every method below runs on them.
  const exactLimit = opts.exactLimit ?? EXACT_LIMIT;
  const exact = exactable(ref.src) && exactable(cur.src);
  const both = prefetched ?? fetchExact(store, column, ref, cur, opts);
  if (both) [raw.ref, raw.cur] = await both;
  const limit = exact ? exactLimit : opts.exactFetchLimit ?? EXACT_FETCH_LIMIT;
  const fetchSide = async (which: 'ref' | 'cur') => {
    raw[which] ??= await fetchNumericSample(store, sides[which].src, column, limit);
  };
  const counted: { ref?: ValueCounts; cur?: ValueCounts } = {};
  // Exact value counts: from the raw values when all were read, else counted inside ClickHouse.
  const countSide = async (which: 'ref' | 'cur') => {
    const rv = raw[which];
    counted[which] ??= rv && !rv.sampled
      ? (() => { const m = countCategories(rv.values); return { counts: m, distinct: m.size }; })()
      : await fetchValueCounts(store, sides[which].src, column, MAX_CATEGORIES);
  };
  // Small sides are read raw: cheap, and exact (Evidently's small-sample tests are defined on them).
  if (nR <= SMALL_REFERENCE_MAX) await fetchSide('ref');
  if (nC <= SMALL_REFERENCE_MAX) await fetchSide('cur');

  let method = req.method;
  let note: string | undefined;
  if (req.global && (method === 'ztest' || method === 'fisher')) {
    // A two-category test asked for every column: a numeric column of more values keeps its default.
    await countSide('ref');
    await countSide('cur');
    const values = new Set([...counted.ref!.counts.keys(), ...counted.cur!.counts.keys()]);
    if (values.size > 2 || counted.ref!.distinct > 2 || counted.cur!.distinct > 2) {
      note = `${method} applies to two categories (this column has more values); default method used`;
      method = undefined;
    }
  }
  let asCategories = method !== undefined && NUMERIC_FEED[method] === 'categories';
  if (method === undefined) {
    // Default rule: a small reference gets ks, which wants the current side's values too.
    if (nR <= SMALL_REFERENCE_MAX && nC <= limit) await fetchSide('cur');
    let unique = MAX_DISCRETE_UNIQUE + 1;
    const few = (which: 'ref' | 'cur') => {
      const v = raw[which]?.values;
      return v ? distinctUpTo([v]) <= MAX_DISCRETE_UNIQUE : distinctKnots(sides[which].col.summary) <= FEW_KNOTS;
    };
    // Digests blur a column of few values at the steps between them: count such columns exactly.
    if (few('ref') && few('cur')) {
      await countSide('ref');
      await countSide('cur');
      const a = counted.ref!;
      const b = counted.cur!;
      if (a.distinct === a.counts.size && b.distinct === b.counts.size && a.distinct > 0 && b.distinct > 0) {
        unique = new Set([...a.counts.keys(), ...b.counts.keys()]).size;
      } else if (a.distinct === 0 || b.distinct === 0) {
        unique = distinctUpTo([raw.ref?.values ?? r.summary, raw.cur?.values ?? c.summary]);
      }
    }
    method = chooseMethod({ type: 'numeric', referenceSize: nR, uniqueValues: unique }).method;
    asCategories = !CONTINUOUS_DEFAULTS.has(method);
  }
  const threshold = thresholdFor(req, method);
  const feed = NUMERIC_FEED[method];
  if (asCategories) {
    await countSide('ref');
    await countSide('cur');
    // Raw rows past their retention (rollup windows only): fall back to the sketches' value masses.
    const gone = counted.ref!.distinct === 0 || counted.cur!.distinct === 0;
    const rc = gone ? sketchCounts(r.summary) : counted.ref!.counts;
    const cc = gone ? sketchCounts(c.summary) : counted.cur!.counts;
    const v = categoricalVerdict(column, method, threshold, rc, cc, req.global);
    return { ...base, ...v, type: 'numeric', path: gone ? 'sketch' : 'exact', ...(note ? { note } : {}) };
  }
  if (feed === 'raw' || method === 'ks') {
    // Exact tests want raw values; raw-only methods also accept a uniform sample of a large side.
    if (nR <= limit || feed === 'raw') await fetchSide('ref');
    if (nC <= limit || feed === 'raw') await fetchSide('cur');
  }
  const refVals = raw.ref && raw.ref.values.length > 0 ? raw.ref.values : undefined;
  const curVals = raw.cur && raw.cur.values.length > 0 ? raw.cur.values : undefined;
  const sampled = Boolean(raw.ref?.sampled || raw.cur?.sampled);
  const details: Record<string, unknown> = {};
  if (sampled) details.sample_size = { reference: refVals?.length ?? 0, current: curVals?.length ?? 0, limit };

  let res: { statistic: number; p: number | null };
  let path: ColumnDrift['path'];
  if (refVals && curVals) {
    const t: ColumnResult = testColumn({ type: 'numeric', reference: refVals, current: curVals, method, threshold });
    for (const k of ['p_method', 'degenerate', 'critical_values'] as const) if (t.details?.[k] !== undefined) details[k] = t.details[k];
    res = { statistic: t.statistic, p: t.p_value };
    path = sampled ? 'sampled' : 'exact';
  } else if (feed === 'raw') {
    throw new MwError('MW_ERR_DRIFT_METHOD', `${method} needs the raw values of ${column}, and none could be read (raw rows past their retention?)`, { column });
  } else {
    res = sketchStatistic(method, r, c, refVals, curVals);
    if (method === 'ks') details.p_method = 'asymptotic';
    path = refVals || curVals ? 'mixed' : 'sketch';
  }
  const drift = isDrift(method, res.statistic, res.p, threshold);
  return {
    ...base, method, threshold, statistic: res.statistic, p_value: res.p, drift, status: drift ? 'drift' : 'ok', path, ...(note ? { note } : {}),
    bins: reportBins(r, c, refVals, curVals), quantiles: reportQuantiles(r, c, refVals, curVals), ...(Object.keys(details).length ? { details } : {}),
  };
}
