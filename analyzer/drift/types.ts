/** Shapes of a drift comparison (options, per-column verdicts, the report) and the categorical verdict. */
import { MwError } from '../../core/errors.ts';
import { testColumn, type Correction, type DriftMethod, type Frequencies } from '../stats/index.ts';
import { OTHER_CATEGORY } from './profile.ts';

/** Per-column method and threshold choices; anything not given follows the defaults. */
export interface DriftOptions {
  method?: string;
  threshold?: number;
  methods?: Record<string, string>;
  thresholds?: Record<string, number>;
  /** Share of drifted columns at which the dataset drifts (default 0.5). */
  driftShare?: number;
  /** Multiple-testing correction of p-value methods over the feature columns (default none). */
  correction?: Correction;
  /** Absolute rise of the null rate that counts as drift (default 0.05). */
  nullRateThreshold?: number;
  /** Time-window (rollup) sides: raw values read per side and column at most (default 100,000); raw-only methods sample beyond. */
  exactFetchLimit?: number;
  /** File and raw-row sides: up to this many values per side every method is exact (default 1,000,000). */
  exactLimit?: number;
  /** Called after each column is compared (progress bars). */
  onProgress?: (done: number, total: number) => void;
}

/** The verdict for one column. */
export interface ColumnDrift {
  column: string;
  type: 'numeric' | 'categorical';
  method: string;
  statistic: number;
  p_value: number | null;
  threshold: number;
  drift: boolean;
  /** 'nodata' when one side has no values. */
  status: 'ok' | 'drift' | 'nodata';
  /**
   * 'exact' (raw values or exact counts), 'sketch' (quantile sketches), 'mixed' (raw values on one
   * side, a sketch on the other) or 'sampled' (a uniform sample of a side larger than the fetch limit).
   */
  path: 'exact' | 'sketch' | 'mixed' | 'sampled';
  reference_n: number;
  current_n: number;
  /** Numeric columns: quantiles of each side at the levels `p` (exact where the values were read, else from the sketch). */
  quantiles?: { p: number[]; reference: number[]; current: number[] };
  /** Data for reports: reference and current shares over common bins or categories. */
  bins?: { labels: string[]; reference: number[]; current: number[] };
  unseen?: string[];
  /** Share of rows where the column is null (empty, NaN, null tokens), per side. */
  null_rate?: { reference: number; current: number };
  /** +-inf values per side: counted, never part of a statistic. */
  non_finite?: { reference: number; current: number };
  /** A type conflict between the two files that was resolved (integer vs float, number vs numeric text). */
  note?: string;
  /** Method details: p-value method, sample sizes, p-value before correction. */
  details?: Record<string, unknown>;
}

/** The null rate of a column on both sides. */
export interface NullRate {
  column: string;
  reference: number;
  current: number;
  drift: boolean;
  threshold: number;
}

/** Everything a drift comparison yields. */
export interface DriftReport {
  columns: ColumnDrift[];
  dataset: { columns: number; drifted: number; share: number; drift: boolean; threshold: number };
  nullRates: NullRate[];
  /** Columns present on one side only, or with different types. */
  schema: { added: string[]; removed: string[]; typeChanged: string[] };
  /** Every column not compared, with its reason (only on one side, types differ, all null, unsupported type, index column). */
  skipped: { column: string; reason: string }[];
  referenceRows: number;
  currentRows: number;
}

/** Counts divided by their total (zeros when empty). */
export function shares(v: ArrayLike<number>): number[] {
  let t = 0;
  for (let i = 0; i < v.length; i++) t += v[i];
  return Array.from(v, (x) => (t > 0 ? x / t : 0));
}

type Verdict = Pick<ColumnDrift, 'method' | 'threshold' | 'statistic' | 'p_value' | 'drift' | 'status' | 'bins' | 'unseen' | 'note'>;

/**
 * A categorical verdict on two frequency tables, by analyzer/stats testColumn (the default method
 * by Evidently's rule when `method` is undefined). Unseen categories are reported, never fatal.
 */
export function categoricalVerdict(
  column: string, method: DriftMethod | undefined, threshold: number | undefined, ref: Map<string, number>, cur: Map<string, number>, fallback = false,
): Verdict {
  let res;
  let note: string | undefined;
  try {
    res = testColumn({ type: 'categorical', reference: ref as Frequencies, current: cur as Frequencies, method, threshold });
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    // A method asked for every column (ztest, fisher) that cannot apply to this one: its default instead, said.
    if (!fallback) throw new MwError('MW_ERR_DRIFT_METHOD', `column ${column}: ${err.message}`, { column }, { cause: err });
    res = testColumn({ type: 'categorical', reference: ref as Frequencies, current: cur as Frequencies });
    note = `${method} does not apply (${err.message}); default method used`;
  }
  const labels = [...new Set([...ref.keys(), ...cur.keys()])].sort();
  const unseen = ((res.details?.unseen as string[] | undefined) ?? []).filter((k) => k !== OTHER_CATEGORY);
  const skipped = res.details !== undefined && 'skipped' in res.details;
  return {
    method: res.method, threshold: res.threshold, statistic: res.statistic, p_value: res.p_value, drift: res.drift,
    status: skipped ? 'nodata' : res.drift ? 'drift' : 'ok',
    bins: { labels, reference: shares(labels.map((k) => ref.get(k) ?? 0)), current: shares(labels.map((k) => cur.get(k) ?? 0)) },
    unseen,
    ...(note ? { note } : {}),
  };
}
