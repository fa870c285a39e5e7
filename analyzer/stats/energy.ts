/** Energy distance between two samples, as scipy.stats.energy_distance computes it. */
import { sortedFinite, type NumericInput } from './util.ts';
import { cdfDistancePower } from './wasserstein.ts';

/** Energy distance on sorted, finite samples: sqrt(2 * ∫ (F_u - F_v)^2). */
export function energySorted(reference: Float64Array, current: Float64Array): number {
  if (reference.length === 0 || current.length === 0) return 0;
  return Math.SQRT2 * Math.sqrt(cdfDistancePower(reference, current, 2));
}

/** Energy distance sqrt(2) * sqrt(∫ (F_ref - F_cur)^2 dt) (nulls and non-finite values skipped). */
export function energy(reference: NumericInput, current: NumericInput): number {
  return energySorted(sortedFinite(reference), sortedFinite(current));
}
