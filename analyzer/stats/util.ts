/** Shared helpers for the drift statistics: input cleaning, sorting, null rates. */

/** A numeric column as it arrives: nulls, undefined and non-finite values are allowed and skipped. */
export type NumericInput = ArrayLike<number | null | undefined>;

/** True when a typed array is already sorted ascending and holds only finite values. */
function isSortedFinite(v: Float64Array): boolean {
  let prev = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!(x >= prev) || !Number.isFinite(x)) return false;
    prev = x;
  }
  return true;
}

/**
 * Sorted finite values of a column (nulls, NaN and ±Infinity dropped): a copy, except that an
 * input that is already a sorted, finite Float64Array (values ClickHouse sorted) is returned as
 * it is, one linear check instead of a copy and a sort. Callers never modify the result.
 */
export function sortedFinite(values: NumericInput): Float64Array {
  if (values instanceof Float64Array && isSortedFinite(values)) return values;
  const n = values.length;
  // Typed-array sort is numeric and avoids boxing; over-allocate once, then trim.
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === 'number' && Number.isFinite(v)) out[k++] = v;
  }
  const trimmed = k === n ? out : out.slice(0, k);
  trimmed.sort();
  return trimmed;
}

/** Null rates of both sides, reported as their own drift signal. */
export interface NullRates {
  reference: number;
  current: number;
  /** current - reference */
  delta: number;
}

function nullRate(values: ArrayLike<unknown>): number {
  const n = values.length;
  if (n === 0) return 0;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) nulls++;
  }
  return nulls / n;
}

/** Share of missing values (null, undefined, NaN, ±Infinity) on each side; 0 for an empty side. */
export function nullRates(reference: ArrayLike<unknown>, current: ArrayLike<unknown>): NullRates {
  const r = nullRate(reference);
  const c = nullRate(current);
  return { reference: r, current: c, delta: c - r };
}

/** Number of distinct values in the union of two sorted arrays. */
export function countDistinctSorted(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let count = 0;
  let last = NaN;
  while (i < a.length || j < b.length) {
    const v = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (v !== last) {
      count++;
      last = v;
    }
  }
  return count;
}

/** Greatest common divisor of two non-negative integers. */
export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** Python-style floor division for floats (floor of the exact quotient, as `//` does). */
export function floorDiv(a: number, b: number): number {
  // fmod is exact, so (a - mod) / b is an exact integer quotient unless it overflows.
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1;
  const r = Math.floor(div);
  return div - r > 0.5 ? r + 1 : r;
}
