/**
 * A lean decoder for ExportLogsServiceRequest, the hot ingest path. protobufjs's generated decoder
 * builds a class instance per message and a Long per 64-bit field; this walks the same wire format
 * with protobufjs's own Reader and builds plain objects of the shape transformLogs() reads:
 * camelCase fields, unset fields absent, 64-bit timestamps as decimal strings, int64 values as
 * numbers, bytes as Uint8Array.
 *
 * Records whose event name is `ml.prediction` (nearly all of the traffic) are not turned into
 * objects at all: prediction-wire.ts reads their attributes straight into a PredictionDraft
 * (prediction-log.ts, the same semantics as the generic reader), and transformLogs() builds the
 * row once the resource and the receive time are known. Every read there mirrors the generic
 * one's, so a body decodes or throws exactly as it would here. Field numbers follow proto/logs.proto and proto/common.proto; tests check this
 * decoder against protobufjs on generated requests.
 */
import { PredictionDraft } from './prediction-log.ts';
import { isPrediction, prediction, releaseBody, useBody } from './prediction-wire.ts';
import { anyValue, expect, fixed64String, FIXED64, keyValue, LEN, Reader, sub, VARINT, type R } from './wire.ts';

// A LogRecord: a draft for an ml.prediction, else the generic object.
function record(r: R, end: number): Record<string, unknown> | PredictionDraft {
  if (isPrediction(r, end)) {
    const start = r.pos;
    const d = prediction(r, end);
    if (d) return d;
    // The look-ahead was wrong (only for malformed bodies): read it as logRecord() always did.
    r.pos = start;
  }
  return logRecord(r, end);
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
  const logRecords: (Record<string, unknown> | PredictionDraft)[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: if (expect(r, wire, LEN)) sl.scope = scope(r, sub(r)); break;
      case 2: if (expect(r, wire, LEN)) logRecords.push(record(r, sub(r))); break;
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

/**
 * Decodes an ExportLogsServiceRequest body; throws on a truncated or malformed one. `ml.prediction`
 * records come back as PredictionDrafts (transformLogs() reads both kinds; neither is changed by it).
 */
export function decodeLogsRequest(body: Uint8Array): { resourceLogs: Record<string, unknown>[] } {
  const r = Reader.create(body);
  const out: Record<string, unknown>[] = [];
  useBody(r.buf);
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 === 1 && (tag & 7) === LEN) out.push(resourceLogs(r, sub(r)));
      else r.skipType(tag & 7);
    }
  } finally {
    releaseBody();
  }
  // A length prefix pointing past the end leaves pos beyond len: the body was cut short.
  if (r.pos > r.len) throw new RangeError(`index out of range: ${r.pos} > ${r.len}`);
  return { resourceLogs: out };
}
