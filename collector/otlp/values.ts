// Accessors that read OTLP values the same way whether they came from protobuf (protobufjs
// messages: Long, Uint8Array, unset fields not own) or from OTLP/JSON (strings for 64-bit
// integers, hex ids, absent keys).

const hasOwn = Object.prototype.hasOwnProperty;

/** A feature or attribute value after decoding: the scalar kinds modelwatch stores. */
export type Scalar = string | number | boolean | null;

/** Marker for AnyValue kinds that are not scalars (arrays, maps, bytes). */
export const NON_SCALAR = Symbol('non-scalar');

/** Converts an int64 in any of its decoded forms to a JS number. */
export function int64ToNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return NaN;
}

/** Converts an unsigned 64-bit nanosecond timestamp to its decimal string ('0' when unset). */
export function nanosToString(v: unknown): string {
  if (v === undefined || v === null) return '0';
  if (typeof v === 'string') return /^\d+$/.test(v) ? v.replace(/^0+(?=\d)/, '') : 'NaN';
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? BigInt(Math.trunc(v)).toString() : 'NaN';
  if (typeof (v as { toString?: unknown }).toString === 'function' && typeof (v as { low?: unknown }).low === 'number') {
    return (v as { toString(): string }).toString();
  }
  return 'NaN';
}

/** Decimal seconds with 9 fractional digits, from a nanosecond string, for DateTime64(9) columns. */
export function nanosToSeconds(ns: string): string {
  const padded = ns.padStart(10, '0');
  return `${padded.slice(0, -9)}.${padded.slice(-9)}`;
}

/** Milliseconds since the epoch from a nanosecond string (integer division). */
export function nanosToMillis(ns: string): number {
  return ns.length <= 6 ? 0 : Number(ns.slice(0, -6));
}

// 2^32 = 4294 * 10^6 + 967296: lets the division by 10^6 run on exact doubles (all below 2^53).
const Q32 = 4294;
const R32 = 967296;

/**
 * Milliseconds from an unsigned 64-bit nanosecond count given as two 32-bit halves, without a
 * BigInt or a decimal string: the same double as nanosToMillis() of its decimal text.
 */
export function fixed64Millis(hi: number, lo: number): number {
  const low = hi * R32 + lo;
  return hi * Q32 + (low - (low % 1e6)) / 1e6;
}

/** Reads a scalar from an AnyValue; NON_SCALAR for arrays, maps and bytes; null when empty. */
export function anyValueScalar(v: any): Scalar | typeof NON_SCALAR {
  if (v === undefined || v === null) return null;
  if (hasOwn.call(v, 'stringValue')) return v.stringValue as string;
  if (hasOwn.call(v, 'doubleValue')) return typeof v.doubleValue === 'number' ? v.doubleValue : Number(v.doubleValue);
  if (hasOwn.call(v, 'intValue')) return int64ToNumber(v.intValue);
  if (hasOwn.call(v, 'boolValue')) return v.boolValue === true || v.boolValue === 'true';
  if (hasOwn.call(v, 'arrayValue') || hasOwn.call(v, 'kvlistValue') || hasOwn.call(v, 'bytesValue')) return NON_SCALAR;
  return null;
}

/** Renders any AnyValue as a string, for string-map columns (arrays and maps as JSON). */
export function anyValueString(v: any): string {
  return scalarString(anyValueScalar(v), v);
}

/** anyValueString() when the scalar `s` of AnyValue `v` is known already. */
export function scalarString(s: Scalar | typeof NON_SCALAR, v: unknown): string {
  if (s === null) return '';
  if (s !== NON_SCALAR) return String(s);
  return JSON.stringify(anyValueJson(v));
}

function anyValueJson(v: any): unknown {
  const s = anyValueScalar(v);
  if (s !== NON_SCALAR) return s;
  if (hasOwn.call(v, 'arrayValue')) return (v.arrayValue?.values ?? []).map(anyValueJson);
  if (hasOwn.call(v, 'kvlistValue')) {
    const out: Record<string, unknown> = {};
    for (const kv of v.kvlistValue?.values ?? []) out[kv.key] = anyValueJson(kv.value);
    return out;
  }
  const b = v.bytesValue;
  return typeof b === 'string' ? b : Buffer.from(b ?? []).toString('base64');
}

/** Flattens a KeyValue list into a string map. */
export function attributesToStringMap(attrs: any[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!attrs) return out;
  for (const kv of attrs) if (kv && typeof kv.key === 'string') out[kv.key] = anyValueString(kv.value);
  return out;
}

/** Trace and span ids: hex in OTLP/JSON, bytes in protobuf; both stored as lowercase hex. */
export function idToHex(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v.toLowerCase();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  return '';
}
