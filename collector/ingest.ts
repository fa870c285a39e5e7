import { Counter, type Registry } from 'prom-client';
import type { BatchWriter } from '../storage/writer.ts';
import type { PredictionRow } from './predictions/record.ts';
import type { ModelScope } from './auth/scope.ts';
import type { PrivacyPolicy } from './privacy/policy.ts';
import { decodeBody, otlpRecords, type BodyKind, type DecodedRecords } from './ingest-body.ts';
import { prepareWrite, type PreparedWrite } from './ingest-prepare.ts';
import type { DecodePool } from './decode/pool.ts';

/** What happened to the records of one request: how many were stored and rejected, and why. */
export interface IngestResult {
  accepted: number;
  rejected: number;
  errors: string[];
}

/** Options of one ingest call. */
export interface IngestOptions {
  /** Makes the write idempotent: the same token and rows a second time add nothing (per table). */
  dedupToken?: string;
  /** The caller's API key scope (HTTP with auth on): rows of other models are refused. */
  scope?: ModelScope & { keyId?: string; patterns?: readonly string[] };
}

/**
 * Turns decoded payloads (OTLP logs/metrics/traces, flat predictions) into table rows and hands
 * them to the batch writer. Resolves once every row is durable; throws MW_ERR_QUEUE_FULL (before
 * writing anything) when the writer cannot take the rows. HTTP and Kafka both go through here.
 * With a decode pool, request bodies are decoded, filtered and encoded in its threads (body()).
 */
export class Ingestor {
  private readonly received: Counter<string>;
  private readonly rejected: Counter<string>;

  private readonly retentionDays: number;
  private readonly privacy: PrivacyPolicy | null;
  private readonly pool: DecodePool | null;

  constructor(private readonly writer: BatchWriter, registry?: Registry, opts: { retentionDays?: number; privacy?: PrivacyPolicy | null; pool?: DecodePool | null } = {}) {
    this.retentionDays = opts.retentionDays ?? 0;
    this.privacy = opts.privacy ?? null;
    this.pool = opts.pool ?? null;
    const registers = registry ? [registry] : [];
    this.received = new Counter({ name: 'modelwatch_records_received_total', help: 'Records received, by signal', labelNames: ['signal'], registers });
    this.rejected = new Counter({ name: 'modelwatch_records_rejected_total', help: 'Records rejected as invalid, by signal', labelNames: ['signal'], registers });
  }

  /** Stores a decoded ExportLogsServiceRequest. */
  async logs(req: unknown, opts?: IngestOptions): Promise<IngestResult> {
    return this.store(otlpRecords('logs', req), opts);
  }

  /** Stores a decoded ExportMetricsServiceRequest. */
  async metrics(req: unknown, opts?: IngestOptions): Promise<IngestResult> {
    return this.store(otlpRecords('metrics', req), opts);
  }

  /** Stores a decoded ExportTraceServiceRequest. */
  async traces(req: unknown, opts?: IngestOptions): Promise<IngestResult> {
    return this.store(otlpRecords('traces', req), opts);
  }

  /** Stores prediction rows already validated (flat JSON / NDJSON, Kafka). */
  async predictions(rows: PredictionRow[], rejected: number, errors: string[], opts?: IngestOptions): Promise<IngestResult> {
    return this.store({ signal: 'predictions', tables: [['predictions', rows]], rejected, errors }, opts);
  }

  /**
   * Stores one request body (OTLP protobuf or JSON of `kind`, or flat predictions): decoded in a
   * decode thread when the collector has them, else here. Throws MW_ERR_BODY_UNDECODABLE for a
   * body that cannot be read.
   */
  body(kind: BodyKind, proto: boolean, body: Uint8Array, opts?: IngestOptions): Promise<IngestResult> {
    const scope = opts?.scope;
    // A restricted scope crosses to a thread as its patterns; one without them is applied here.
    if (this.pool && this.pool.live > 0 && (!scope || scope.unrestricted || scope.patterns)) return this.pool.run(kind, proto, body, scope).then((prepared) => this.commit(prepared, opts));
    return this.store(decodeBody(kind, proto, body), opts);
  }

  // Not async on purpose: V8 keeps an async function's locals alive across its awaits, dead or not,
  // so awaiting here would hold every row object of the request until its batch is flushed (up
  // to writer.flushIntervalMs). With many requests in flight those rows are promoted to the old
  // generation, and garbage collection became the collector's largest cost. The promise returned
  // holds only the counts. A synchronous throw becomes the async caller's rejection.
  private store(d: DecodedRecords, opts?: IngestOptions): Promise<IngestResult> {
    return this.commit(prepareWrite(d, { retentionDays: this.retentionDays, privacy: this.privacy }, opts?.scope), opts);
  }

  // Counts the request and queues its encoded rows; resolves when they are durable.
  private commit(p: PreparedWrite, opts?: IngestOptions): Promise<IngestResult> {
    this.received.inc({ signal: p.signal }, p.accepted + p.rejected);
    if (p.rejected) this.rejected.inc({ signal: p.signal }, p.rejected);
    // Why the writer cannot take the rows (queue full, spool full, shutting down) is its to say.
    const refused = this.writer.refusal(p.rows);
    if (refused) throw refused;
    const token = opts?.dedupToken;
    const written = Promise.all(p.tables.map(([table, payload]) => this.writer.writePayload(table, payload, token ? { dedupToken: `${token}:${table}` } : undefined)));
    const result: IngestResult = { accepted: p.accepted, rejected: p.rejected, errors: p.errors };
    return written.then(() => result);
  }
}

/** Formats the partial_success message: the count and the first problems. */
export function partialMessage(r: IngestResult): string {
  if (r.rejected === 0) return '';
  return `${r.rejected} record(s) rejected; first problems: ${r.errors.join('; ')}`;
}
