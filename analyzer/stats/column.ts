/** Per-column drift test with method/threshold overrides, and dataset-level drift. */
import { andersonSorted } from './anderson.ts';
import { BINNED_METHODS, binnedMeasure, binSortedByReferenceQuantiles, DEFAULT_BINS, type BinnedMethod } from './binned.ts';
import {
  alignFrequencies,
  chisquareCounts,
  countCategories,
  fisherCounts,
  ztestCounts,
  type Frequencies,
} from './categorical.ts';
import { chooseMethod, defaultThreshold, isDriftVerdict, isPValueMethod, type ColumnType, type DriftMethod } from './choose.ts';
import { cvmSorted } from './cvm.ts';
import { energySorted } from './energy.ts';
import { ksSorted } from './ks.ts';
import { countDistinctSorted, nullRates, sortedFinite, type NullRates } from './util.ts';
import { wassersteinSorted } from './wasserstein.ts';

/** Raw values (nulls allowed) or, for categorical columns, category frequencies. */
export type ColumnValues = ArrayLike<unknown> | Frequencies;

export interface ColumnTestInput {
  type: ColumnType;
  reference: ColumnValues;
  current: ColumnValues;
  method?: DriftMethod;
  threshold?: number;
  /** Quantile bins for binned measures on numeric columns (default 10). */
  bins?: number;
}

export interface ColumnResult {
  method: DriftMethod;
  statistic: number;
  /** null for distance methods. */
  p_value: number | null;
  threshold: number;
  drift: boolean;
  details?: Record<string, unknown>;
}

const NUMERIC_ONLY = new Set<DriftMethod>(['ks', 'cvm', 'anderson', 'wasserstein', 'energy']);

function isFrequencies(v: ColumnValues): v is Frequencies {
  if (v instanceof Map) return true;
  return typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !Array.isArray(v) && typeof (v as { length?: unknown }).length !== 'number';
}

function toFrequencies(v: ColumnValues): Frequencies {
  return isFrequencies(v) ? v : countCategories(Array.from(v as ArrayLike<unknown>));
}

function total(counts: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < counts.length; i++) s += counts[i];
  return s;
}

/** Drift test for one column: the default method unless one is given; never throws on nulls or empty sides. */
export function testColumn(input: ColumnTestInput): ColumnResult {
  const { type } = input;
  const details: Record<string, unknown> = {};
  const raw = !isFrequencies(input.reference) && !isFrequencies(input.current);
  if (raw) details.null_rates = nullRates(input.reference as ArrayLike<unknown>, input.current as ArrayLike<unknown>) satisfies NullRates;

  if (type === 'numeric') {
    if (!raw) throw new TypeError('numeric columns take value arrays, not frequencies');
    const ref = sortedFinite(input.reference as ArrayLike<number>);
    const cur = sortedFinite(input.current as ArrayLike<number>);
    let method = input.method;
    let asCategories = false;
    if (method === undefined) {
      const unique = countDistinctSorted(ref, cur);
      method = chooseMethod({ type, referenceSize: ref.length, uniqueValues: unique }).method;
      // Low-cardinality numeric columns are compared as categories, not quantile bins.
      asCategories = !NUMERIC_ONLY.has(method);
    } else if (method === 'chisquare' || method === 'ztest' || method === 'fisher') {
      asCategories = true;
    }
    const threshold = input.threshold ?? defaultThreshold(method);
    if (ref.length === 0 || cur.length === 0) return skipped(method, threshold, ref.length === 0 ? 'empty_reference' : 'empty_current', details);
    if (asCategories) {
      return categoricalTest(method, threshold, countCategories(ref), countCategories(cur), details);
    }
    return numericTest(method, threshold, ref, cur, input.bins ?? DEFAULT_BINS, details);
  }

  const ref = toFrequencies(input.reference);
  const cur = toFrequencies(input.current);
  let method = input.method;
  if (method !== undefined && NUMERIC_ONLY.has(method)) {
    throw new RangeError(`method ${method} needs a numeric column`);
  }
  const aligned = alignFrequencies(ref, cur);
  if (method === undefined) {
    let unique = 0;
    for (let i = 0; i < aligned.categories.length; i++) if (aligned.reference[i] + aligned.current[i] > 0) unique++;
    method = chooseMethod({ type, referenceSize: total(aligned.reference), uniqueValues: unique }).method;
  }
  const threshold = input.threshold ?? defaultThreshold(method);
  return categoricalTest(method, threshold, ref, cur, details);
}

function verdict(method: DriftMethod, statistic: number, p: number | null, threshold: number, details: Record<string, unknown>): ColumnResult {
  return { method, statistic, p_value: p, threshold, drift: isDriftVerdict(method, statistic, p, threshold), details };
}

function skipped(method: DriftMethod, threshold: number, reason: string, details: Record<string, unknown>): ColumnResult {
  details.skipped = reason;
  return { method, statistic: 0, p_value: isPValueMethod(method) ? 1 : null, threshold, drift: false, details };
}

function numericTest(
  method: DriftMethod,
  threshold: number,
  ref: Float64Array,
  cur: Float64Array,
  bins: number,
  details: Record<string, unknown>,
): ColumnResult {
  switch (method) {
    case 'ks': {
      const r = ksSorted(ref, cur);
      details.p_method = r.p_method;
      return verdict(method, r.statistic, r.p_value, threshold, details);
    }
    case 'cvm': {
      const r = cvmSorted(ref, cur);
      details.p_method = r.p_method;
      return verdict(method, r.statistic, r.p_value, threshold, details);
    }
    case 'anderson': {
      const r = andersonSorted([ref, cur]);
      details.critical_values = r.critical_values;
      if (r.degenerate) details.degenerate = r.degenerate;
      return verdict(method, r.statistic, r.p_value, threshold, details);
    }
    case 'wasserstein': {
      const r = wassersteinSorted(ref, cur);
      details.distance = r.distance;
      details.reference_std = r.reference_std;
      return verdict(method, r.statistic, null, threshold, details);
    }
    case 'energy':
      return verdict(method, energySorted(ref, cur), null, threshold, details);
    default: {
      if (!(BINNED_METHODS as readonly string[]).includes(method)) throw new RangeError(`unknown method ${method}`);
      const b = binSortedByReferenceQuantiles(ref, cur, bins);
      details.edges = Array.from(b.edges);
      details.reference_counts = Array.from(b.reference);
      details.current_counts = Array.from(b.current);
      return verdict(method, binnedMeasure(method as BinnedMethod, b.reference, b.current), null, threshold, details);
    }
  }
}

function categoricalTest(
  method: DriftMethod,
  threshold: number,
  ref: Frequencies,
  cur: Frequencies,
  details: Record<string, unknown>,
): ColumnResult {
  const a = alignFrequencies(ref, cur);
  details.unseen = a.unseen;
  details.missing = a.missing;
  const nRef = total(a.reference);
  const nCur = total(a.current);
  if (nRef === 0 || nCur === 0) return skipped(method, threshold, nRef === 0 ? 'empty_reference' : 'empty_current', details);
  switch (method) {
    case 'chisquare': {
      const r = chisquareCounts(a.reference, a.current);
      details.dof = r.dof;
      return verdict(method, r.statistic, r.p_value, threshold, details);
    }
    case 'ztest':
    case 'fisher': {
      if (a.categories.length > 2) throw new RangeError(`${method} needs at most two categories, got ${a.categories.length}`);
      const [r0, r1] = [a.reference[0] ?? 0, a.reference[1] ?? 0];
      const [c0, c1] = [a.current[0] ?? 0, a.current[1] ?? 0];
      const r = method === 'ztest' ? ztestCounts(r0, r0 + r1, c0, c0 + c1) : fisherCounts(r0, r1, c0, c1);
      return verdict(method, r.statistic, r.p_value, threshold, details);
    }
    default: {
      if (!(BINNED_METHODS as readonly string[]).includes(method)) throw new RangeError(`method ${method} does not apply to categories`);
      return verdict(method, binnedMeasure(method as BinnedMethod, a.reference, a.current), null, threshold, details);
    }
  }
}

export type Correction = 'none' | 'bonferroni' | 'bh';

export interface DatasetDriftResult<T extends ColumnResult = ColumnResult> {
  /** Column results, with p-values and drift flags adjusted when a correction applies. */
  columns: (T & { p_value_raw?: number | null })[];
  drifted: number;
  share: number;
  drift: boolean;
}

/**
 * Dataset drift: share of drifted columns, drift when share >= `share` (default 0.5). Bonferroni or
 * Benjamini–Hochberg adjust p-value methods only; distance methods keep their verdict.
 */
export function datasetDrift<T extends ColumnResult>(
  columnResults: readonly T[],
  { share = 0.5, correction = 'none' }: { share?: number; correction?: Correction } = {},
): DatasetDriftResult<T> {
  const columns = columnResults.map((c) => ({ ...c }) as T & { p_value_raw?: number | null });
  const tested = columns.filter((c) => c.p_value !== null && !(c.details && 'skipped' in c.details));
  const m = tested.length;
  if (correction !== 'none' && m > 0) {
    const adjusted = new Map<(typeof columns)[number], number>();
    if (correction === 'bonferroni') {
      for (const c of tested) adjusted.set(c, Math.min(1, (c.p_value as number) * m));
    } else {
      // Step-up: adjusted p_(i) = min_{j >= i} p_(j) * m / j, capped at 1.
      const order = [...tested].sort((x, y) => (x.p_value as number) - (y.p_value as number));
      let running = 1;
      for (let i = m - 1; i >= 0; i--) {
        running = Math.min(running, ((order[i].p_value as number) * m) / (i + 1));
        adjusted.set(order[i], Math.min(1, running));
      }
    }
    for (const [c, p] of adjusted) {
      c.p_value_raw = c.p_value;
      c.p_value = p;
      c.drift = p < c.threshold;
    }
  }
  const drifted = columns.filter((c) => c.drift).length;
  const s = columns.length === 0 ? 0 : drifted / columns.length;
  return { columns, drifted, share: s, drift: columns.length > 0 && s >= share };
}
