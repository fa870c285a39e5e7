/**
 * k-sample Anderson–Darling test (Scholz & Stephens 1987, midrank version), matching
 * scipy.stats.anderson_ksamp(samples, midrank=True). No JS package implements it, hence by hand.
 */
import { sortedFinite, type NumericInput } from './util.ts';

export interface AndersonResult {
  /** Standardised statistic (A2akN - (k-1)) / sigma. */
  statistic: number;
  /** Approximate significance level, interpolated from Scholz & Stephens' table; capped to [0.001, 0.25]. */
  p_value: number;
  /** Critical values at significance levels 0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001. */
  critical_values: number[];
  /** Set when the statistic is undefined (fewer than 2 distinct values, or an empty sample). */
  degenerate?: 'empty_sample' | 'single_value' | 'too_few_values';
}

const SIG = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];
const B0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
const B1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
const B2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];

/** Anderson–Darling k-sample test on already sorted, finite samples. */
export function andersonSorted(samples: Float64Array[]): AndersonResult {
  const k = samples.length;
  const m = k - 1;
  const critical = B0.map((b0, i) => b0 + B1[i] / Math.sqrt(m) + B2[i] / m);
  if (k < 2 || samples.some((s) => s.length === 0)) {
    return { statistic: 0, p_value: 1, critical_values: critical, degenerate: 'empty_sample' };
  }
  let N = 0;
  for (const s of samples) N += s.length;
  if (N < 4) return { statistic: 0, p_value: 1, critical_values: critical, degenerate: 'too_few_values' };

  // Walk the distinct pooled values in order; pointers into each sorted sample give counts.
  const pos = new Int32Array(k);
  const acc = new Float64Array(k);
  let below = 0; // pooled values strictly below the current one
  let distinct = 0;
  for (;;) {
    let v = Infinity;
    for (let i = 0; i < k; i++) if (pos[i] < samples[i].length && samples[i][pos[i]] < v) v = samples[i][pos[i]];
    if (v === Infinity) break;
    distinct++;
    let lj = 0;
    const f = new Int32Array(k); // small: k is 2 in practice
    for (let i = 0; i < k; i++) {
      const s = samples[i];
      const start = pos[i];
      while (pos[i] < s.length && s[pos[i]] === v) pos[i]++;
      f[i] = pos[i] - start;
      lj += f[i];
    }
    const Bj = below + lj / 2;
    const denom = Bj * (N - Bj) - (N * lj) / 4;
    for (let i = 0; i < k; i++) {
      const Mij = pos[i] - f[i] / 2;
      const diff = N * Mij - Bj * samples[i].length;
      acc[i] += ((lj / N) * diff * diff) / denom;
    }
    below += lj;
  }
  if (distinct < 2) return { statistic: 0, p_value: 1, critical_values: critical, degenerate: 'single_value' };
  let A2akN = 0;
  for (let i = 0; i < k; i++) A2akN += acc[i] / samples[i].length;
  A2akN *= (N - 1) / N;

  // Variance of A2akN under H0 (Scholz & Stephens eq. 4).
  let H = 0;
  for (const s of samples) H += 1 / s.length;
  // h = sum_{i=1}^{N-1} 1/i ; g = sum_{i=1}^{N-2} sum_{j=i+1}^{N-1} 1 / ((N - i) j)
  let tail = 0; // sum_{j=N-1-t}^{N-1} 1/j built from the top
  let g = 0;
  for (let t = 0; t <= N - 3; t++) {
    tail += 1 / (N - 1 - t);
    g += tail / (t + 2);
  }
  const h = tail + 1;
  const a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H;
  const b = (2 * g - 4) * k * k + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6;
  const c = (6 * h + 2 * g - 2) * k * k + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h;
  const d = (2 * h + 6) * k * k - 4 * h * k;
  const sigmasq = (a * N ** 3 + b * N ** 2 + c * N + d) / ((N - 1) * (N - 2) * (N - 3));
  const A2 = (A2akN - m) / Math.sqrt(sigmasq);

  // Significance: quadratic fit of log(sig) against the critical values, capped at the table ends.
  let p: number;
  if (A2 < Math.min(...critical)) p = Math.max(...SIG);
  else if (A2 > Math.max(...critical)) p = Math.min(...SIG);
  else {
    const coef = quadraticLeastSquares(critical, SIG.map(Math.log));
    p = Math.exp(coef[0] * A2 * A2 + coef[1] * A2 + coef[2]);
  }
  return { statistic: A2, p_value: p, critical_values: critical };
}

/** k-sample Anderson–Darling statistic and approximate p-value (nulls and non-finite values skipped). */
export function anderson(...samples: NumericInput[]): AndersonResult {
  return andersonSorted(samples.map(sortedFinite));
}

/** Least-squares coefficients [c2, c1, c0] of y ≈ c2 x^2 + c1 x + c0, via Householder QR. */
export function quadraticLeastSquares(x: readonly number[], y: readonly number[]): [number, number, number] {
  const n = x.length;
  // Column-scaled Vandermonde (as numpy.polyfit scales columns) for conditioning.
  const A: number[][] = x.map((xi) => [xi * xi, xi, 1]);
  const scale = [0, 0, 0];
  for (let j = 0; j < 3; j++) {
    for (let i = 0; i < n; i++) scale[j] += A[i][j] * A[i][j];
    scale[j] = Math.sqrt(scale[j]);
    for (let i = 0; i < n; i++) A[i][j] /= scale[j];
  }
  const bvec = y.slice();
  for (let j = 0; j < 3; j++) {
    let norm = 0;
    for (let i = j; i < n; i++) norm += A[i][j] * A[i][j];
    norm = Math.sqrt(norm);
    const alpha = A[j][j] > 0 ? -norm : norm;
    const v = new Array<number>(n).fill(0);
    for (let i = j; i < n; i++) v[i] = A[i][j];
    v[j] -= alpha;
    let vv = 0;
    for (let i = j; i < n; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let col = j; col < 3; col++) {
      let dot = 0;
      for (let i = j; i < n; i++) dot += v[i] * A[i][col];
      const f = (2 * dot) / vv;
      for (let i = j; i < n; i++) A[i][col] -= f * v[i];
    }
    let dot = 0;
    for (let i = j; i < n; i++) dot += v[i] * bvec[i];
    const f = (2 * dot) / vv;
    for (let i = j; i < n; i++) bvec[i] -= f * v[i];
  }
  const coef = [0, 0, 0];
  for (let j = 2; j >= 0; j--) {
    let s = bvec[j];
    for (let l = j + 1; l < 3; l++) s -= A[j][l] * coef[l];
    coef[j] = s / A[j][j];
  }
  return [coef[0] / scale[0], coef[1] / scale[1], coef[2] / scale[2]];
}
