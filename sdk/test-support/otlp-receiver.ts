/**
 * Test support: a minimal OTLP/HTTP receiver on 127.0.0.1 that decodes protobuf bodies with a
 * self-contained subset of the opentelemetry-proto schema (field numbers as in the official
 * .proto files), so SDK tests do not depend on the collector.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

const OTLP_SUBSET = `
syntax = "proto3";
package otlp;
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message LogRecord {
  fixed64 time_unix_nano = 1; int32 severity_number = 2; string severity_text = 3; AnyValue body = 5;
  repeated KeyValue attributes = 6; uint32 dropped_attributes_count = 7; fixed32 flags = 8;
  bytes trace_id = 9; bytes span_id = 10; fixed64 observed_time_unix_nano = 11; string event_name = 12;
}
message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message NumberDataPoint {
  repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  oneof value { double as_double = 4; sfixed64 as_int = 6; } fixed32 flags = 8;
}
message HistogramDataPoint {
  repeated KeyValue attributes = 9; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  fixed64 count = 4; optional double sum = 5; repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7;
  uint32 flags = 10; optional double min = 11; optional double max = 12;
}
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message Metric {
  string name = 1; string description = 2; string unit = 3;
  oneof data { Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9; }
}
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3; }
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message Status { string message = 2; int32 code = 3; }
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; string name = 5;
  int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9;
  repeated Event events = 11; Status status = 15;
}
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
`;

const root = protobuf.parse(OTLP_SUBSET, { keepCase: true }).root;
const LogsRequest = root.lookupType('otlp.ExportLogsServiceRequest');
const MetricsRequest = root.lookupType('otlp.ExportMetricsServiceRequest');
const TraceRequest = root.lookupType('otlp.ExportTraceServiceRequest');

/** A decoded attribute value: the set member of AnyValue, or `{}` for an empty AnyValue. */
export type DecodedAnyValue = { string_value?: string; bool_value?: boolean; int_value?: string; double_value?: number; [k: string]: unknown };

export interface DecodedKeyValue {
  key: string;
  value?: DecodedAnyValue;
}

/** Plain-object form of a decoded request (64-bit integers as decimal strings, bytes as hex). */
export type Decoded = Record<string, any>;

const toObjectOptions: protobuf.IConversionOptions = { longs: String, bytes: String, defaults: false, oneofs: false, arrays: true };

function hexBytes(obj: Decoded): Decoded {
  // protobufjs renders bytes as base64 with `bytes: String`; ids read better as hex.
  for (const k of ['trace_id', 'span_id', 'parent_span_id']) {
    if (typeof obj[k] === 'string') obj[k] = Buffer.from(obj[k], 'base64').toString('hex');
  }
  return obj;
}

export function decodeLogs(body: Uint8Array): Decoded {
  const o = LogsRequest.toObject(LogsRequest.decode(body), toObjectOptions);
  for (const rl of o.resource_logs ?? []) for (const sl of rl.scope_logs ?? []) for (const r of sl.log_records ?? []) hexBytes(r);
  return o;
}
export function decodeMetrics(body: Uint8Array): Decoded {
  return MetricsRequest.toObject(MetricsRequest.decode(body), toObjectOptions);
}
export function decodeTraces(body: Uint8Array): Decoded {
  const o = TraceRequest.toObject(TraceRequest.decode(body), toObjectOptions);
  for (const rs of o.resource_spans ?? []) for (const ss of rs.scope_spans ?? []) for (const s of ss.spans ?? []) hexBytes(s);
  return o;
}

/** Turns a repeated KeyValue into a key -> AnyValue object map. */
export function attrMap(kvs: DecodedKeyValue[] | undefined): Record<string, DecodedAnyValue> {
  const out: Record<string, DecodedAnyValue> = {};
  for (const kv of kvs ?? []) out[kv.key] = kv.value ?? {};
  return out;
}

/** A flattened log record: resource attributes, scope, and the record. */
export interface ReceivedLog {
  resource: Record<string, DecodedAnyValue>;
  scope: { name?: string; version?: string };
  record: Decoded;
  attributes: Record<string, DecodedAnyValue>;
}

export interface ReceivedRequest {
  path: string;
  contentType: string | undefined;
  body: Buffer;
}

/** A running receiver. */
export interface OtlpReceiver {
  readonly port: number;
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Every log record received so far, flattened. */
  logs(): ReceivedLog[];
  /** Every metric received so far, with the resource attributes of its request. */
  metrics(): Array<{ resource: Record<string, DecodedAnyValue>; metric: Decoded }>;
  /** Every span received so far. */
  spans(): Array<{ resource: Record<string, DecodedAnyValue>; span: Decoded }>;
  /** Resolves once `predicate()` is true, checking after each request (and now). */
  waitFor(predicate: () => boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a receiver on 127.0.0.1 (port 0 = any free port). Answers 200 with an empty protobuf
 * response to every POST under /v1/.
 */
export async function startOtlpReceiver(port = 0): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: Array<{ predicate: () => boolean; resolve: () => void }> = [];
  const check = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].predicate()) {
        waiters[i].resolve();
        waiters.splice(i, 1);
      }
    }
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      requests.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
      check();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    requests,
    logs() {
      const out: ReceivedLog[] = [];
      for (const r of requests) {
        if (r.path !== '/v1/logs') continue;
        const d = decodeLogs(r.body);
        for (const rl of d.resource_logs ?? []) {
          const resource = attrMap(rl.resource?.attributes);
          for (const sl of rl.scope_logs ?? []) {
            for (const rec of sl.log_records ?? []) out.push({ resource, scope: sl.scope ?? {}, record: rec, attributes: attrMap(rec.attributes) });
          }
        }
      }
      return out;
    },
    metrics() {
      const out: Array<{ resource: Record<string, DecodedAnyValue>; metric: Decoded }> = [];
      for (const r of requests) {
        if (r.path !== '/v1/metrics') continue;
        const d = decodeMetrics(r.body);
        for (const rm of d.resource_metrics ?? []) {
          const resource = attrMap(rm.resource?.attributes);
          for (const sm of rm.scope_metrics ?? []) for (const m of sm.metrics ?? []) out.push({ resource, metric: m });
        }
      }
      return out;
    },
    spans() {
      const out: Array<{ resource: Record<string, DecodedAnyValue>; span: Decoded }> = [];
      for (const r of requests) {
        if (r.path !== '/v1/traces') continue;
        const d = decodeTraces(r.body);
        for (const rs of d.resource_spans ?? []) {
          const resource = attrMap(rs.resource?.attributes);
          for (const ss of rs.scope_spans ?? []) for (const s of ss.spans ?? []) out.push({ resource, span: s });
        }
      }
      return out;
    },
    waitFor(predicate) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/** Finds a loopback port that is free right now (and closes it again). */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
