/**
 * Feature names and values: validation and normalisation into flat `ml.feature.<name>` attributes.
 * Runs off the host's hot path, when queued records are converted in batches.
 */
import { FEATURE_PREFIX, type InvalidValueReason } from './semconv.ts';

/** What a feature may hold. `null` (or `undefined`) means "missing". */
export type FeatureValue = number | string | boolean | null;

/** A prediction's inputs, keyed by feature name. */
export type Features = Readonly<Record<string, FeatureValue | undefined>>;

/** Feature names: a letter or underscore, then up to 127 letters, digits, `_`, `.` or `-`. */
export const FEATURE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

/** True when `name` may be used as a feature name. */
export function isValidFeatureName(name: string): boolean {
  return FEATURE_NAME_PATTERN.test(name);
}

/** Counts of values the SDK replaced or removed, by reason. */
export type InvalidCounts = Record<InvalidValueReason, number>;

export function emptyInvalidCounts(): InvalidCounts {
  return { invalid_name: 0, non_finite: 0, unsupported_type: 0 };
}

/**
 * Maps a feature name to its attribute key (`ml.feature.<name>`), or null for an invalid name.
 * Memoised: model servers send the same few names over and over. The memo is bounded so that
 * a host sending unbounded distinct names cannot grow it without limit.
 */
export class FeatureKeyCache {
  private readonly keys = new Map<string, string | null>();
  constructor(private readonly limit = 4096) {}

  key(name: string): string | null {
    const hit = this.keys.get(name);
    if (hit !== undefined) return hit;
    const key = isValidFeatureName(name) ? FEATURE_PREFIX + name : null;
    if (this.keys.size < this.limit) this.keys.set(name, key);
    return key;
  }
}

/**
 * Normalises one value to what goes on the wire: finite numbers, strings and booleans pass;
 * null/undefined stay null; NaN and +-Infinity become null (counted `non_finite`); a bigint
 * becomes a number when it is exactly representable; anything else becomes null (counted
 * `unsupported_type`).
 */
export function normaliseValue(value: unknown, counts: InvalidCounts): FeatureValue {
  switch (typeof value) {
    case 'number':
      if (Number.isFinite(value)) return value;
      counts.non_finite++;
      return null;
    case 'string':
    case 'boolean':
      return value;
    case 'undefined':
      return null;
    case 'bigint': {
      const n = Number(value);
      if (Number.isSafeInteger(n)) return n;
      counts.unsupported_type++;
      return null;
    }
    default:
      if (value === null) return null;
      counts.unsupported_type++;
      return null;
  }
}

/**
 * Writes `features` into `attrs` as `ml.feature.<name>` attributes, dropping (and counting)
 * invalid names and normalising values. Returns the number of features written.
 */
export function writeFeatureAttributes(
  features: unknown,
  attrs: Record<string, FeatureValue>,
  cache: FeatureKeyCache,
  counts: InvalidCounts,
): number {
  if (features === null || typeof features !== 'object') return 0;
  let written = 0;
  const obj = features as Record<string, unknown>;
  for (const name in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, name)) continue;
    const key = cache.key(name);
    if (key === null) {
      counts.invalid_name++;
      continue;
    }
    attrs[key] = normaliseValue(obj[name], counts);
    written++;
  }
  return written;
}
