/**
 * `modelwatch check --init`: a contract learnt from a reference file's facts, as a starting point
 * for the user to edit. Learnt so that the reference itself passes it.
 */
import { DEFAULT_MAX_SHARE, type ColumnContract, type Contract, type ContractType } from './contract.ts';
import type { Observed, ObservedType } from './observed.ts';

/** Options of learning: the null-rate margin and the most categories listed. */
export interface LearnOptions {
  /** Added to the reference's null rate for max_null_rate (default 0.05, capped at 1). */
  nullMargin?: number;
  /** Categories are listed when a column has at most this many (default 50); else none are. */
  maxCategories?: number;
  /**
   * min/max are the reference's extremes widened by this share of their span on each side (default
   * 0.1), rounded outward, never across zero. 0 keeps the extremes themselves.
   */
  rangeMargin?: number;
}

const TYPE: Record<ObservedType, ContractType | undefined> = {
  numeric: 'numeric', categorical: 'categorical', boolean: 'boolean', datetime: 'datetime', null: undefined, unsupported: undefined,
};

/** Rounds up to 4 decimals, so that the written limit is never below the value it came from. */
const ceil4 = (x: number) => Math.min(1, Math.ceil(x * 1e4 - 1e-9) / 1e4);

/** The number rounded to 12 significant digits: `3 * 0.1` prints as 0.3, not 0.30000000000000004. */
const tidy = (x: number) => Number(x.toPrecision(12));

/**
 * A learnt range: the extremes widened by `margin` of the span and rounded outward to a step of
 * about a tenth of the span (whole numbers for integer columns), so that a fresh sample of the same
 * data does not fail on a new extreme, while a column that was never negative stays non-negative.
 */
export function learntRange(min: number, max: number, margin: number, integer: boolean): { min: number; max: number } {
  const span = max - min;
  if (margin <= 0 || !(span > 0) || !Number.isFinite(span)) return { min, max };
  let step = 10 ** Math.floor(Math.log10(span * margin));
  if (integer) step = Math.max(1, step);
  let lo = tidy(Math.floor((min - span * margin) / step) * step);
  let hi = tidy(Math.ceil((max + span * margin) / step) * step);
  if (min >= 0) lo = Math.max(0, lo);
  if (max <= 0) hi = Math.min(0, hi);
  // Rounding to 12 digits must never cut into the observed range.
  return { min: Math.min(lo, min), max: Math.max(hi, max) };
}

/** Learns a contract from a reference file's facts: types, nullability, ranges, categories, drift defaults. */
export function learnContract(o: Pick<Observed, 'rows' | 'columns'>, opts: LearnOptions = {}): Contract {
  const margin = opts.nullMargin ?? 0.05;
  const maxCategories = opts.maxCategories ?? 50;
  const rangeMargin = opts.rangeMargin ?? 0.1;
  const columns: Record<string, ColumnContract> = {};
  for (const col of o.columns) {
    const c: ColumnContract = {};
    const type = TYPE[col.type];
    if (type) c.type = type;
    c.nullable = col.nulls > 0;
    if (c.nullable) c.max_null_rate = ceil4(Math.max(col.nulls / Math.max(o.rows, 1), 0) + margin);
    if (type === 'numeric') {
      if (col.min !== undefined && col.max !== undefined) Object.assign(c, learntRange(col.min, col.max, rangeMargin, col.detail === 'Int64'));
      if (col.nonFinite > 0) c.allow_infinite = true;
    }
    if (type === 'categorical' && col.categories && col.categoriesComplete !== false && col.categories.size > 0 && col.categories.size <= maxCategories) {
      c.categories = [...col.categories.keys()].sort();
      c.allow_new_categories = false;
    }
    columns[col.name] = c;
  }
  return { version: 1, columns, drift: { max_share: DEFAULT_MAX_SHARE }, allow_extra_columns: false };
}
