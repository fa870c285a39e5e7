import type { BuildResult, PredictionRow } from '../predictions/record.ts';
import { applyPredictionAttribute, closePrediction, featureName, finishPrediction, KEY, openPrediction, PredictionDraft, predictionKeyCode } from './prediction-log.ts';
import { readResource, type ResourceInfo } from './resource.ts';
import { anyValueScalar, anyValueString, idToHex, nanosToMillis, nanosToSeconds, nanosToString, NON_SCALAR } from './values.ts';

/** Rows produced from one logs export request, and what was rejected. */
export interface LogsBatch {
  predictions: PredictionRow[];
  groundTruth: GroundTruthRow[];
  logs: LogRow[];
  rejected: number;
  errors: string[];
}

/** A row of the `ground_truth` table. */
export interface GroundTruthRow {
  ts: number;
  model: string;
  prediction_id: string;
  label: string;
  label_num: number | null;
  service: string;
}

/** A row of the generic `logs` table. */
export interface LogRow {
  ts: string;
  observed_ts: string;
  trace_id: string;
  span_id: string;
  severity_text: string;
  severity_number: number;
  service: string;
  event_name: string;
  body: string;
  resource_attributes: Record<string, string>;
  scope_name: string;
  scope_version: string;
  attributes: Record<string, string>;
}

export const PREDICTION_EVENT = 'ml.prediction';
export const GROUND_TRUTH_EVENT = 'ml.ground_truth';
const MAX_ERRORS = 5;

function recordTimeNs(rec: any): string {
  const t = nanosToString(rec.timeUnixNano);
  if (t !== '0') return t;
  return nanosToString(rec.observedTimeUnixNano);
}

function predictionFromLog(rec: any, res: ResourceInfo, tsNs: string, now: number): BuildResult {
  const d = openPrediction();
  d.tsMs = tsNs === '0' ? null : nanosToMillis(tsNs);
  d.traceId = idToHex(rec.traceId);
  d.spanId = idToHex(rec.spanId);
  for (const kv of rec.attributes ?? []) {
    const key: string = kv.key;
    const code = predictionKeyCode(key);
    if (code === KEY.IGNORED) continue;
    applyPredictionAttribute(d, code, key, code === KEY.FEATURE ? featureName(key) : '', anyValueScalar(kv.value), kv.value);
  }
  closePrediction(d);
  return finishPrediction(d, res, now);
}

function groundTruthFromLog(rec: any, res: ResourceInfo, tsNs: string, now: number): { row: GroundTruthRow } | { error: string } {
  let model = '', id = '', label: unknown = null;
  for (const kv of rec.attributes ?? []) {
    if (kv.key === 'ml.model.name') model = anyValueString(kv.value);
    else if (kv.key === 'ml.prediction.id') id = anyValueString(kv.value);
    else if (kv.key === 'ml.label.value') label = anyValueScalar(kv.value);
  }
  if (!id) return { error: 'ml.prediction.id missing' };
  if (label === null || label === NON_SCALAR) return { error: 'ml.label.value missing or not a scalar' };
  const labelStr = typeof label === 'boolean' ? (label ? 'true' : 'false') : String(label);
  const num = typeof label === 'number' ? label : typeof label === 'boolean' ? (label ? 1 : 0) : Number(labelStr);
  return {
    row: {
      ts: tsNs === '0' ? now : nanosToMillis(tsNs),
      model,
      prediction_id: id,
      label: labelStr,
      label_num: Number.isFinite(num) && labelStr.trim() !== '' ? num : null,
      service: res.service,
    },
  };
}

/**
 * Splits a decoded ExportLogsServiceRequest into prediction, ground-truth and generic log rows.
 * A record that fails validation is rejected alone; its position goes in the error message.
 */
export function transformLogs(req: any, now = Date.now()): LogsBatch {
  const out: LogsBatch = { predictions: [], groundTruth: [], logs: [], rejected: 0, errors: [] };
  const resourceLogs: any[] = req?.resourceLogs ?? [];
  let ri = 0, si = 0, li = 0;
  const reject = (why: string) => {
    out.rejected++;
    if (out.errors.length < MAX_ERRORS) out.errors.push(`resource ${ri} scope ${si} record ${li}: ${why}`);
  };
  resourceLogs.forEach((rl, rIndex) => {
    const res = readResource(rl?.resource);
    (rl?.scopeLogs ?? []).forEach((sl: any, sIndex: number) => {
      (sl?.logRecords ?? []).forEach((rec: any, lIndex: number) => {
        ri = rIndex;
        si = sIndex;
        li = lIndex;
        // Read from protobuf bytes by the lean decoder; built here, as the resource and the time are known now.
        if (rec instanceof PredictionDraft) {
          const r = finishPrediction(rec, res, now);
          if ('row' in r) out.predictions.push(r.row);
          else reject(r.error);
          return;
        }
        if (!rec || typeof rec !== 'object') return reject('not an object');
        const tsNs = recordTimeNs(rec);
        if (tsNs === 'NaN') return reject('timestamp cannot be parsed');
        let event: string = typeof rec.eventName === 'string' ? rec.eventName : '';
        if (!event) {
          // Older SDKs carry the event name as an attribute.
          const attr = (rec.attributes ?? []).find((kv: any) => kv?.key === 'event.name');
          if (attr) event = anyValueString(attr.value);
        }
        if (event === PREDICTION_EVENT) {
          const r = predictionFromLog(rec, res, tsNs, now);
          if ('row' in r) out.predictions.push(r.row);
          else reject(r.error);
        } else if (event === GROUND_TRUTH_EVENT) {
          const r = groundTruthFromLog(rec, res, tsNs, now);
          if ('row' in r) out.groundTruth.push(r.row);
          else reject(r.error);
        } else {
          const observed = nanosToString(rec.observedTimeUnixNano);
          const ts = tsNs === '0' ? String(now) + '000000' : tsNs;
          out.logs.push({
            ts: nanosToSeconds(ts),
            observed_ts: nanosToSeconds(observed === 'NaN' || observed === '0' ? ts : observed),
            trace_id: idToHex(rec.traceId),
            span_id: idToHex(rec.spanId),
            severity_text: typeof rec.severityText === 'string' ? rec.severityText : '',
            severity_number: Math.max(0, Math.min(255, Number(rec.severityNumber) || 0)),
            service: res.service,
            event_name: event,
            body: rec.body ? anyValueString(rec.body) : '',
            resource_attributes: res.attributes,
            scope_name: sl?.scope?.name ?? '',
            scope_version: sl?.scope?.version ?? '',
            attributes: Object.fromEntries((rec.attributes ?? []).filter((kv: any) => kv && typeof kv.key === 'string').map((kv: any) => [kv.key, anyValueString(kv.value)])),
          });
        }
      });
    });
  });
  return out;
}
