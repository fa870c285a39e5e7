/**
 * A lean decoder for ExportLogsServiceRequest, the hot ingest path. protobufjs's generated decoder
 * builds a class instance per message and a Long per 64-bit field (about half of the collector's
 * per-record cost, BENCHMARKS.md); this walks the same wire format with protobufjs's own Reader
 * and builds plain objects of the shape transformLogs() reads: camelCase fields, unset fields
 * absent, 64-bit timestamps as decimal strings, int64 values as numbers, bytes as Uint8Array.
 * Field numbers follow proto/logs.proto and proto/common.proto; a test checks this decoder against
 * protobufjs on generated requests.
 */
import protobuf from 'protobufjs';

const { Reader } = protobuf;
type R = protobuf.Reader;

// Wire types.
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;

const TWO_32 = 4294967296n;

function fixed64String(r: R): string {
  const lo = r.fixed32();
  const hi = r.fixed32();
  // Exact below 2^53 without BigInt; nanosecond timestamps are above it, so BigInt there.
  return hi < 0x200000 ? String(hi * 4294967296 + lo) : (BigInt(hi) * TWO_32 + BigInt(lo)).toString();
}

function int64Number(r: R): number {
  const v = r.int64() as unknown as { toNumber?: () => number } | number;
  return typeof v === 'number' ? v : v.toNumber!();
}

function sub(r: R): number {
  return r.uint32() + r.pos;
}

function expect(r: R, wire: number, want: number): boolean {
  if (wire === want) return true;
  r.skipType(wire);
  return false;
}

function anyValue(r: R, end: number): Record<string, unknown> {
  const v: Record<string, unknown> = {};
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: if (expect(r, wire, LEN)) v.stringValue = r.string(); break;
      case 2: if (expect(r, wire, VARINT)) v.boolValue = r.bool(); break;
      case 3: if (expect(r, wire, VARINT)) v.intValue = int64Number(r); break;
      case 4: if (expect(r, wire, FIXED64)) v.doubleValue = r.double(); break;
      case 5: if (expect(r, wire, LEN)) v.arrayValue = { values: repeated(r, sub(r), anyValue) }; break;
      case 6: if (expect(r, wire, LEN)) v.kvlistValue = { values: repeated(r, sub(r), keyValue) }; break;
      case 7: if (expect(r, wire, LEN)) v.bytesValue = r.bytes(); break;
      default: r.skipType(wire);
    }
  }
  return v;
}

// Field 1 of ArrayValue and KeyValueList: repeated messages.
function repeated(r: R, end: number, item: (r: R, end: number) => Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === LEN) out.push(item(r, sub(r)));
    else r.skipType(tag & 7);
  }
  return out;
}

function keyValue(r: R, end: number): Record<string, unknown> {
  let key = '';
  let value: Record<string, unknown> | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: if (expect(r, wire, LEN)) key = r.string(); break;
      case 2: if (expect(r, wire, LEN)) value = anyValue(r, sub(r)); break;
      default: r.skipType(wire);
    }
  }
  return value === undefined ? { key } : { key, value };
}

function logRecord(r: R, end: number): Record<string, unknown> {
  const rec: Record<string, unknown> = {};
  const attributes: Record<string, unknown>[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: if (expect(r, wire, FIXED64)) rec.timeUnixNano = fixed64String(r); break;
      case 2: if (expect(r, wire, VARINT)) rec.severityNumber = r.int32(); break;
      case 3: if (expect(r, wire, LEN)) rec.severityText = r.string(); break;
      case 5: if (expect(r, wire, LEN)) rec.body = anyValue(r, sub(r)); break;
      case 6: if (expect(r, wire, LEN)) attributes.push(keyValue(r, sub(r))); break;
      case 9: if (expect(r, wire, LEN)) rec.traceId = r.bytes(); break;
      case 10: if (expect(r, wire, LEN)) rec.spanId = r.bytes(); break;
      case 11: if (expect(r, wire, FIXED64)) rec.observedTimeUnixNano = fixed64String(r); break;
      case 12: if (expect(r, wire, LEN)) rec.eventName = r.string(); break;
      default: r.skipType(wire);
    }
  }
  rec.attributes = attributes;
  return rec;
}

function scope(r: R, end: number): Record<string, unknown> {
  const s: Record<string, unknown> = {};
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: if (expect(r, wire, LEN)) s.name = r.string(); break;
      case 2: if (expect(r, wire, LEN)) s.version = r.string(); break;
      default: r.skipType(wire);
    }
  }
  return s;
}

function scopeLogs(r: R, end: number): Record<string, unknown> {
  const sl: Record<string, unknown> = {};
  const logRecords: Record<string, unknown>[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: if (expect(r, wire, LEN)) sl.scope = scope(r, sub(r)); break;
      case 2: if (expect(r, wire, LEN)) logRecords.push(logRecord(r, sub(r))); break;
      default: r.skipType(wire);
    }
  }
  sl.logRecords = logRecords;
  return sl;
}

function resource(r: R, end: number): Record<string, unknown> {
  const attributes: Record<string, unknown>[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === LEN) attributes.push(keyValue(r, sub(r)));
    else r.skipType(tag & 7);
  }
  return { attributes };
}

function resourceLogs(r: R, end: number): Record<string, unknown> {
  const rl: Record<string, unknown> = {};
  const scopes: Record<string, unknown>[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: if (expect(r, wire, LEN)) rl.resource = resource(r, sub(r)); break;
      case 2: if (expect(r, wire, LEN)) scopes.push(scopeLogs(r, sub(r))); break;
      default: r.skipType(wire);
    }
  }
  rl.scopeLogs = scopes;
  return rl;
}

/** Decodes an ExportLogsServiceRequest body; throws on a truncated or malformed one. */
export function decodeLogsRequest(body: Uint8Array): { resourceLogs: Record<string, unknown>[] } {
  const r = Reader.create(body);
  const out: Record<string, unknown>[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === LEN) out.push(resourceLogs(r, sub(r)));
    else r.skipType(tag & 7);
  }
  // A length prefix pointing past the end leaves pos beyond len: the body was cut short.
  if (r.pos > r.len) throw new RangeError(`index out of range: ${r.pos} > ${r.len}`);
  return { resourceLogs: out };
}
