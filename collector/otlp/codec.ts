import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { decodeLogsRequest } from './logs-wire.ts';

const PROTO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'proto');

// Loaded once at start from the .proto files in this repo (only the messages modelwatch needs).
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(PROTO_DIR, path.basename(target));
root.loadSync(['common.proto', 'logs.proto', 'metrics.proto', 'trace.proto'].map((f) => path.join(PROTO_DIR, f)));
root.resolveAll();

/** The three OTLP signals modelwatch receives. */
export type Signal = 'logs' | 'metrics' | 'traces';

const REQUEST: Record<Signal, protobuf.Type> = {
  logs: root.lookupType('modelwatch.otlp.ExportLogsServiceRequest'),
  metrics: root.lookupType('modelwatch.otlp.ExportMetricsServiceRequest'),
  traces: root.lookupType('modelwatch.otlp.ExportTraceServiceRequest'),
};
const RESPONSE: Record<Signal, protobuf.Type> = {
  logs: root.lookupType('modelwatch.otlp.ExportLogsServiceResponse'),
  metrics: root.lookupType('modelwatch.otlp.ExportMetricsServiceResponse'),
  traces: root.lookupType('modelwatch.otlp.ExportTraceServiceResponse'),
};
const REJECTED_FIELD: Record<Signal, string> = { logs: 'rejectedLogRecords', metrics: 'rejectedDataPoints', traces: 'rejectedSpans' };

/** Status message used for error bodies (google.rpc.Status: code = 1, message = 2). */
const STATUS = protobuf.Type.fromJSON('Status', {
  fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } },
});

/**
 * Decodes a protobuf export request. The decoded message has protobufjs's shape: camelCase fields
 * (as in OTLP/JSON), Long (or, for logs, decimal strings and numbers) for 64-bit integers,
 * Uint8Array for bytes; unset fields are not own properties.
 * Throws on a truncated or malformed body.
 */
export function decodeRequest(signal: Signal, body: Uint8Array): any {
  // Logs carry the predictions: the hot path gets the lean decoder (same shape, plain objects).
  if (signal === 'logs') return decodeLogsRequest(body);
  return REQUEST[signal].decode(body);
}

/** The protobufjs type of a signal's export request (clients, tests and benchmarks encode with it). */
export function requestType(signal: Signal): protobuf.Type {
  return REQUEST[signal];
}

/** Encodes the export response, with partial_success when some records were rejected. */
export function encodeResponse(signal: Signal, rejected: number, message: string): Uint8Array {
  const payload = rejected > 0 || message ? { partialSuccess: { [REJECTED_FIELD[signal]]: rejected, errorMessage: message } } : {};
  return RESPONSE[signal].encode(RESPONSE[signal].fromObject(payload)).finish();
}

/** The same response as OTLP/JSON (64-bit counts as numbers: they are small). */
export function jsonResponse(signal: Signal, rejected: number, message: string): Record<string, unknown> {
  return rejected > 0 || message ? { partialSuccess: { [REJECTED_FIELD[signal]]: rejected, errorMessage: message } } : {};
}

/** Encodes a google.rpc.Status error body for protobuf clients. */
export function encodeStatus(code: number, message: string): Uint8Array {
  return STATUS.encode(STATUS.fromObject({ code, message })).finish();
}
