/**
 * Two-sample Kolmogorov–Smirnov test, matching scipy.stats.ks_2samp (two-sided, method 'auto').
 *
 * No maintained JS package provides the exact two-sample KS distribution or the finite-n
 * Kolmogorov distribution, so both are written here by hand.
 */
import { gcd, sortedFinite, type NumericInput } from './util.ts';

/** Largest sample size for which the p-value is exact (scipy's MAX_AUTO_N). */
export const KS_EXACT_MAX_N = 10000;

export interface KsResult {
  statistic: number;
  p_value: number;
  /** How the p-value was computed. */
  p_method: 'exact' | 'asymptotic';
}

/**
 * Largest |i*n2 - j*n1| over the pooled sorted values, i.e. n1*n2 times the KS statistic,
 * as an exact integer (exact up to 2^53, far beyond a few hundred thousand values per side).
 */
function maxScaledGap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let best = 0;
  while (i < n1 && j < n2) {
    const v = a[i] <= b[j] ? a[i] : b[j];
    while (i < n1 && a[i] === v) i++;
    while (j < n2 && b[j] === v) j++;
    const gap = Math.abs(i * n2 - j * n1);
    if (gap > best) best = gap;
  }
  // Once one side is exhausted the gap only shrinks towards 0, so no need to continue.
  return best;
}

/** KS statistic D = sup |F_a - F_b| of two sorted, finite samples (0 when either is empty). */
export function ksStatisticSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) return 0;
  return maxScaledGap(a, b) / (a.length * b.length);
}

/**
 * Asymptotic two-sided p-value of a two-sample KS statistic d for sample sizes n1 and n2: the
 * one-sample Kolmogorov distribution at the effective size round(n1 n2 / (n1 + n2)), as scipy.
 */
export function ksAsymptoticSf(n1: number, n2: number, d: number): number {
  if (n1 <= 0 || n2 <= 0) return 1;
  const en = Math.max(1, Math.round((n1 * n2) / (n1 + n2)));
  return clamp01(kolmogorovSf(en, d));
}

/** KS test on two already sorted, finite samples. */
export function ksSorted(a: Float64Array, b: Float64Array): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { statistic: 0, p_value: 1, p_method: 'exact' };
  const gap = maxScaledGap(a, b);
  const d = gap / (n1 * n2); // symmetric in the two samples
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const g = gcd(n1, n2);
    const h = Math.round(gap / g); // d in units of 1/lcm(n1, n2)
    const p = exactTwoSampleSf(n1, n2, g, h);
    if (Number.isFinite(p)) return { statistic: d, p_value: clamp01(p), p_method: 'exact' };
  }
  return { statistic: d, p_value: ksAsymptoticSf(n1, n2, d), p_method: 'asymptotic' };
}

/** Two-sample Kolmogorov–Smirnov statistic and two-sided p-value (nulls and non-finite values skipped). */
export function ks(reference: NumericInput, current: NumericInput): KsResult {
  return ksSorted(sortedFinite(reference), sortedFinite(current));
}

function clamp01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

/**
 * Exact P(D >= h / lcm(m, n)) under H0 for sample sizes m, n.
 * Equal sizes: the reflection-principle alternating sum. Unequal: lattice-path recursion
 * over the band |i/m - j/n| < d, carried as probabilities (count / binomial) so nothing overflows.
 */
export function exactTwoSampleSf(m: number, n: number, g: number, h: number): number {
  if (h <= 0) return 1;
  if (m === n) return equalSizeSf(n, h);
  if (m < n) [m, n] = [n, m];
  const mg = m / g;
  const ng = n / g;
  // Inside the band: |ng*i - mg*j| < h. P[j] holds P(i, j) = inside-paths(i, j) / C(i + j, j).
  const P = new Float64Array(n + 1);
  let hi = Math.min(Math.ceil(h / mg) - 1, n);
  for (let j = 0; j <= hi; j++) P[j] = 1;
  for (let i = 1; i <= m; i++) {
    const lo = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    const prevHi = hi;
    hi = Math.min(Math.ceil((ng * i + h) / mg) - 1, n);
    if (hi < lo) return 1;
    let below = 0; // P(i, j - 1); zero below the band
    for (let j = lo; j <= hi; j++) {
      const left = j <= prevHi ? P[j] : 0; // P(i - 1, j); zero above the previous band
      below = (i * left + j * below) / (i + j);
      P[j] = below;
    }
  }
  return 1 - P[n];
}

/** P(D_{n,n} >= h/n) = 2 * sum_k (-1)^(k+1) C(2n, n-kh) / C(2n, n), nested to limit cancellation. */
function equalSizeSf(n: number, h: number): number {
  const K = Math.floor(n / h);
  let acc = 0;
  for (let k = K; k >= 1; k--) {
    // ratio C(2n, n-kh) / C(2n, n-(k-1)h) as a product of h factors
    let r = 1;
    for (let j = (k - 1) * h; j < k * h; j++) r = (r * (n - j)) / (n + j + 1);
    acc = r * (1 - acc);
  }
  return 2 * acc;
}

// ---------------------------------------------------------------------------
// Finite-n Kolmogorov distribution (one-sample, two-sided), survival function.
// Follows the Simard & L'Ecuyer (2011) selection of methods, as scipy's kstwo.sf does:
// Ruben–Gambino closed forms at the extremes, the exact one-sided Smirnov sum for large x,
// the Durbin matrix (Marsaglia–Tsang–Wang) for small n*x, and Pelz–Good otherwise.

/** P(D_n >= x) for the one-sample two-sided Kolmogorov statistic with n observations. */
export function kolmogorovSf(n: number, x: number): number {
  if (!(n >= 1) || Number.isNaN(x)) return NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    // P(D_n < x) = n!/n^n * (2t - 1)^n
    let logCdf = n * Math.log(2 * t - 1);
    for (let i = 1; i <= n; i++) logCdf += Math.log(i / n);
    return 1 - Math.exp(logCdf);
  }
  if (t >= n - 1) return 2 * Math.pow(1 - x, n);
  if (x >= 0.5) return 2 * smirnovSf(n, x);
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 4) return 1 - durbinCdf(n, x); // exact; scipy uses Pomeranz above 0.754693, same value
    return 2 * smirnovSf(n, x);
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return 2 * smirnovSf(n, x);
  const cdf = n <= 100000 && n * Math.pow(x, 1.5) <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x);
  return 1 - cdf;
}

/**
 * Exact one-sided Smirnov P(D+_n >= x), Birnbaum–Tingey:
 * x * sum_{j=0}^{floor(n(1-x))} C(n,j) (x + j/n)^(j-1) (1 - x - j/n)^(n-j), summed in log space.
 */
export function smirnovSf(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const jmax = Math.floor(n * (1 - x));
  const logx = Math.log(x);
  let logBinom = 0; // log C(n, j), updated incrementally
  let sum = 0;
  for (let j = 0; j <= jmax; j++) {
    if (j > 0) logBinom += Math.log((n - j + 1) / j);
    const rest = (n - n * x - j) / n;
    if (rest <= 0) {
      if (j === n) sum += Math.exp(logBinom + (j - 1) * Math.log(x + j / n) + logx);
      continue;
    }
    const logTerm = logBinom + (j - 1) * Math.log(x + j / n) + (n - j) * Math.log(rest) + logx;
    sum += Math.exp(logTerm);
  }
  return sum;
}

const SCALE_UP = 2 ** 128;
const SCALE_DOWN = 2 ** -128;

/** Durbin's matrix formula for P(D_n < x), as organised by Marsaglia, Tsang and Wang (2003). */
export function durbinCdf(n: number, x: number): number {
  const nd = n * x;
  if (x >= 1) return 1;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const hh = k - nd;
  const m = 2 * k - 1;
  const H = new Float64Array(m * m);
  // inverse factorials 1/0!, 1/1!, ..., 1/m!
  const invFact = new Float64Array(m + 1);
  invFact[0] = 1;
  for (let i = 1; i <= m; i++) invFact[i] = invFact[i - 1] / i;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i - j + 1 >= 0) H[i * m + j] = invFact[i - j + 1];
    }
  }
  for (let i = 0; i < m; i++) {
    H[i * m] -= Math.pow(hh, i + 1) * invFact[i + 1]; // first column
    H[(m - 1) * m + i] -= Math.pow(hh, m - i) * invFact[m - i]; // last row
  }
  const corner = 2 * hh - 1 > 0 ? Math.pow(2 * hh - 1, m) : 0;
  H[(m - 1) * m] += corner * invFact[m];

  // H^n by repeated squaring, keeping a power-of-two exponent aside to avoid overflow.
  let result: Float64Array | null = null;
  let resultExp = 0;
  let base: Float64Array = H;
  let baseExp = 0;
  let e = n;
  const center = (k - 1) * m + (k - 1);
  while (e > 0) {
    if (e & 1) {
      if (result === null) {
        result = base.slice();
        resultExp = baseExp;
      } else {
        result = matMul(result, base, m);
        resultExp += baseExp;
      }
      if (Math.abs(result[center]) > SCALE_UP) {
        scaleInPlace(result, SCALE_DOWN);
        resultExp += 128;
      }
    }
    e = Math.floor(e / 2);
    if (e > 0) {
      base = matMul(base, base, m);
      baseExp *= 2;
      if (Math.abs(base[center]) > SCALE_UP) {
        scaleInPlace(base, SCALE_DOWN);
        baseExp += 128;
      }
    }
  }
  const v = (result as Float64Array)[center];
  if (v <= 0) return 0;
  // multiply by n!/n^n, in log space
  let logP = Math.log(v) + resultExp * Math.LN2;
  for (let i = 1; i <= n; i++) logP += Math.log(i / n);
  const p = Math.exp(logP);
  return p > 1 ? 1 : p;
}

function matMul(A: Float64Array, B: Float64Array, m: number): Float64Array {
  const C = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const a = A[i * m + l];
      if (a === 0) continue;
      const bRow = l * m;
      const cRow = i * m;
      for (let j = 0; j < m; j++) C[cRow + j] += a * B[bRow + j];
    }
  }
  return C;
}

function scaleInPlace(A: Float64Array, s: number): void {
  for (let i = 0; i < A.length; i++) A[i] *= s;
}

/** Pelz–Good (1976) expansion of P(D_n <= x), good for small x at large n. */
export function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const PI2 = Math.PI * Math.PI;
  const PI4 = PI2 * PI2;
  const PI6 = PI4 * PI2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  const q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z4 * z4;
  // Sums over odd m = 2k - 1 of c(m) q^(m^2), evaluated Horner-style in q^8k.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k >= 1; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = Math.pow(q, 8 * k);
    s0 = s0 * qp + 1;
    s1 = s1 * qp + (k1a + k1b * m2);
    s2 = s2 * qp + (k2a + k2b * m2 + k2c * m4);
    s3 = s3 * qp + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const SQRT2PI = Math.sqrt(2 * Math.PI);
  const f = q * SQRT2PI;
  const K0 = (s0 * f) / z;
  let K1 = (s1 * f) / (6 * z4);
  let K2 = (s2 * f) / (72 * z4 * z2 * z);
  let K3 = (s3 * f) / (6480 * z4 * z6);
  // Second family of terms over all integers k.
  const q2 = Math.exp(-PI2 / 2 / z2);
  const sqrt3z = Math.sqrt(3) * z;
  let e2 = 0;
  let e3 = 0;
  for (let k = maxk; k >= 1; k--) {
    const k2 = k * k;
    const qk = Math.pow(q2, k2);
    e2 += k2 * qk;
    const kpi = Math.PI * k;
    e3 += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K2 += (e2 * PI2 * SQRT2PI) / (-36 * z2 * z);
  K3 += (e3 * PI2 * SQRT2PI) / (216 * z6);
  const rn = Math.sqrt(n);
  K1 /= rn;
  K2 /= n;
  K3 /= n * rn;
  return K0 + K1 + K2 + K3;
}
