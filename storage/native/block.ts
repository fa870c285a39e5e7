import os from 'node:os';
import { FeatureList } from '../../core/features.ts';
import { ByteWriter } from './bytes.ts';

/**
 * Column kinds the Native encoder writes, named by the type the block declares. The block carries
 * plain types (String, not LowCardinality(String)): ClickHouse converts them to the table's
 * types on insert, for less than the cost of reading them from JSON (BENCHMARKS.md, Ingest).
 */
export type ColumnKind =
  | 'DateTime64(3)'
  | 'String'
  | 'Nullable(Float64)'
  | 'Nullable(String)'
  | 'Map(String, Float64)'
  | 'Map(String, String)'
  | 'Array(String)';

/** One column of a table the writer sends in Native format. */
export interface NativeColumn {
  name: string;
  kind: ColumnKind;
}

/** The type a block declares for a column of this kind. */
export function typeName(kind: ColumnKind): string {
  return kind === 'DateTime64(3)' ? "DateTime64(3, 'UTC')" : kind;
}

/** A row value the encoder does not take (a type or range outside its fast path). */
class Unencodable extends Error {}

// DateTime64(3) reads any Int64, but JSON text past 2299-12-31 is refused: keep the two paths alike.
const MAX_TS_MS = Date.UTC(2300, 0, 1) - 1;
const LITTLE_ENDIAN = os.endianness() === 'LE';

let scratch = new Float64Array(1 << 16);
let nulls = new Uint8Array(1 << 12);
let ends = new Uint32Array(1 << 13);
/**
 * Scratch for `n` UInt64 offsets as 32-bit halves, low words at even indexes (an offset never
 * reaches 2^32), copied into the block at once instead of two writes per row.
 */
function offsets(n: number): Uint32Array {
  // Only the low words are ever written: the high ones keep the zeros they were made with.
  if (ends.length < 2 * n) ends = new Uint32Array(Math.max(2 * n, ends.length * 2));
  return ends;
}
/** The scratch array for `n` values; growing it keeps its first `keep` values. */
function floats(n: number, keep = 0): Float64Array {
  if (scratch.length < n) {
    const next = new Float64Array(Math.max(n, scratch.length * 2));
    next.set(scratch.subarray(0, keep));
    scratch = next;
  }
  return scratch;
}

// A lone UTF-16 surrogate has no UTF-8 form: ClickHouse refuses it in JSON text, and so does this.
function str(w: ByteWriter, v: unknown): void {
  if (typeof v !== 'string' || !w.string(v)) throw new Unencodable();
}

function writeStrings(w: ByteWriter, rows: readonly Record<string, unknown>[], name: string, nullable: boolean): void {
  const n = rows.length;
  if (nullable) {
    const at = w.reserve(n);
    for (let i = 0; i < n; i++) w.buf[at + i] = rows[i][name] === null || rows[i][name] === undefined ? 1 : 0;
  }
  // Rows in a run with the previous row's value are written as one repeat of its bytes.
  let prev: unknown = undefined;
  let prevAt = 0;
  let run = 0;
  for (let i = 0; i < n; i++) {
    const raw = rows[i][name];
    const v = raw === undefined || (nullable && raw === null) ? '' : raw;
    if (v === prev) {
      run++;
      continue;
    }
    w.repeatFrom(prevAt, run);
    run = 0;
    prevAt = w.pos;
    str(w, v);
    prev = v;
  }
  w.repeatFrom(prevAt, run);
}

function writeNullableFloats(w: ByteWriter, rows: readonly Record<string, unknown>[], name: string): void {
  const n = rows.length;
  const values = floats(n);
  if (nulls.length < n) nulls = new Uint8Array(Math.max(n, nulls.length * 2));
  for (let i = 0; i < n; i++) {
    const v = rows[i][name];
    // JSON text has no NaN or Infinity (JSON.stringify writes null): nor does this column.
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) {
      nulls[i] = 1;
      values[i] = 0;
    } else if (typeof v === 'number') {
      nulls[i] = 0;
      values[i] = v + 0; // -0 -> 0, as JSON text writes it
    } else throw new Unencodable();
  }
  w.ensure(n);
  w.buf.set(nulls.subarray(0, n), w.pos);
  w.pos += n;
  w.f64s(values, n);
}

function writeTimestamps(w: ByteWriter, rows: readonly Record<string, unknown>[], name: string): void {
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_TS_MS) throw new Unencodable();
    w.u64(v);
  }
}

// The encoded keys of a FeatureList's shared names array (its strings, length-prefixed, one after
// the other): written once per names array instead of once per row.
const keyBytes = new WeakMap<readonly string[], Buffer>();
function namesBytes(names: readonly string[]): Buffer {
  let b = keyBytes.get(names);
  if (b === undefined) {
    const kw = new ByteWriter(names.length * 16 + 16);
    for (const k of names) str(kw, k);
    b = Buffer.from(kw.bytes());
    keyBytes.set(names, b);
  }
  return b;
}

// One value of a map: a finite number into `values` at `at` (numeric maps), else a string onto `texts`.
function mapValue(v: unknown, numeric: boolean, values: Float64Array, at: number, texts: string[]): void {
  if (numeric) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Unencodable();
    values[at] = v + 0;
  } else {
    if (typeof v !== 'string') throw new Unencodable();
    texts.push(v);
  }
}

// Map(K, V) in Native: every row's end offset (UInt64, cumulative), then all keys, then all values.
function writeMaps(w: ByteWriter, rows: readonly Record<string, unknown>[], name: string, numeric: boolean): void {
  const n = rows.length;
  const offsetsAt = w.reserve(8 * n);
  const ends = offsets(n);
  let total = 0;
  let values = floats(1024);
  const texts: string[] = [];
  // Rows sharing one names list (a run) get their keys as one repeat of the list's bytes.
  let lastNames: readonly string[] | null = null;
  let runAt = 0;
  let run = 0;
  for (let i = 0; i < n; i++) {
    const m = rows[i][name];
    if (m instanceof FeatureList) {
      const names: readonly string[] = m.names;
      const vs: unknown[] = m.values;
      const k = names.length;
      if (k > 0) {
        if (names === lastNames) run++;
        else {
          w.repeatFrom(runAt, run);
          run = 0;
          lastNames = names;
          const bytes = namesBytes(names);
          runAt = w.pos;
          w.ensure(bytes.length);
          w.buf.set(bytes, w.pos);
          w.pos += bytes.length;
        }
        // The loops are inline: a double passed to a call that is not inlined is boxed first.
        if (numeric) {
          if (total + k > values.length) values = floats(2 * (total + k), total);
          for (let j = 0; j < k; j++) {
            const x = vs[j];
            if (typeof x !== 'number' || x - x !== 0) throw new Unencodable();
            values[total + j] = x + 0;
          }
        } else {
          for (let j = 0; j < k; j++) {
            const x = vs[j];
            if (typeof x !== 'string') throw new Unencodable();
            texts.push(x);
          }
        }
        total += k;
      }
    } else if (m !== undefined) {
      if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new Unencodable();
      w.repeatFrom(runAt, run);
      run = 0;
      lastNames = null;
      const obj = m as Record<string, unknown>;
      for (const k in obj) {
        str(w, k);
        if (numeric && total >= values.length) values = floats(total * 2, total);
        mapValue(obj[k], numeric, values, total++, texts);
      }
    }
    ends[2 * i] = total;
  }
  w.repeatFrom(runAt, run);
  w.buf.set(new Uint8Array(ends.buffer, 0, 8 * n), offsetsAt);
  if (numeric) w.f64s(values, total);
  else for (const t of texts) str(w, t);
}

// Array(String) in Native: every row's end offset, then all elements.
function writeStringArrays(w: ByteWriter, rows: readonly Record<string, unknown>[], name: string): void {
  const n = rows.length;
  const offsetsAt = w.reserve(8 * n);
  const ends = offsets(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const a = rows[i][name];
    if (a !== undefined) {
      if (!Array.isArray(a)) throw new Unencodable();
      for (const v of a) str(w, v);
      total += a.length;
    }
    ends[2 * i] = total;
  }
  w.buf.set(new Uint8Array(ends.buffer, 0, 8 * n), offsetsAt);
}

/**
 * Encodes rows (objects keyed by column name) as one block of ClickHouse's Native format, the
 * columnar binary format ClickHouse reads with no text parsing. A missing value takes the
 * column's default, as in JSONEachRow. Returns null when a value is outside what the encoder
 * takes (a type other than the column's, a timestamp out of DateTime64's range, a lone
 * surrogate): the caller sends those rows as JSON text, where ClickHouse judges them as before.
 */
export function encodeNativeBlock(columns: readonly NativeColumn[], rows: readonly object[], w = new ByteWriter(rows.length * 384 + 1024)): Buffer | null {
  if (!LITTLE_ENDIAN) return null;
  const rs = rows as readonly Record<string, unknown>[];
  try {
    w.varUInt(columns.length);
    w.varUInt(rows.length);
    for (const c of columns) {
      str(w, c.name);
      str(w, typeName(c.kind));
      switch (c.kind) {
        case 'DateTime64(3)': writeTimestamps(w, rs, c.name); break;
        case 'String': writeStrings(w, rs, c.name, false); break;
        case 'Nullable(String)': writeStrings(w, rs, c.name, true); break;
        case 'Nullable(Float64)': writeNullableFloats(w, rs, c.name); break;
        case 'Map(String, Float64)': writeMaps(w, rs, c.name, true); break;
        case 'Map(String, String)': writeMaps(w, rs, c.name, false); break;
        case 'Array(String)': writeStringArrays(w, rs, c.name); break;
      }
    }
  } catch (err) {
    if (err instanceof Unencodable) return null;
    throw err;
  }
  return w.bytes();
}
