/**
 * Which drift methods the jobs accept, and what data each needs on the time-window path. The
 * statistics themselves all live in analyzer/stats; this file only says how a method is fed.
 */
import { MwError } from '../../core/errors.ts';
import {
  BINNED_METHODS, DRIFT_METHODS, defaultThreshold, isDriftMethod, isDriftVerdict, type DriftMethod,
} from '../stats/index.ts';

/**
 * How a method reads a numeric column:
 * - `sketch`: from quantile sketches (rollups), exact on raw values when a side is small;
 * - `raw`: needs the values themselves (fetched up to a limit, sampled beyond it);
 * - `categories`: compares the column's values as categories (counts).
 */
export type NumericFeed = 'sketch' | 'raw' | 'categories';

/** How each method reads a numeric column; `null` where it does not apply to numeric columns. */
export const NUMERIC_FEED: Record<DriftMethod, NumericFeed> = {
  ks: 'sketch',
  wasserstein: 'sketch',
  energy: 'sketch',
  psi: 'sketch',
  jensenshannon: 'sketch',
  kl: 'sketch',
  hellinger: 'sketch',
  tvd: 'sketch',
  linf: 'sketch',
  cvm: 'raw',
  anderson: 'raw',
  chisquare: 'categories',
  ztest: 'categories',
  fisher: 'categories',
};

/** Methods that apply to categorical columns (all on exact category counts). */
export const CATEGORICAL_METHODS: readonly DriftMethod[] = ['chisquare', 'ztest', 'fisher', ...BINNED_METHODS];

/** Throws MW_ERR_DRIFT_METHOD unless `m` is a known method applicable to the column type. */
export function checkMethod(m: string, type: 'numeric' | 'categorical'): DriftMethod {
  if (!isDriftMethod(m)) throw new MwError('MW_ERR_DRIFT_METHOD', `${JSON.stringify(m)}: known methods are ${DRIFT_METHODS.join(', ')}`);
  if (type === 'categorical' && !CATEGORICAL_METHODS.includes(m)) throw new MwError('MW_ERR_DRIFT_METHOD', `${m} does not apply to categorical columns`);
  return m;
}

/** The per-column request: a method and threshold given by the caller, if any. */
export interface ColumnRequest {
  method?: DriftMethod;
  threshold?: number;
  /** The method is the global one: where it cannot apply (ztest on three categories), the column keeps its default. */
  global?: true;
}

/**
 * The caller's method and threshold for a column: per-column entries first, then the global ones.
 * A per-column method must apply to the column; a global method applies to the columns it can
 * (a global `ks` leaves categorical columns on their defaults, with the default threshold too).
 */
export function columnRequest(
  opts: { method?: string; threshold?: number; methods?: Record<string, string>; thresholds?: Record<string, number> },
  column: string,
  type: 'numeric' | 'categorical',
): ColumnRequest {
  const own = opts.methods?.[column];
  let method: DriftMethod | undefined;
  let globalSkipped = false;
  if (own !== undefined && own !== '') method = checkMethod(own, type);
  else if (opts.method !== undefined && opts.method !== '') {
    checkMethod(opts.method, 'numeric');
    if (type === 'numeric' || CATEGORICAL_METHODS.includes(opts.method as DriftMethod)) method = opts.method as DriftMethod;
    else globalSkipped = true;
  }
  const threshold = opts.thresholds?.[column] ?? (globalSkipped ? undefined : opts.threshold);
  if (threshold !== undefined && !Number.isFinite(threshold)) throw new MwError('MW_ERR_DRIFT_METHOD', `threshold for ${column} must be a finite number`);
  const fromGlobal = (own === undefined || own === '') && method !== undefined;
  return fromGlobal ? { method, threshold, global: true } : { method, threshold };
}

/** The threshold that applies: the caller's, else the method's default. */
export function thresholdFor(req: ColumnRequest, method: DriftMethod): number {
  return req.threshold ?? defaultThreshold(method);
}

/** True when the statistic (or p-value) means drift under the threshold (analyzer/stats' rule). */
export function isDrift(method: DriftMethod, statistic: number, pValue: number | null, threshold: number): boolean {
  return isDriftVerdict(method, statistic, pValue, threshold);
}
