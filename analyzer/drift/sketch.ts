/**
 * Quantile sketches as the statistics in analyzer/stats consume them. A distribution is known by
 * its quantile function at fixed levels (from merged t-digests) plus its min and max; this file
 * only converts that into a sorted quantile grid (an equally weighted pseudo-sample), a CDF, bin
 * edges and bin counts. No statistic is computed here. Everything is pure and small (about 1,000
 * numbers per distribution), whatever the row count behind it.
 */
import { DEFAULT_BINS, ksStatisticSorted } from '../stats/index.ts';

/** Number of quantile levels read from a sketch. */
export const LEVELS = 1000;

/** The levels read from every sketch: midpoints (i + 0.5) / LEVELS. */
export const LEVEL_VALUES: readonly number[] = Array.from({ length: LEVELS }, (_, i) => (i + 0.5) / LEVELS);

/** The levels as SQL literal text (constants of our own, never user input). */
export const LEVELS_SQL = LEVEL_VALUES.map((p) => p.toFixed(4)).join(',');

/** A numeric distribution summarised by its quantile function. */
export interface QuantileSummary {
  n: number;
  min: number;
  max: number;
  /** Quantiles at LEVEL_VALUES, non-decreasing. */
  q: number[];
}

/** The knots (level, value) of the quantile function: (0, min), the levels, (1, max); monotone and inside [min, max]. */
function knots(s: QuantileSummary): { p: number[]; v: number[] } {
  const p = [0, ...LEVEL_VALUES, 1];
  const v = [s.min, ...s.q, s.max];
  // Sketches interpolate: keep the knots monotone and inside [min, max].
  for (let i = 1; i < v.length; i++) if (v[i] < v[i - 1]) v[i] = v[i - 1];
  for (let i = 0; i < v.length; i++) v[i] = Math.min(Math.max(v[i], s.min), s.max);
  return { p, v };
}

/**
 * The summary as a sorted, equally weighted pseudo-sample: its LEVELS quantiles. Its empirical CDF
 * is within 0.5 / LEVELS of the sketch's CDF everywhere, so sample statistics that depend only on
 * the distribution (KS statistic, Wasserstein, energy distance) apply to it directly.
 */
export function sketchSample(s: QuantileSummary): Float64Array {
  const { v } = knots(s);
  return Float64Array.from(v.slice(1, -1));
}

/** The CDF F(x) = P(X <= x) implied by the summary (linear between knots, right-continuous at ties). */
export function cdfOf(s: QuantileSummary): (x: number) => number {
  const { p, v } = knots(s);
  const last = v.length - 1;
  return (x: number) => {
    if (x < v[0]) return 0;
    if (x >= v[last]) return 1;
    let lo = 0;
    let hi = last;
    while (hi - lo > 1) {
      const m = (lo + hi) >> 1;
      if (v[m] <= x) lo = m;
      else hi = m;
    }
    return v[hi] > v[lo] ? p[lo] + ((x - v[lo]) / (v[hi] - v[lo])) * (p[hi] - p[lo]) : p[lo];
  };
}

/** The quantile function Q(p) implied by the summary (linear between knots). */
export function quantileOf(s: QuantileSummary, p: number): number {
  const { p: ps, v } = knots(s);
  if (p <= 0) return v[0];
  if (p >= 1) return v[v.length - 1];
  let lo = 0;
  let hi = ps.length - 1;
  while (hi - lo > 1) {
    const m = (lo + hi) >> 1;
    if (ps[m] <= p) lo = m;
    else hi = m;
  }
  return v[lo] + ((p - ps[lo]) / (ps[hi] - ps[lo])) * (v[hi] - v[lo]);
}

/** Inner bin edges at the reference's quantiles k / bins (as analyzer/stats quantileEdges does on raw samples). */
export function referenceCuts(ref: QuantileSummary, bins = DEFAULT_BINS): Float64Array {
  const cuts = new Float64Array(Math.max(bins - 1, 0));
  for (let k = 1; k < bins; k++) cuts[k - 1] = quantileOf(ref, k / bins);
  return cuts;
}

/**
 * Expected counts of a summarised distribution in the bins (-inf, c1], (c1, c2], ..., (ck, inf),
 * read from its CDF at the cuts: the sketch counterpart of analyzer/stats countIntoBins.
 */
export function binCounts(s: QuantileSummary, cuts: ArrayLike<number>): Float64Array {
  const f = cdfOf(s);
  const out = new Float64Array(cuts.length + 1);
  let prev = 0;
  for (let i = 0; i < cuts.length; i++) {
    const cur = Math.max(prev, f(cuts[i]));
    out[i] = (cur - prev) * s.n;
    prev = cur;
  }
  out[cuts.length] = Math.max(0, 1 - prev) * s.n;
  return out;
}

/** Distinct values among the summary's knots (a lower bound on the true distinct count). */
export function distinctKnots(...summaries: QuantileSummary[]): number {
  const seen = new Set<number>();
  for (const s of summaries) for (const x of knots(s).v) seen.add(x);
  return seen.size;
}

/** Category counts of a summary with few distinct values: each knot value carries n / LEVELS. */
export function sketchValueCounts(s: QuantileSummary): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of sketchSample(s)) m.set(String(x), (m.get(String(x)) ?? 0) + s.n / LEVELS);
  return m;
}

/** KS statistic between two summaries: analyzer/stats' KS statistic on their quantile grids. */
export function ksFromSummaries(a: QuantileSummary, b: QuantileSummary): number {
  return ksStatisticSorted(sketchSample(a), sketchSample(b));
}
