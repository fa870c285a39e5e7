/** Default drift method per column, following Evidently's rule so results are comparable. */

export type ColumnType = 'numeric' | 'categorical';

export type PValueMethod = 'ks' | 'cvm' | 'anderson' | 'chisquare' | 'ztest' | 'fisher';
export type DistanceMethod = 'wasserstein' | 'energy' | 'psi' | 'jensenshannon' | 'kl' | 'hellinger' | 'tvd' | 'linf';
export type DriftMethod = PValueMethod | DistanceMethod;

export const P_VALUE_METHODS: readonly PValueMethod[] = ['ks', 'cvm', 'anderson', 'chisquare', 'ztest', 'fisher'];
export const DISTANCE_METHODS: readonly DistanceMethod[] = ['wasserstein', 'energy', 'psi', 'jensenshannon', 'kl', 'hellinger', 'tvd', 'linf'];

/** Reference sizes above this switch the defaults from p-value tests to distances. */
export const SMALL_REFERENCE_MAX = 1000;
/** Numeric columns need more distinct values than this to be treated as continuous. */
export const MAX_DISCRETE_UNIQUE = 5;
/** Default threshold of p-value methods: drift when p < 0.05. */
export const DEFAULT_P_THRESHOLD = 0.05;
/** Default threshold of distance methods: drift when score >= 0.1. */
export const DEFAULT_DISTANCE_THRESHOLD = 0.1;

/** True for methods whose result is a p-value (drift when p < threshold). */
export function isPValueMethod(method: DriftMethod): method is PValueMethod {
  return (P_VALUE_METHODS as readonly string[]).includes(method);
}

/** Every method, p-value methods first. */
export const DRIFT_METHODS: readonly DriftMethod[] = [...P_VALUE_METHODS, ...DISTANCE_METHODS];

/** True when `m` names a drift method. */
export function isDriftMethod(m: string): m is DriftMethod {
  return (DRIFT_METHODS as readonly string[]).includes(m);
}

/** The verdict rule: p-value methods drift when p < threshold, distances when the score >= threshold. */
export function isDriftVerdict(method: DriftMethod, statistic: number, pValue: number | null, threshold: number): boolean {
  return isPValueMethod(method) ? pValue !== null && pValue < threshold : statistic >= threshold;
}

/** Default threshold of a method. */
export function defaultThreshold(method: DriftMethod): number {
  return isPValueMethod(method) ? DEFAULT_P_THRESHOLD : DEFAULT_DISTANCE_THRESHOLD;
}

export interface MethodChoice {
  method: DriftMethod;
  threshold: number;
}

/**
 * Evidently's default: reference <= 1,000 rows: numeric with > 5 distinct values -> ks, binary
 * (exactly 2 distinct) -> ztest, otherwise chisquare; larger references: numeric with > 5 distinct
 * values -> wasserstein (0.1), everything else -> jensenshannon (0.1).
 */
export function chooseMethod({ type, referenceSize, uniqueValues }: { type: ColumnType; referenceSize: number; uniqueValues: number }): MethodChoice {
  const continuous = type === 'numeric' && uniqueValues > MAX_DISCRETE_UNIQUE;
  let method: DriftMethod;
  if (referenceSize <= SMALL_REFERENCE_MAX) method = continuous ? 'ks' : uniqueValues === 2 ? 'ztest' : 'chisquare';
  else method = continuous ? 'wasserstein' : 'jensenshannon';
  return { method, threshold: defaultThreshold(method) };
}
