/** Wasserstein-1 distance, normalised by the reference's population standard deviation (Evidently's rule). */
import { standardDeviation } from 'simple-statistics';
import { sortedFinite, type NumericInput } from './util.ts';

/** The reference std is floored here so a constant reference gives a finite score. */
export const WASSERSTEIN_MIN_STD = 0.001;

/**
 * ∫ |F_u(t) - F_v(t)|^p dt over the pooled sorted values (p = 1 or 2), by merging two sorted
 * arrays: O(n + m), no allocation. scipy's _cdf_distance without the final root.
 */
export function cdfDistancePower(u: Float64Array, v: Float64Array, p: 1 | 2): number {
  const nu = u.length;
  const nv = v.length;
  let i = 0;
  let j = 0;
  let total = 0;
  let prev = NaN;
  let diff = 0; // F_u - F_v just after prev
  while (i < nu || j < nv) {
    const x = j >= nv || (i < nu && u[i] <= v[j]) ? u[i] : v[j];
    if (i + j > 0) {
      const w = x - prev;
      total += p === 1 ? Math.abs(diff) * w : diff * diff * w;
    }
    while (i < nu && u[i] === x) i++;
    while (j < nv && v[j] === x) j++;
    diff = i / nu - j / nv;
    prev = x;
  }
  return total;
}

export interface WassersteinResult {
  /** W1 / max(std(reference), 0.001) */
  statistic: number;
  /** Unnormalised W1 distance. */
  distance: number;
  /** Population std of the reference (before flooring). */
  reference_std: number;
}

/**
 * Wasserstein distance on sorted, finite samples, divided by the floored reference std. The std
 * can be given (the sketch path knows the exact one from the rollup's moments, while its sample
 * is a quantile grid); otherwise it is the reference sample's population std.
 */
export function wassersteinSorted(reference: Float64Array, current: Float64Array, referenceStd?: number): WassersteinResult {
  if (reference.length === 0 || current.length === 0) return { statistic: 0, distance: 0, reference_std: 0 };
  const distance = cdfDistancePower(reference, current, 1);
  const sd = referenceStd ?? (reference.length > 1 ? standardDeviation(reference as unknown as number[]) : 0);
  return { statistic: distance / Math.max(sd, WASSERSTEIN_MIN_STD), distance, reference_std: sd };
}

/** Normalised Wasserstein-1 distance: W1(reference, current) / max(std(reference), 0.001). */
export function wasserstein(reference: NumericInput, current: NumericInput): WassersteinResult {
  return wassersteinSorted(sortedFinite(reference), sortedFinite(current));
}
