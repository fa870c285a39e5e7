/**
 * Drift methods on count vectors and the per-method defaults. Distances come from analyzer/stats;
 * the sketch path feeds them bin or category counts read from the rollups, never raw rows.
 */
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { MwError } from '../../core/errors.ts';
import { BINNED_METHODS, binnedMeasure, type BinnedMethod } from '../stats/index.ts';

/** Whether a method yields a p-value (drift when below threshold) or a distance (drift when at or above). */
export type MethodKind = 'pvalue' | 'distance';

/** Methods, their kind, default threshold, and which column types they apply to. */
export const METHODS: Record<string, { kind: MethodKind; threshold: number; numeric: boolean; categorical: boolean }> = {
  ks: { kind: 'pvalue', threshold: 0.05, numeric: true, categorical: false },
  cvm: { kind: 'pvalue', threshold: 0.05, numeric: true, categorical: false },
  wasserstein: { kind: 'distance', threshold: 0.1, numeric: true, categorical: false },
  psi: { kind: 'distance', threshold: 0.1, numeric: true, categorical: true },
  jensenshannon: { kind: 'distance', threshold: 0.1, numeric: true, categorical: true },
  kl: { kind: 'distance', threshold: 0.1, numeric: true, categorical: true },
  hellinger: { kind: 'distance', threshold: 0.1, numeric: true, categorical: true },
  tvd: { kind: 'distance', threshold: 0.1, numeric: true, categorical: true },
  linf: { kind: 'distance', threshold: 0.1, numeric: true, categorical: true },
  chisquare: { kind: 'pvalue', threshold: 0.05, numeric: false, categorical: true },
  ztest: { kind: 'pvalue', threshold: 0.05, numeric: false, categorical: true },
};

/** Throws MW_ERR_DRIFT_METHOD unless `m` is a known method applicable to the column type. */
export function checkMethod(m: string, type: 'numeric' | 'categorical'): void {
  const info = METHODS[m];
  if (!info) throw new MwError('MW_ERR_DRIFT_METHOD', `${JSON.stringify(m)}: known methods are ${Object.keys(METHODS).join(', ')}`);
  if (!info[type]) throw new MwError('MW_ERR_DRIFT_METHOD', `${m} does not apply to ${type} columns`);
}

/** True when the statistic (or p-value) means drift under the threshold. */
export function isDrift(method: string, statistic: number, pValue: number | null, threshold: number): boolean {
  if (METHODS[method]?.kind === 'pvalue') return pValue !== null && pValue < threshold;
  return statistic >= threshold;
}

/** A distance between two aligned count vectors (bins or categories), computed by analyzer/stats. */
export function countDistance(method: string, ref: readonly number[], cur: readonly number[]): number {
  if (!(BINNED_METHODS as readonly string[]).includes(method)) throw new MwError('MW_ERR_DRIFT_METHOD', `${method} is not a count-vector distance`);
  return binnedMeasure(method as BinnedMethod, ref, cur);
}

/** Chi-square test of homogeneity on a 2 x k table (reference vs current counts): statistic and p-value. */
export function chisquareCounts(ref: readonly number[], cur: readonly number[]): { statistic: number; p_value: number } {
  const nr = ref.reduce((a, b) => a + b, 0);
  const nc = cur.reduce((a, b) => a + b, 0);
  const n = nr + nc;
  let stat = 0;
  let k = 0;
  for (let i = 0; i < ref.length; i++) {
    const col = ref[i] + cur[i];
    if (col === 0) continue;
    k++;
    const er = (col * nr) / n;
    const ec = (col * nc) / n;
    stat += (ref[i] - er) ** 2 / er + (cur[i] - ec) ** 2 / ec;
  }
  if (k < 2 || nr === 0 || nc === 0) return { statistic: 0, p_value: 1 };
  return { statistic: stat, p_value: 1 - chisquareCdf(stat, k - 1) };
}

/** Two-proportion z-test on the share of category index `i`: statistic |z| and two-sided p-value. */
export function ztestCounts(ref: readonly number[], cur: readonly number[], i = 0): { statistic: number; p_value: number } {
  const nr = ref.reduce((a, b) => a + b, 0);
  const nc = cur.reduce((a, b) => a + b, 0);
  if (nr === 0 || nc === 0) return { statistic: 0, p_value: 1 };
  const p1 = ref[i] / nr;
  const p2 = cur[i] / nc;
  const p = (ref[i] + cur[i]) / (nr + nc);
  const se = Math.sqrt(p * (1 - p) * (1 / nr + 1 / nc));
  if (se === 0) return { statistic: 0, p_value: p1 === p2 ? 1 : 0 };
  const z = Math.abs(p1 - p2) / se;
  return { statistic: z, p_value: 2 * (1 - normalCdf(z, 0, 1)) };
}
