import { readResource } from './resource.ts';
import { attributesToStringMap, idToHex, nanosToSeconds, nanosToString } from './values.ts';

/** A row of the `spans` table. */
export interface SpanRow {
  ts: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  name: string;
  kind: string;
  service: string;
  model: string;
  duration_ns: string;
  status_code: string;
  status_message: string;
  resource_attributes: Record<string, string>;
  attributes: Record<string, string>;
  events_ts: string[];
  events_name: string[];
  events_attributes: Record<string, string>[];
  links_trace_id: string[];
  links_span_id: string[];
}

/** Rows from one traces export request. */
export interface TracesBatch {
  spans: SpanRow[];
  rejected: number;
  errors: string[];
}

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS = ['UNSET', 'OK', 'ERROR'];
const MAX_ERRORS = 5;

/** Converts a decoded ExportTraceServiceRequest into span rows. */
export function transformTraces(req: any): TracesBatch {
  const out: TracesBatch = { spans: [], rejected: 0, errors: [] };
  for (const rs of req?.resourceSpans ?? []) {
    const res = readResource(rs?.resource);
    for (const ss of rs?.scopeSpans ?? []) {
      for (const sp of ss?.spans ?? []) {
        const reject = (why: string) => {
          out.rejected++;
          if (out.errors.length < MAX_ERRORS) out.errors.push(`span ${JSON.stringify(sp?.name ?? '')}: ${why}`);
        };
        const traceId = idToHex(sp?.traceId);
        const spanId = idToHex(sp?.spanId);
        if (!/^[0-9a-f]{32}$/.test(traceId)) { reject('trace_id must be 16 bytes (32 hex digits)'); continue; }
        if (!/^[0-9a-f]{16}$/.test(spanId)) { reject('span_id must be 8 bytes (16 hex digits)'); continue; }
        const start = nanosToString(sp.startTimeUnixNano);
        const end = nanosToString(sp.endTimeUnixNano);
        if (start === 'NaN' || end === 'NaN') { reject('timestamp cannot be parsed'); continue; }
        const duration = BigInt(end) >= BigInt(start) ? (BigInt(end) - BigInt(start)).toString() : '0';
        const attributes = attributesToStringMap(sp.attributes);
        out.spans.push({
          ts: nanosToSeconds(start),
          trace_id: traceId,
          span_id: spanId,
          parent_span_id: idToHex(sp.parentSpanId),
          name: typeof sp.name === 'string' ? sp.name : '',
          kind: KINDS[Number(sp.kind) || 0] ?? 'UNSPECIFIED',
          service: res.service,
          model: attributes['ml.model.name'] ?? res.attributes['ml.model.name'] ?? '',
          duration_ns: duration,
          status_code: STATUS[Number(sp.status?.code) || 0] ?? 'UNSET',
          status_message: sp.status?.message ?? '',
          resource_attributes: res.attributes,
          attributes,
          events_ts: (sp.events ?? []).map((e: any) => nanosToSeconds(nanosToString(e.timeUnixNano).replace('NaN', '0'))),
          events_name: (sp.events ?? []).map((e: any) => String(e.name ?? '')),
          events_attributes: (sp.events ?? []).map((e: any) => attributesToStringMap(e.attributes)),
          links_trace_id: (sp.links ?? []).map((l: any) => idToHex(l.traceId)),
          links_span_id: (sp.links ?? []).map((l: any) => idToHex(l.spanId)),
        });
      }
    }
  }
  return out;
}
