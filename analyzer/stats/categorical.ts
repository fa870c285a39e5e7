/**
 * Categorical tests on category frequencies: chi-square homogeneity, two-proportion z-test,
 * Fisher's exact test, and the binned distances over the union of categories.
 */
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import hypergeometricPmf from '@stdlib/stats-base-dists-hypergeometric-pmf';
import { binnedMeasure, type BinnedMethod } from './binned.ts';

/** Category -> count, as a Map or a plain record. */
export type Frequencies = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

export interface AlignedFrequencies {
  /** Union of categories, sorted so results do not depend on input order. */
  categories: string[];
  reference: Float64Array;
  current: Float64Array;
  /** Categories seen in current but never in reference. */
  unseen: string[];
  /** Categories seen in reference but absent from current. */
  missing: string[];
}

function entries(f: Frequencies): Iterable<[string, number]> {
  return f instanceof Map ? f.entries() : Object.entries(f as Record<string, number>);
}

/** Aligns two frequency tables on the union of their categories. */
export function alignFrequencies(reference: Frequencies, current: Frequencies): AlignedFrequencies {
  const ref = new Map<string, number>();
  const cur = new Map<string, number>();
  for (const [k, v] of entries(reference)) ref.set(k, (ref.get(k) ?? 0) + checkCount(v, k));
  for (const [k, v] of entries(current)) cur.set(k, (cur.get(k) ?? 0) + checkCount(v, k));
  const categories = [...new Set([...ref.keys(), ...cur.keys()])].sort();
  const r = new Float64Array(categories.length);
  const c = new Float64Array(categories.length);
  const unseen: string[] = [];
  const missing: string[] = [];
  categories.forEach((k, i) => {
    r[i] = ref.get(k) ?? 0;
    c[i] = cur.get(k) ?? 0;
    if (r[i] === 0 && c[i] > 0) unseen.push(k);
    if (r[i] > 0 && c[i] === 0) missing.push(k);
  });
  return { categories, reference: r, current: c, unseen, missing };
}

function checkCount(v: number, k: string): number {
  if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`count for category ${JSON.stringify(k)} must be a non-negative number`);
  return v;
}

/** Counts values of a raw categorical column, skipping null and undefined. */
export function countCategories(values: Iterable<unknown>): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) {
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) continue;
    const k = String(v);
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

export interface TestResult {
  statistic: number;
  p_value: number;
}

export interface ChiSquareResult extends TestResult {
  dof: number;
}

/**
 * Chi-square test of homogeneity on the 2 x k table (reference, current) x categories, no
 * continuity correction. Categories empty on both sides are dropped; a table with one category
 * left, or an empty side, gives statistic 0 and p-value 1.
 */
export function chisquare(reference: Frequencies, current: Frequencies): ChiSquareResult {
  const a = alignFrequencies(reference, current);
  return chisquareCounts(a.reference, a.current);
}

/** chisquare on two aligned count vectors. */
export function chisquareCounts(reference: ArrayLike<number>, current: ArrayLike<number>): ChiSquareResult {
  let n1 = 0;
  let n2 = 0;
  let k = 0;
  for (let i = 0; i < reference.length; i++) {
    n1 += reference[i];
    n2 += current[i];
    if (reference[i] + current[i] > 0) k++;
  }
  const dof = k - 1;
  if (n1 === 0 || n2 === 0 || dof <= 0) return { statistic: 0, p_value: 1, dof: Math.max(dof, 0) };
  const total = n1 + n2;
  let stat = 0;
  for (let i = 0; i < reference.length; i++) {
    const col = reference[i] + current[i];
    if (col === 0) continue;
    const e1 = (n1 * col) / total;
    const e2 = (n2 * col) / total;
    stat += ((reference[i] - e1) ** 2) / e1 + ((current[i] - e2) ** 2) / e2;
  }
  return { statistic: stat, p_value: clamp01(1 - chisquareCdf(stat, dof)), dof };
}

/** Two categories as [first, second] counts per side; throws when there are more than two. */
function twoByTwo(reference: Frequencies, current: Frequencies): [number, number, number, number] {
  const a = alignFrequencies(reference, current);
  if (a.categories.length > 2) {
    throw new RangeError(`test needs at most two categories, got ${a.categories.length}`);
  }
  return [a.reference[0] ?? 0, a.reference[1] ?? 0, a.current[0] ?? 0, a.current[1] ?? 0];
}

/**
 * Pooled two-proportion z-test on a binary column (share of the first category, sorted order).
 * When the pooled share is 0 or 1 (one category overall), or a side is empty: z = 0, p = 1.
 */
export function ztest(reference: Frequencies, current: Frequencies): TestResult {
  const [r0, r1, c0, c1] = twoByTwo(reference, current);
  return ztestCounts(r0, r0 + r1, c0, c0 + c1);
}

/** z-test from successes and totals on each side. */
export function ztestCounts(successRef: number, totalRef: number, successCur: number, totalCur: number): TestResult {
  if (totalRef === 0 || totalCur === 0) return { statistic: 0, p_value: 1 };
  const p1 = successRef / totalRef;
  const p2 = successCur / totalCur;
  const pooled = (successRef + successCur) / (totalRef + totalCur);
  if (pooled <= 0 || pooled >= 1) return { statistic: 0, p_value: 1 };
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / totalRef + 1 / totalCur));
  // 2 * Φ(-|z|) keeps precision in the tail, unlike 2 * (1 - Φ(|z|)).
  return { statistic: z, p_value: clamp01(2 * normalCdf(-Math.abs(z), 0, 1)) };
}

/**
 * Fisher's exact test, two-sided, on the 2x2 table [[ref first, ref second], [cur first, cur second]].
 * The p-value sums the hypergeometric probabilities of all tables no more likely than the observed
 * one (relative tolerance 1e-7, as scipy). Statistic: the sample odds ratio (Infinity when a
 * off-diagonal cell is 0); a table with an empty row or column gives statistic 1, p 1.
 */
export function fisher(reference: Frequencies, current: Frequencies): TestResult {
  const [a, b, c, d] = twoByTwo(reference, current);
  return fisherCounts(a, b, c, d);
}

/** Fisher's exact test on the 2x2 table [[a, b], [c, d]]. */
export function fisherCounts(a: number, b: number, c: number, d: number): TestResult {
  if (a + b === 0 || c + d === 0 || a + c === 0 || b + d === 0) return { statistic: 1, p_value: 1 };
  const odds = b > 0 && c > 0 ? (a * d) / (b * c) : Infinity;
  const M = a + b + c + d;
  const K = a + c; // first-column total ("successes")
  const n = a + b; // first-row total ("draws")
  const lo = Math.max(0, n + K - M);
  const hi = Math.min(K, n);
  const pmf = (x: number) => hypergeometricPmf(x, M, K, n);
  const cutoff = pmf(a) * (1 + 1e-7);
  // The pmf rises up to its mode and falls after it, so the tables no more likely than the observed
  // one form a left tail [lo, l] and a right tail [r, hi]. Each tail is found by bisection and summed
  // outwards from its inner end until the terms no longer change the sum: O(sd) terms, not O(n).
  const mode = Math.min(hi, Math.max(lo, Math.floor(((n + 1) * (K + 1)) / (M + 2))));
  let p = 0;
  if (pmf(lo) <= cutoff) {
    let l = lo;
    let h = mode;
    while (l < h) {
      const m = (l + h + 1) >> 1;
      if (pmf(m) <= cutoff) l = m;
      else h = m - 1;
    }
    p += tailSum(pmf, l, lo, -1);
  }
  if (mode < hi && pmf(hi) <= cutoff) {
    let l = mode + 1;
    let h = hi;
    while (l < h) {
      const m = (l + h) >> 1;
      if (pmf(m) <= cutoff) h = m;
      else l = m + 1;
    }
    p += tailSum(pmf, l, hi, 1);
  }
  return { statistic: odds, p_value: clamp01(p) };
}

/** Sum of pmf(x) from `from` towards `to` (step ±1) over decreasing terms, stopping once they are negligible. */
function tailSum(pmf: (x: number) => number, from: number, to: number, step: 1 | -1): number {
  let sum = 0;
  for (let x = from; step > 0 ? x <= to : x >= to; x += step) {
    const px = pmf(x);
    sum += px;
    if (px === 0 || px < sum * 1e-17) break;
  }
  return sum;
}

export interface CategoricalDistance {
  statistic: number;
  unseen: string[];
  missing: string[];
}

/** A distance (psi, jensenshannon, kl, hellinger, tvd, linf) over the union of categories. */
export function categoricalDistance(method: BinnedMethod, reference: Frequencies, current: Frequencies): CategoricalDistance {
  const a = alignFrequencies(reference, current);
  return { statistic: binnedMeasure(method, a.reference, a.current), unseen: a.unseen, missing: a.missing };
}

function clamp01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}
