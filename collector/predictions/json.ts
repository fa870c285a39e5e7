import { featureCollector, validName } from './features.ts';
import { buildPredictionRow, type PredictionRow } from './record.ts';
import { jsonErrorMessage } from '../privacy/messages.ts';

/** The outcome of parsing a body of flat prediction objects. */
export interface ParsedPredictions {
  rows: PredictionRow[];
  rejected: number;
  errors: string[];
}

const MAX_ERRORS = 5;
const hasOwn = Object.prototype.hasOwnProperty;
// Feature names that passed validName(), by their position in the record's features object: the
// records of one model repeat them, in the same order.
const checkedNames: string[] = [];
const MAX_CHECKED = 256;

/** Parses a timestamp given as ISO-8601 text or epoch milliseconds (seconds if < 1e11). */
export function parseTimestamp(v: unknown, now: number): number {
  if (v === undefined || v === null) return now;
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v;
  if (typeof v === 'string') {
    if (/^\d+(\.\d+)?$/.test(v)) return parseTimestamp(Number(v), now);
    const t = Date.parse(v);
    return Number.isNaN(t) ? NaN : t;
  }
  return NaN;
}

/** Converts one flat prediction object (`POST /v1/predictions`, Kafka NDJSON) into a row or an error. */
export function predictionFromObject(o: unknown, now: number): { row: PredictionRow } | { error: string } {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { error: 'not a JSON object' };
  const r = o as Record<string, unknown>;
  const features = r.features ?? {};
  if (typeof features !== 'object' || features === null || Array.isArray(features)) return { error: '"features" must be an object' };
  // Straight into the collector, in Object.keys order, without the keys array (buildPredictionRow
  // is synchronous, so the shared collector holds this record's features until it ends them).
  const f = features as Record<string, unknown>;
  featureCollector.begin();
  let at = 0;
  for (const k in f) {
    if (!hasOwn.call(f, k)) continue;
    // The name last found valid at this position skips the check (a Set lookup per feature).
    if (k === checkedNames[at] || validName(k)) {
      if (at < MAX_CHECKED) checkedNames[at] = k;
      featureCollector.addValid(k, f[k]);
    } else featureCollector.add(k, f[k]); // refused: add() records why
    at++;
  }
  const collected = featureCollector.end();
  let attributes: Record<string, string> | undefined;
  if (r.attributes !== undefined) {
    if (typeof r.attributes !== 'object' || r.attributes === null || Array.isArray(r.attributes)) return { error: '"attributes" must be an object' };
    attributes = {};
    for (const [k, v] of Object.entries(r.attributes)) attributes[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return buildPredictionRow({
    tsMs: parseTimestamp(r.timestamp, now),
    model: r.model,
    version: r.version,
    environment: typeof r.environment === 'string' ? r.environment : undefined,
    service: typeof r.service === 'string' ? r.service : undefined,
    host: typeof r.host === 'string' ? r.host : undefined,
    id: r.id,
    value: r.prediction,
    label: r.label,
    score: r.score,
    latencyMs: r.latency_ms,
    errorType: r.error,
    features: collected,
    attributes,
  });
}

/**
 * Parses a JSON array or NDJSON body. A line or element that is invalid is rejected alone, with
 * its position in the message; the rest are kept.
 */
export function parsePredictionsBody(text: string, now = Date.now()): ParsedPredictions {
  const out: ParsedPredictions = { rows: [], rejected: 0, errors: [] };
  const reject = (where: string, why: string) => {
    out.rejected++;
    if (out.errors.length < MAX_ERRORS) out.errors.push(`${where}: ${why}`);
  };
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(trimmed);
    } catch (err) {
      // Never quote the body: it may hold values a privacy rule removes.
      throw new SyntaxError(`body is not valid JSON (${jsonErrorMessage(err)})`, { cause: err });
    }
    if (!Array.isArray(arr)) throw new SyntaxError('body is not a JSON array');
    arr.forEach((o, i) => {
      const r = safePrediction(o, now);
      if ('row' in r) out.rows.push(r.row);
      else reject(`record ${i}`, r.error);
    });
    return out;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (err) {
      reject(`line ${i + 1}`, jsonErrorMessage(err));
      continue;
    }
    const r = safePrediction(o, now);
    if ('row' in r) out.rows.push(r.row);
    else reject(`line ${i + 1}`, r.error);
  }
  return out;
}

// A record shaped to break conversion (e.g. an object whose toString is not a function where a
// string is expected) is rejected alone; the rest of the body still lands.
function safePrediction(o: unknown, now: number): { row: PredictionRow } | { error: string } {
  try {
    return predictionFromObject(o, now);
  } catch (err) {
    return { error: `record cannot be read (${err instanceof Error ? err.name : 'error'}: a field has an unexpected shape)` };
  }
}
