/**
 * Two-sample Cramér–von Mises test, matching scipy.stats.cramervonmises_2samp (method 'auto').
 * Neither the exact permutation distribution nor the limiting CvM distribution exists in a JS
 * package, so both are written here.
 */
import { floorDiv, gcd, sortedFinite, type NumericInput } from './util.ts';

/** Both sample sizes at or below this use the exact distribution (scipy's 'auto' rule). */
export const CVM_EXACT_MAX_N = 20;

export interface CvmResult {
  statistic: number;
  p_value: number;
  p_method: 'exact' | 'asymptotic';
}

/** Anderson's U: nx * sum (rank_x(i) - i)^2 + ny * sum (rank_y(j) - j)^2, with midranks for ties. */
function rankStatisticU(x: Float64Array, y: Float64Array): number {
  const nx = x.length;
  const ny = y.length;
  let i = 0;
  let j = 0;
  let sx = 0;
  let sy = 0;
  while (i < nx || j < ny) {
    const v = j >= ny || (i < nx && x[i] <= y[j]) ? x[i] : y[j];
    const i0 = i;
    const j0 = j;
    while (i < nx && x[i] === v) i++;
    while (j < ny && y[j] === v) j++;
    const tie = i - i0 + (j - j0);
    const midrank = i0 + j0 + (tie + 1) / 2;
    for (let a = i0 + 1; a <= i; a++) sx += (midrank - a) * (midrank - a);
    for (let b = j0 + 1; b <= j; b++) sy += (midrank - b) * (midrank - b);
  }
  return nx * sx + ny * sy;
}

/** CvM test on two already sorted, finite samples. */
export function cvmSorted(x: Float64Array, y: Float64Array): CvmResult {
  const nx = x.length;
  const ny = y.length;
  if (nx === 0 || ny === 0) return { statistic: 0, p_value: 1, p_method: 'exact' };
  const u = rankStatisticU(x, y);
  const k = nx * ny;
  const N = nx + ny;
  const t = u / (k * N) - (4 * k - 1) / (6 * N);
  if (Math.max(nx, ny) <= CVM_EXACT_MAX_N) {
    return { statistic: t, p_value: exactCvmSf(u, nx, ny), p_method: 'exact' };
  }
  // Normalise T by its exact mean and variance (Anderson 1962, eq. 11, 14, 15), then use the
  // limiting one-sample distribution.
  const et = (1 + 1 / N) / 6;
  const vt = ((N + 1) * (4 * k * N - 3 * (nx * nx + ny * ny) - 2 * k)) / (45 * N * N * 4 * k);
  const tn = 1 / 6 + (t - et) / Math.sqrt(45 * vt);
  const p = tn < 0.003 ? 1 : Math.max(0, 1 - cvmLimitCdf(tn));
  return { statistic: t, p_value: p, p_method: 'asymptotic' };
}

/** Two-sample Cramér–von Mises statistic T and p-value (nulls and non-finite values skipped). */
export function cvm(reference: NumericInput, current: NumericInput): CvmResult {
  return cvmSorted(sortedFinite(reference), sortedFinite(current));
}

/**
 * Exact P(U' >= U) by enumerating lattice paths (Xiao, Gordon & Yakovlev 2006): each path from
 * (0,0) to (ny, nx) accumulates sum (a*v - b*u)^2 over its points; we count paths per total.
 */
export function exactCvmSf(u: number, m: number, n: number): number {
  const l = (m / gcd(m, n)) * n;
  const a = l / m;
  const b = l / n;
  const mn = m * n;
  const zeta = floorDiv(l * l * (m + n) * (6 * u - mn * (4 * mn - 1)), 6 * mn * mn);
  // row[v] = distribution (total -> number of paths) at point (uIdx, v); rows over uIdx = 0..n
  let row: Map<number, number>[] = [];
  for (let uIdx = 0; uIdx <= n; uIdx++) {
    const next: Map<number, number>[] = new Array(m + 1);
    for (let v = 0; v <= m; v++) {
      const cell = new Map<number, number>();
      if (uIdx === 0 && v === 0) cell.set(0, 1);
      if (uIdx > 0) for (const [s, c] of row[v]) cell.set(s, (cell.get(s) ?? 0) + c);
      if (v > 0) for (const [s, c] of next[v - 1]) cell.set(s, (cell.get(s) ?? 0) + c);
      const add = (a * v - b * uIdx) * (a * v - b * uIdx);
      const shifted = new Map<number, number>();
      for (const [s, c] of cell) shifted.set(s + add, c);
      next[v] = shifted;
    }
    row = next;
  }
  let hits = 0;
  let total = 0;
  for (const [s, c] of row[m]) {
    total += c;
    if (s >= zeta) hits += c;
  }
  return hits / total;
}

/**
 * Limiting CDF of the Cramér–von Mises statistic, Csörgő & Faraway (1996) eq. 1.2, series summed
 * until a term falls below 1e-7 (as scipy does).
 */
export function cvmLimitCdf(x: number): number {
  if (!(x > 0)) return 0;
  let total = 0;
  let gammaRatio = Math.sqrt(Math.PI); // Γ(k + 1/2) / Γ(k + 1) at k = 0
  const pre = 1 / (Math.pow(Math.PI, 1.5) * Math.sqrt(x));
  for (let k = 0; k < 1000; k++) {
    if (k > 0) gammaRatio *= (k - 0.5) / k;
    const y = 4 * k + 1;
    const q = (y * y) / (16 * x);
    const term = gammaRatio * pre * Math.sqrt(y) * besselK14Scaled(q);
    total += term;
    if (Math.abs(term) < 1e-7) break;
  }
  return total;
}

/**
 * e^{-q} K_{1/4}(q) for q > 0, from K_ν(q) = e^{-q} ∫_0^∞ exp(-q (cosh t - 1)) cosh(ν t) dt: the
 * integrand is analytic and decays doubly exponentially, so the plain trapezoid rule converges fast.
 */
export function besselK14Scaled(q: number): number {
  const step = q < 0.05 ? 0.02 : 0.05;
  let sum = 0.5; // t = 0: exp(0) * cosh(0), half weight
  for (let i = 1; i < 100000; i++) {
    const t = i * step;
    const e = Math.exp(-q * (Math.cosh(t) - 1)) * Math.cosh(0.25 * t);
    sum += e;
    if (e < 1e-18 * sum) break;
  }
  return Math.exp(-2 * q) * sum * step;
}
