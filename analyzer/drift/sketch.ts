/**
 * Distribution math on quantile sketches: a distribution is known by its quantile function at
 * fixed levels (from merged t-digests) plus its min and max. Everything here is pure and small
 * (about 1,000 numbers per distribution), whatever the row count behind it.
 */

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

function knots(s: QuantileSummary): { p: number[]; v: number[] } {
  const p = [0, ...LEVEL_VALUES, 1];
  const v = [s.min, ...s.q, s.max];
  // Sketches interpolate: keep the knots monotone and inside [min, max].
  for (let i = 1; i < v.length; i++) if (v[i] < v[i - 1]) v[i] = v[i - 1];
  for (let i = 0; i < v.length; i++) v[i] = Math.min(Math.max(v[i], s.min), s.max);
  return { p, v };
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

/** Two-sample KS statistic sup |F_a - F_b| over the union of both summaries' knots. */
export function ksFromSummaries(a: QuantileSummary, b: QuantileSummary): number {
  const fa = cdfOf(a);
  const fb = cdfOf(b);
  let d = 0;
  for (const x of [a.min, ...a.q, a.max, b.min, ...b.q, b.max]) d = Math.max(d, Math.abs(fa(x) - fb(x)));
  return d;
}

/** KS statistic of an exact sample (sorted ascending) against a summarised distribution. */
export function ksSampleVsSummary(sorted: readonly number[], s: QuantileSummary): number {
  const f = cdfOf(s);
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const x = sorted[i];
    // Empirical CDF just below and at x (ties: jump to the last equal element).
    let j = i;
    while (j + 1 < n && sorted[j + 1] === x) j++;
    const fx = f(x);
    d = Math.max(d, Math.abs((j + 1) / n - fx), Math.abs(i / n - fx));
    i = j;
  }
  return d;
}

/** Wasserstein-1 distance: the integral over levels of |Q_a(p) - Q_b(p)| (midpoint rule). */
export function wassersteinFromSummaries(a: QuantileSummary, b: QuantileSummary): number {
  let sum = 0;
  for (let i = 0; i < LEVELS; i++) sum += Math.abs(a.q[i] - b.q[i]);
  return sum / LEVELS;
}

/** Bin edges cut on the reference only: its deciles (deduplicated), open at both ends. */
export function referenceCuts(ref: QuantileSummary, bins = 10): number[] {
  const f = (p: number) => ref.q[Math.min(LEVELS - 1, Math.max(0, Math.round(p * LEVELS - 0.5)))];
  const cuts: number[] = [];
  for (let k = 1; k < bins; k++) {
    const c = f(k / bins);
    if (cuts.length === 0 || c > cuts[cuts.length - 1]) cuts.push(c);
  }
  return cuts;
}

/** Expected counts of a summarised distribution in the bins (-inf, c1], (c1, c2], ..., (ck, inf). */
export function binCounts(s: QuantileSummary, cuts: readonly number[]): number[] {
  const f = cdfOf(s);
  const out: number[] = [];
  let prev = 0;
  for (const c of cuts) {
    const cur = f(c);
    out.push(Math.max(0, cur - prev) * s.n);
    prev = cur;
  }
  out.push(Math.max(0, 1 - prev) * s.n);
  return out;
}

/** Counts of an exact sample in the same bins. */
export function binSample(values: readonly number[], cuts: readonly number[]): number[] {
  const out = new Array(cuts.length + 1).fill(0);
  for (const x of values) {
    let lo = 0;
    let hi = cuts.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (x <= cuts[m]) hi = m;
      else lo = m + 1;
    }
    out[lo]++;
  }
  return out;
}

/** Distinct values among the summary's quantiles (a lower bound on the true distinct count). */
export function distinctQuantiles(s: QuantileSummary): number {
  return new Set([s.min, ...s.q, s.max]).size;
}

/** Builds an exact summary from a sample (used for raw small samples and tests). */
export function summaryOfSample(values: readonly number[]): QuantileSummary {
  const s = [...values].sort((x, y) => x - y);
  const n = s.length;
  if (n === 0) return { n: 0, min: NaN, max: NaN, q: new Array(LEVELS).fill(NaN) };
  const q = LEVEL_VALUES.map((p) => {
    const h = p * n - 0.5;
    const lo = Math.max(0, Math.min(n - 1, Math.floor(h)));
    const hi = Math.min(n - 1, lo + 1);
    const t = Math.min(1, Math.max(0, h - lo));
    return s[lo] + (s[hi] - s[lo]) * t;
  });
  return { n, min: s[0], max: s[n - 1], q };
}

/** Exact two-sample KS statistic on two sorted samples. */
export function ksExactSorted(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i], b[j]);
    while (i < a.length && a[i] === x) i++;
    while (j < b.length && b[j] === x) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}
