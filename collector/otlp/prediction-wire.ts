/**
 * The fused reader of `ml.prediction` log records (see logs-wire.ts): attributes go straight from
 * the protobuf bytes into a PredictionDraft, through the semantics of prediction-log.ts, with no
 * KeyValue or AnyValue objects for the common single-scalar values. Every read is the one
 * logRecord()/keyValue()/anyValue() would make, so malformed input throws exactly where it does
 * there; values of any other shape are read by anyValue() itself.
 */
import { applyPredictionAttribute, closePrediction, featureName, KEY, openPrediction, PredictionDraft, predictionKeyCode } from './prediction-log.ts';
import { featureCollector, validName } from '../predictions/features.ts';
import { anyValueScalar, fixed64Millis, NON_SCALAR, type Scalar } from './values.ts';
import { anyValue, expect, FIXED64, LEN, sub, VARINT, type R } from './wire.ts';

const EVENT = Buffer.from('ml.prediction');
// Tag bytes of single-field AnyValues (field << 3 | wire type).
const TAG_STRING = 0x0a;
const TAG_BOOL = 0x10;
const TAG_INT = 0x18;
const TAG_DOUBLE = 0x21;

function sameBytes(buf: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (buf[at + i] !== want[i]) return false;
  return true;
}

/**
 * Looks ahead for the event name (field 12, the last one wins), which follows the attributes.
 * A hint only, never an error: prediction() checks the name it actually reads, and a record this
 * answers false for is read by logRecord(), which gives a prediction the same row more slowly. So
 * the scan walks the bytes itself (one-byte tags and short varints inline, no reader calls) and
 * answers false for anything unusual: a tag of more than two bytes, a group, a bad length.
 */
export function isPrediction(r: R, end: number): boolean {
  const buf = r.buf;
  if (end > buf.length) return false;
  let p = r.pos;
  let at = -1;
  let len = 0;
  while (p < end) {
    let tag = buf[p++];
    if (tag >= 0x80) {
      const b = buf[p++];
      if (b >= 0x80) return false;
      tag = (tag & 0x7f) | (b << 7);
    }
    switch (tag & 7) {
      case VARINT:
        while (p < end && buf[p] >= 0x80) p++;
        p++;
        break;
      case FIXED64: p += 8; break;
      case 5: p += 4; break;
      case LEN: {
        let n = 0;
        let scale = 1;
        for (let i = 0; ; i++) {
          if (i === 5 || p >= end) return false;
          const b = buf[p++];
          n += (b & 0x7f) * scale;
          if (b < 0x80) break;
          scale *= 128;
        }
        if (tag === (12 << 3 | LEN)) {
          at = p;
          len = n;
        }
        p += n;
        break;
      }
      default: return false;
    }
  }
  return p === end && at >= 0 && len === EVENT.length && sameBytes(buf, at, EVENT);
}

/**
 * Reads an ml.prediction record with the reads logRecord() makes, into a closed draft; null when
 * the event name read is not ml.prediction after all.
 */
export function prediction(r: R, end: number): PredictionDraft | null {
  const d = openPrediction();
  let tHi = 0, tLo = 0, oHi = 0, oLo = 0;
  let slot = 0;
  let evAt = -1, evLen = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    // Fields a prediction does not use are still read as logRecord() reads them (same errors).
    switch (tag >>> 3) {
      case 1: if (expect(r, wire, FIXED64)) { tLo = r.fixed32(); tHi = r.fixed32(); } break;
      case 2: if (expect(r, wire, VARINT)) r.int32(); break;
      case 3: if (expect(r, wire, LEN)) r.skip(r.size()); break;
      case 5: if (expect(r, wire, LEN)) anyValue(r, sub(r)); break;
      case 6:
        if (expect(r, wire, LEN)) {
          if (!knownAttribute(r, d, slot)) attribute(r, sub(r), d, slot);
          slot++;
        }
        break;
      case 9: if (expect(r, wire, LEN)) d.traceId = hexBytes(r); break;
      case 10: if (expect(r, wire, LEN)) d.spanId = hexBytes(r); break;
      case 11: if (expect(r, wire, FIXED64)) { oLo = r.fixed32(); oHi = r.fixed32(); } break;
      case 12:
        if (expect(r, wire, LEN)) {
          evLen = r.size();
          evAt = r.pos;
          r.skip(evLen);
        }
        break;
      default: r.skipType(wire);
    }
  }
  if (evAt < 0 || evLen !== EVENT.length || !sameBytes(r.buf, evAt, EVENT)) return null;
  closePrediction(d);
  // As recordTimeNs(): the event time, else the observed time, else none (the receive time).
  d.tsMs = tHi !== 0 || tLo !== 0 ? fixed64Millis(tHi, tLo) : oHi !== 0 || oLo !== 0 ? fixed64Millis(oHi, oLo) : null;
  return d;
}

// Bytes as lowercase hex, as idToHex() renders them, without a copy of the bytes.
function hexBytes(r: R): string {
  const len = r.size();
  const start = r.pos;
  r.skip(len);
  const buf = r.buf;
  return (Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)).toString('hex', start, start + len);
}

interface KeySlot {
  bytes: Uint8Array;
  /** The key's bytes as little-endian 32-bit words (see sameKey). */
  words: Int32Array;
  key: string;
  code: number;
  name: string;
  /** A feature key whose name passes validName(): its values go to the collector unchecked. */
  valid: boolean;
  /** Recent string values of this key (see cachedString). */
  values: ValueCache | null;
}
// The key last seen at each attribute position of a prediction record: keys repeat from record to
// record, so matching bytes reuse the decoded, classified key (no string, no classification).
const keySlots: (KeySlot | undefined)[] = [];
const MAX_SLOTS = 256;
const NO_KEY: KeySlot = { bytes: new Uint8Array(0), words: new Int32Array(0), key: '', code: KEY.ATTRIBUTE, name: '', valid: false, values: null };

// Mirrors keyValue(): the last key and the last value win; a missing value reads as null.
function attribute(r: R, end: number, d: PredictionDraft, slot: number): void {
  let k = NO_KEY;
  let s: Scalar | typeof NON_SCALAR = null;
  let av: unknown = undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: if (expect(r, wire, LEN)) k = key(r, slot); break;
      case 2:
        if (expect(r, wire, LEN)) {
          const vEnd = sub(r);
          const fast = scalar(r, vEnd);
          if (fast !== SLOW) {
            s = fast;
            av = undefined;
          } else {
            av = anyValue(r, vEnd);
            s = anyValueScalar(av);
          }
        }
        break;
      default: r.skipType(wire);
    }
  }
  if (k.code !== KEY.IGNORED) applyPredictionAttribute(d, k.code, k.key, k.name, s, av);
}

function key(r: R, slot: number): KeySlot {
  const at = r.pos;
  const len = r.buf[at];
  // A one-byte length (< 128) inside the body: compare with the key last seen at this position.
  if (len < 128 && at + 1 + len <= r.len && slot < MAX_SLOTS) {
    const hit = keySlots[slot];
    if (hit !== undefined && hit.bytes.length === len && sameBytes(r.buf, at + 1, hit.bytes)) {
      r.pos = at + 1 + len;
      return hit;
    }
  }
  const k = r.string();
  const code = predictionKeyCode(k);
  const name = code === KEY.FEATURE ? featureName(k) : '';
  const entry: KeySlot = { bytes: NO_KEY.bytes, words: NO_KEY.words, key: k, code, name, valid: code === KEY.FEATURE && validName(name), values: null };
  if (len < 128 && slot < MAX_SLOTS) {
    // A copy, so that the cache does not keep the request body alive.
    entry.bytes = new Uint8Array(r.buf.subarray(at + 1, r.pos));
    entry.words = wordsOf(entry.bytes);
    keySlots[slot] = entry;
  }
  return entry;
}

const SLOW = Symbol('slow');

/**
 * The common AnyValue, one scalar field filling [pos, end), read without building an object;
 * SLOW (position unchanged) for anything else, which the caller reads with anyValue().
 */
function scalar(r: R, end: number): Scalar | typeof SLOW {
  const start = r.pos;
  if (end > r.len || start >= end) return SLOW;
  const buf = r.buf;
  let v: Scalar | typeof SLOW = SLOW;
  switch (buf[start]) {
    case TAG_DOUBLE:
      if (start + 9 === end) {
        r.pos = start + 1;
        v = r.double();
      }
      break;
    case TAG_STRING:
      r.pos = start + 1;
      v = r.string();
      break;
    case TAG_INT:
      v = int64At(buf, start + 1, end);
      if (v !== SLOW) r.pos = end;
      break;
    case TAG_BOOL:
      if (start + 2 === end && buf[start + 1] < 128) {
        r.pos = end;
        v = buf[start + 1] !== 0;
      }
      break;
  }
  if (v === SLOW || r.pos !== end) {
    r.pos = start;
    return SLOW;
  }
  return v;
}

/**
 * A varint int64 filling [at, end) as a number, as int64Number() gives it (the signed value,
 * rounded once to a double), without a Long; SLOW when it does not fill the range exactly.
 */
function int64At(buf: Uint8Array, at: number, end: number): number | typeof SLOW {
  let lo = 0;
  let hi = 0;
  let p = at;
  for (let i = 0; i < 10 && p < end; i++) {
    const b = buf[p++];
    if (i < 4) lo = (lo | (b & 127) << (i * 7)) >>> 0;
    else if (i === 4) {
      lo = (lo | (b & 127) << 28) >>> 0;
      hi = (b & 127) >> 4;
    } else hi = (hi | (b & 127) << ((i - 5) * 7 + 3)) >>> 0;
    if (b < 128) return p === end ? (hi | 0) * 4294967296 + lo : SLOW;
  }
  return SLOW;
}

/**
 * The attribute as nearly every SDK writes it, read in one pass over the bytes: a one- or two-byte
 * length, the key (field 1) with the bytes of the key last seen at this position, the value (field
 * 2) holding one scalar field and nothing after it. Returns false, position unchanged, for
 * anything else (a key not seen before included), which attribute() then reads as it always did;
 * so both give the same draft and the same errors.
 */
export function knownAttribute(r: R, d: PredictionDraft, slot: number): boolean {
  const buf = r.buf;
  let p = r.pos;
  let len = buf[p++];
  if (len >= 0x80) {
    const b = buf[p++];
    if (b >= 0x80) return false;
    len = (len & 0x7f) | (b << 7);
  }
  const end = p + len;
  // (Negated so that a length byte missing at the end of a cut body, NaN here, fails it too.)
  if (!(end <= r.len) || slot >= MAX_SLOTS || buf[p] !== 0x0a) return false;
  const k = keySlots[slot];
  const klen = buf[p + 1];
  if (k === undefined || k.bytes.length !== klen || p + 2 + klen > end) return false;
  const view = viewOf(buf);
  if (!sameKey(view, buf, p + 2, k)) return false;
  p += 2 + klen;
  // The value: a one-byte length that ends the attribute, then one field filling it.
  if (p + 3 > end || buf[p] !== 0x12 || p + 2 + buf[p + 1] !== end) return false;
  p += 2;
  let v: Scalar;
  switch (buf[p]) {
    case TAG_DOUBLE:
      if (p + 9 !== end) return false;
      // A feature's double goes to the collector without passing through `v`, which would box it.
      if (k.valid) {
        r.pos = end;
        featureCollector.addValidNumber(k.name, view.getFloat64(p + 1, true));
        return true;
      }
      v = view.getFloat64(p + 1, true);
      break;
    case TAG_STRING:
      if (buf[p + 1] >= 0x80 || p + 2 + buf[p + 1] !== end) return false;
      v = cachedString(k, r, p + 1, end);
      break;
    case TAG_INT: {
      const n = int64At(buf, p + 1, end);
      if (n === SLOW) return false;
      v = n;
      break;
    }
    case TAG_BOOL:
      if (p + 2 !== end || buf[p + 1] >= 0x80) return false;
      v = buf[p + 1] !== 0;
      break;
    default:
      return false;
  }
  r.pos = end;
  if (k.valid) featureCollector.addValid(k.name, v);
  else if (k.code !== KEY.IGNORED) applyPredictionAttribute(d, k.code, k.key, k.name, v, undefined);
  return true;
}

/**
 * The words of a key: one per whole 4 bytes, then (for a length not a multiple of 4) its last 4
 * bytes, overlapping the word before. Keys under 4 bytes have none and are compared by byte.
 */
function wordsOf(bytes: Uint8Array): Int32Array {
  const n = bytes.length;
  if (n < 4) return new Int32Array(0);
  const v = new DataView(bytes.buffer, bytes.byteOffset, n);
  const words = new Int32Array((n >> 2) + (n & 3 ? 1 : 0));
  for (let i = 0; i + 4 <= n; i += 4) words[i >> 2] = v.getInt32(i, true);
  if (n & 3) words[words.length - 1] = v.getInt32(n - 4, true);
  return words;
}

// A view of the body being read (decodeLogsRequest() sets and releases it; made here otherwise).
let body: Uint8Array | null = null;
let bodyView: DataView = new DataView(new ArrayBuffer(0));

/** Reads of a body's words and doubles go through one view of it, until releaseBody(). */
export function useBody(buf: Uint8Array): void {
  body = buf;
  bodyView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Forgets the body, so that nothing here keeps it alive. */
export function releaseBody(): void {
  body = null;
  bodyView = new DataView(new ArrayBuffer(0));
}

function viewOf(buf: Uint8Array): DataView {
  if (buf !== body) useBody(buf);
  return bodyView;
}

/**
 * Whether the key bytes at `at` are the slot's key, compared 32 bits at a time: the byte loop
 * was the reader's largest cost (a line-level profile).
 */
function sameKey(view: DataView, buf: Uint8Array, at: number, k: KeySlot): boolean {
  const words = k.words;
  const n = k.bytes.length;
  if (n < 4) return sameBytes(buf, at, k.bytes);
  const whole = n >> 2;
  for (let i = 0; i < whole; i++) if (view.getInt32(at + 4 * i, true) !== words[i]) return false;
  return whole === words.length || view.getInt32(at + n - 4, true) === words[whole];
}

/**
 * A key's recent string values (model, version, a category), so that a value seen again is the
 * same string, not a new decode. Keys whose values do not repeat (ids) stop being looked up.
 */
interface ValueCache {
  bytes: Uint8Array[];
  strings: string[];
  next: number;
  misses: number;
}
const VALUES_PER_KEY = 4;
const MAX_CACHED_VALUE = 64;
// Misses in a row after which a key's values are no longer looked up or kept.
const GIVE_UP = 32;

function cachedString(k: KeySlot, r: R, at: number, end: number): string {
  const buf = r.buf;
  const n = end - at - 1;
  let c = k.values;
  if (c === null) c = k.values = { bytes: [], strings: [], next: 0, misses: 0 };
  if (n <= MAX_CACHED_VALUE && c.misses < GIVE_UP) {
    const bytes = c.bytes;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i].length === n && sameBytes(buf, at + 1, bytes[i])) {
        c.misses = 0;
        return c.strings[i];
      }
    }
  }
  // The reader's own string read at the length prefix: the same text, invalid UTF-8 included.
  r.pos = at;
  const s = r.string();
  if (n > MAX_CACHED_VALUE || c.misses >= GIVE_UP) return s;
  c.misses++;
  // A copy, so that the cache does not keep the request body alive.
  const copy = new Uint8Array(buf.subarray(at + 1, end));
  if (c.bytes.length < VALUES_PER_KEY) {
    c.bytes.push(copy);
    c.strings.push(s);
  } else {
    c.bytes[c.next] = copy;
    c.strings[c.next] = s;
    c.next = (c.next + 1) % VALUES_PER_KEY;
  }
  return s;
}
