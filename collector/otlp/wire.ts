/**
 * Protobuf wire reading shared by the lean OTLP logs decoders: protobufjs's Reader, plain objects,
 * no Long. AnyValue and KeyValue come back in the shape protobufjs gives them (camelCase fields,
 * unset fields absent, int64 as numbers, bytes as Uint8Array). Field numbers follow
 * proto/common.proto.
 */
import protobuf from 'protobufjs';

export const { Reader } = protobuf;
export type R = protobuf.Reader;

// Wire types.
export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;

const TWO_32 = 4294967296n;

/** A fixed64 (two fixed32 halves, low first) as its decimal string. */
export function fixed64String(r: R): string {
  const lo = r.fixed32();
  const hi = r.fixed32();
  // Exact below 2^53 without BigInt; nanosecond timestamps are above it, so BigInt there.
  return hi < 0x200000 ? String(hi * 4294967296 + lo) : (BigInt(hi) * TWO_32 + BigInt(lo)).toString();
}

function int64Number(r: R): number {
  const v = r.int64() as unknown as { toNumber?: () => number } | number;
  return typeof v === 'number' ? v : v.toNumber!();
}

/** Reads a length prefix; returns where the sub-message ends. */
export function sub(r: R): number {
  return r.uint32() + r.pos;
}

/** True when the field has the wire type its number calls for; otherwise skips it. */
export function expect(r: R, wire: number, want: number): boolean {
  if (wire === want) return true;
  r.skipType(wire);
  return false;
}

/**
 * How deep arrays and maps may nest in one AnyValue (protobuf's C++ parser allows 100 messages).
 * A bound of its own, rather than the call stack's: a body then decodes or not whichever thread
 * reads it (decode threads have a larger stack than the event loop).
 */
export const MAX_ANY_VALUE_DEPTH = 100;

/** An AnyValue. It is a oneof: the last member on the wire replaces any earlier one (as protobufjs does). */
export function anyValue(r: R, end: number, depth = 0): Record<string, unknown> {
  if (depth > MAX_ANY_VALUE_DEPTH) throw new RangeError(`AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  let v: Record<string, unknown> = {};
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: if (expect(r, wire, LEN)) v = { stringValue: r.string() }; break;
      case 2: if (expect(r, wire, VARINT)) v = { boolValue: r.bool() }; break;
      case 3: if (expect(r, wire, VARINT)) v = { intValue: int64Number(r) }; break;
      case 4: if (expect(r, wire, FIXED64)) v = { doubleValue: r.double() }; break;
      case 5: if (expect(r, wire, LEN)) v = { arrayValue: { values: repeated(r, sub(r), anyValue, depth + 1) } }; break;
      case 6: if (expect(r, wire, LEN)) v = { kvlistValue: { values: repeated(r, sub(r), keyValue, depth + 1) } }; break;
      case 7: if (expect(r, wire, LEN)) v = { bytesValue: r.bytes() }; break;
      default: r.skipType(wire);
    }
  }
  return v;
}

// Field 1 of ArrayValue and KeyValueList: repeated messages.
function repeated(r: R, end: number, item: (r: R, end: number, depth: number) => Record<string, unknown>, depth: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === LEN) out.push(item(r, sub(r), depth));
    else r.skipType(tag & 7);
  }
  return out;
}

/** A KeyValue: `{ key }`, or `{ key, value }` when the value is set. */
export function keyValue(r: R, end: number, depth = 0): Record<string, unknown> {
  let key = '';
  let value: Record<string, unknown> | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: if (expect(r, wire, LEN)) key = r.string(); break;
      case 2: if (expect(r, wire, LEN)) value = anyValue(r, sub(r), depth); break;
      default: r.skipType(wire);
    }
  }
  return value === undefined ? { key } : { key, value };
}
