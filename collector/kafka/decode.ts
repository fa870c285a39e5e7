/**
 * Decoding of one Kafka message by its topic's format. A message that cannot be decoded, or
 * whose every record is invalid, is poison: it goes to the dead letters instead of the tables.
 */
import { decodeRequest } from '../otlp/codec.ts';
import { transformLogs } from '../otlp/logs.ts';
import { parsePredictionsBody } from '../predictions/json.ts';
import type { PredictionRow } from '../predictions/record.ts';

/** Payload formats a topic may carry. */
export type TopicFormat = 'predictions' | 'otlp-logs';

/** A decoded message: prediction rows (NDJSON) or the resource logs of an OTLP request. */
export type DecodedMessage =
  | { kind: 'predictions'; rows: PredictionRow[]; rejected: number; errors: string[]; records: number }
  | { kind: 'otlp-logs'; resourceLogs: unknown[]; records: number }
  | { kind: 'poison'; error: string };

const MAX_ERROR = 2000;

function poison(error: string): DecodedMessage {
  return { kind: 'poison', error: error.slice(0, MAX_ERROR) };
}

function countLogRecords(req: any): number {
  let n = 0;
  for (const rl of req.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) n += sl.logRecords?.length ?? 0;
  return n;
}

/** Decodes one message value; never throws. */
export function decodeMessage(format: TopicFormat, value: Buffer | null, now = Date.now()): DecodedMessage {
  if (value === null || value.length === 0) return poison('empty message');
  if (format === 'predictions') {
    let parsed;
    try {
      parsed = parsePredictionsBody(value.toString('utf8'), now);
    } catch (err) {
      return poison((err as Error).message);
    }
    const records = parsed.rows.length + parsed.rejected;
    if (records === 0) return poison('no prediction in the message');
    if (parsed.rows.length === 0) return poison(`every record is invalid: ${parsed.errors.join('; ')}`);
    return { kind: 'predictions', rows: parsed.rows, rejected: parsed.rejected, errors: parsed.errors, records };
  }
  let req: any;
  try {
    req = decodeRequest('logs', value);
  } catch (err) {
    return poison(`not an OTLP ExportLogsServiceRequest: ${(err as Error).message}`);
  }
  const records = countLogRecords(req);
  if (records > 0) {
    // Decoding succeeded, but the records may all be unusable (e.g. predictions without a model).
    // The transform is pure; the ingestor runs it again on the merged chunk.
    const b = transformLogs(req, now);
    if (b.rejected > 0 && b.predictions.length + b.groundTruth.length + b.logs.length === 0) {
      return poison(`every record is invalid: ${b.errors.join('; ')}`);
    }
  }
  return { kind: 'otlp-logs', resourceLogs: req.resourceLogs ?? [], records };
}
