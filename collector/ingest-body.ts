import { MwError } from '../core/errors.ts';
import { decodeRequest, type Signal } from './otlp/codec.ts';
import { transformLogs } from './otlp/logs.ts';
import { transformMetrics } from './otlp/metrics.ts';
import { transformTraces } from './otlp/traces.ts';
import { parsePredictionsBody } from './predictions/json.ts';
import { jsonErrorMessage } from './privacy/messages.ts';
import type { TableRows } from './auth/write-scope.ts';

/** What an ingest request carries: an OTLP signal, or flat predictions (`/v1/predictions`). */
export type BodyKind = Signal | 'predictions';

/** A request's records as table rows, with those refused while reading them. */
export interface DecodedRecords {
  /** The signal the records are counted under (`modelwatch_records_received_total`). */
  signal: BodyKind;
  tables: TableRows[];
  rejected: number;
  errors: string[];
  /** Records accepted, where not every row is one (metrics: GPU samples copy metric points). */
  accepted?: number;
}

/** The rows of a decoded OTLP export request, by table. */
export function otlpRecords(signal: Signal, req: unknown): DecodedRecords {
  if (signal === 'logs') {
    const b = transformLogs(req);
    return { signal, tables: [['predictions', b.predictions], ['ground_truth', b.groundTruth], ['logs', b.logs]], rejected: b.rejected, errors: b.errors };
  }
  if (signal === 'metrics') {
    const b = transformMetrics(req);
    // GPU samples are copies of points already counted.
    const accepted = b.points.length + b.histograms.length;
    return { signal, tables: [['metric_points', b.points], ['metric_histograms', b.histograms], ['gpu_samples', b.gpu]], rejected: b.rejected, errors: b.errors, accepted };
  }
  const b = transformTraces(req);
  return { signal, tables: [['spans', b.spans]], rejected: b.rejected, errors: b.errors };
}

/**
 * Decodes one request body (protobuf or JSON OTLP, or a JSON/NDJSON body of flat predictions) into
 * table rows. A body that cannot be read, or JSON OTLP of the wrong shape, throws
 * MW_ERR_BODY_UNDECODABLE; a message never quotes the body (it may hold values a privacy rule removes).
 */
export function decodeBody(kind: BodyKind, proto: boolean, body: Uint8Array): DecodedRecords {
  const text = () => Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (kind === 'predictions') {
    try {
      const parsed = parsePredictionsBody(text());
      return { signal: kind, tables: [['predictions', parsed.rows]], rejected: parsed.rejected, errors: parsed.errors };
    } catch (err) {
      throw new MwError('MW_ERR_BODY_UNDECODABLE', (err as Error).message);
    }
  }
  let decoded: unknown;
  try {
    decoded = proto ? decodeRequest(kind, body) : body.length === 0 ? {} : JSON.parse(text());
  } catch (err) {
    throw new MwError('MW_ERR_BODY_UNDECODABLE', proto ? `protobuf: ${(err as Error).message}` : jsonErrorMessage(err));
  }
  if (!proto && (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded))) {
    throw new MwError('MW_ERR_BODY_UNDECODABLE', 'JSON: the body must be an object');
  }
  try {
    return otlpRecords(kind, decoded);
  } catch (err) {
    // OTLP/JSON is parsed without a schema: a body of the wrong shape (a number where a list
    // belongs...) fails in the transform, before anything is written. The sender's error, not ours.
    if (!proto && (err instanceof TypeError || err instanceof RangeError)) throw new MwError('MW_ERR_BODY_UNDECODABLE', 'JSON does not follow the OTLP schema (a field has the wrong type or shape)');
    throw err;
  }
}
