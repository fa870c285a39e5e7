/**
 * Distribution distances on binned data: PSI, Jensen–Shannon (base 2), KL, Hellinger, TVD, L∞.
 * They take two aligned count vectors (bins or categories); the numeric path cuts bins at the
 * reference's quantiles, so the binning depends on the reference only.
 */
import { sortedFinite, type NumericInput } from './util.ts';

/** Share used in place of an empty bin by PSI and KL (Evidently's convention). */
export const ZERO_SHARE = 0.0001;
/** Default number of quantile bins for numeric columns. */
export const DEFAULT_BINS = 10;

export type BinnedMethod = 'psi' | 'jensenshannon' | 'kl' | 'hellinger' | 'tvd' | 'linf';
export const BINNED_METHODS: readonly BinnedMethod[] = ['psi', 'jensenshannon', 'kl', 'hellinger', 'tvd', 'linf'];

type Counts = ArrayLike<number>;

/** Counts divided by their total; all zeros when the total is 0. */
function shares(counts: Counts): Float64Array {
  const n = counts.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += counts[i];
  const out = new Float64Array(n);
  if (total > 0) for (let i = 0; i < n; i++) out[i] = counts[i] / total;
  return out;
}

function checkPair(p: Counts, q: Counts): boolean {
  if (p.length !== q.length) throw new RangeError(`count vectors differ in length: ${p.length} vs ${q.length}`);
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0) || !(q[i] >= 0)) throw new RangeError('counts must be non-negative numbers');
    sp += p[i];
    sq += q[i];
  }
  // An empty side has no distribution: every measure below returns 0 for it (documented).
  return sp > 0 && sq > 0;
}

/** Population stability index sum (r - c) ln(r / c) over shares, empty shares set to 0.0001. */
export function psiCounts(reference: Counts, current: Counts): number {
  if (!checkPair(reference, current)) return 0;
  const r = shares(reference);
  const c = shares(current);
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const a = r[i] === 0 ? ZERO_SHARE : r[i];
    const b = c[i] === 0 ? ZERO_SHARE : c[i];
    s += (a - b) * Math.log(a / b);
  }
  return s;
}

/** KL(reference || current), natural log; empty shares set to 0.0001, then both renormalised. */
export function klCounts(reference: Counts, current: Counts): number {
  if (!checkPair(reference, current)) return 0;
  const r = shares(reference);
  const c = shares(current);
  let sr = 0;
  let sc = 0;
  for (let i = 0; i < r.length; i++) {
    if (r[i] === 0) r[i] = ZERO_SHARE;
    if (c[i] === 0) c[i] = ZERO_SHARE;
    sr += r[i];
    sc += c[i];
  }
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const a = r[i] / sr;
    s += a * Math.log(a / (c[i] / sc));
  }
  return s;
}

/** Jensen–Shannon distance, base 2 (in [0, 1]): sqrt((KL(p||m) + KL(q||m)) / 2), m = (p + q) / 2. */
export function jensenshannonCounts(reference: Counts, current: Counts): number {
  if (!checkPair(reference, current)) return 0;
  const p = shares(reference);
  const q = shares(current);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i] + q[i]) / 2;
    if (p[i] > 0) s += p[i] * Math.log(p[i] / m);
    if (q[i] > 0) s += q[i] * Math.log(q[i] / m);
  }
  const v = s / Math.LN2 / 2;
  return v > 0 ? Math.sqrt(v) : 0; // rounding can leave -1e-17 for identical inputs
}

/** Hellinger distance in [0, 1]: sqrt(sum (sqrt p - sqrt q)^2) / sqrt 2. */
export function hellingerCounts(reference: Counts, current: Counts): number {
  if (!checkPair(reference, current)) return 0;
  const p = shares(reference);
  const q = shares(current);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const d = Math.sqrt(p[i]) - Math.sqrt(q[i]);
    s += d * d;
  }
  return Math.sqrt(s) / Math.SQRT2;
}

/** Total variation distance: half the L1 distance between the shares. */
export function tvdCounts(reference: Counts, current: Counts): number {
  if (!checkPair(reference, current)) return 0;
  const p = shares(reference);
  const q = shares(current);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += Math.abs(p[i] - q[i]);
  return s / 2;
}

/** L∞ distance: the largest absolute difference between shares. */
export function linfCounts(reference: Counts, current: Counts): number {
  if (!checkPair(reference, current)) return 0;
  const p = shares(reference);
  const q = shares(current);
  let s = 0;
  for (let i = 0; i < p.length; i++) s = Math.max(s, Math.abs(p[i] - q[i]));
  return s;
}

const COUNT_MEASURES: Record<BinnedMethod, (r: Counts, c: Counts) => number> = {
  psi: psiCounts,
  jensenshannon: jensenshannonCounts,
  kl: klCounts,
  hellinger: hellingerCounts,
  tvd: tvdCounts,
  linf: linfCounts,
};

/** Any binned measure by name, on two aligned count vectors. */
export function binnedMeasure(method: BinnedMethod, reference: Counts, current: Counts): number {
  return COUNT_MEASURES[method](reference, current);
}

/**
 * Quantile of sorted data with linear interpolation between order statistics (numpy's default,
 * Hyndman–Fan type 7). Hand-written because simple-statistics' quantileSorted uses another
 * definition and bins must match the fixtures bit for bit at tied values.
 */
export function quantileSorted7(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * p;
  const lo = Math.floor(pos);
  if (lo >= n - 1) return sorted[n - 1];
  const t = pos - lo;
  const a = sorted[lo];
  const b = sorted[lo + 1];
  const d = b - a;
  // interpolate from the nearer end, like numpy, so exact order statistics are returned exactly
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/** Inner bin edges q_1..q_{bins-1} at the reference's quantiles i / bins. */
export function quantileEdges(sortedReference: ArrayLike<number>, bins = DEFAULT_BINS): Float64Array {
  const edges = new Float64Array(Math.max(bins - 1, 0));
  for (let i = 1; i < bins; i++) edges[i - 1] = quantileSorted7(sortedReference, i / bins);
  return edges;
}

/**
 * Counts per bin (-inf, e_1], (e_1, e_2], ..., (e_last, +inf) of sorted values, by one merge pass.
 * Duplicate edges simply give empty bins.
 */
export function countIntoBins(sortedValues: ArrayLike<number>, edges: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  let b = 0;
  for (let i = 0; i < sortedValues.length; i++) {
    const v = sortedValues[i];
    while (b < edges.length && v > edges[b]) b++;
    counts[b]++;
  }
  return counts;
}

export interface Binned {
  edges: Float64Array;
  reference: Float64Array;
  current: Float64Array;
}

/** Bins both samples at the reference's quantiles (default 10 bins, outer bins open). */
export function binByReferenceQuantiles(reference: NumericInput, current: NumericInput, bins = DEFAULT_BINS): Binned {
  return binSortedByReferenceQuantiles(sortedFinite(reference), sortedFinite(current), bins);
}

/** binByReferenceQuantiles for already sorted, finite samples. */
export function binSortedByReferenceQuantiles(reference: Float64Array, current: Float64Array, bins = DEFAULT_BINS): Binned {
  if (!(bins >= 1) || !Number.isInteger(bins)) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  const edges = reference.length > 0 ? quantileEdges(reference, bins) : new Float64Array(0);
  return { edges, reference: countIntoBins(reference, edges), current: countIntoBins(current, edges) };
}

/** A binned measure on raw numeric samples, binned at the reference's quantiles. */
export function binnedNumeric(
  method: BinnedMethod,
  reference: NumericInput,
  current: NumericInput,
  bins = DEFAULT_BINS,
): { statistic: number } & Binned {
  const b = binByReferenceQuantiles(reference, current, bins);
  return { statistic: binnedMeasure(method, b.reference, b.current), ...b };
}
