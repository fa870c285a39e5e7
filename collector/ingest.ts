import { Counter, type Registry } from 'prom-client';
import { MwError } from '../core/errors.ts';
import type { BatchWriter } from '../storage/writer.ts';
import { transformLogs } from './otlp/logs.ts';
import { transformMetrics } from './otlp/metrics.ts';
import { transformTraces } from './otlp/traces.ts';
import type { PredictionRow } from './predictions/record.ts';
import { dropExpired, expiredMessage } from './retention-filter.ts';
import { applyWriteScope } from './auth/write-scope.ts';
import type { ModelScope } from './auth/scope.ts';
import { redactRows } from './privacy/apply.ts';
import type { PrivacyPolicy } from './privacy/policy.ts';

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
  scope?: ModelScope & { keyId?: string };
}

type TableRows = [table: string, rows: readonly object[]];

/**
 * Turns decoded payloads (OTLP logs/metrics/traces, flat predictions) into table rows and hands
 * them to the batch writer. Resolves once every row is durable; throws MW_ERR_QUEUE_FULL (before
 * writing anything) when the writer cannot take the rows. HTTP and Kafka both go through here.
 */
export class Ingestor {
  private readonly received: Counter<string>;
  private readonly rejected: Counter<string>;

  private readonly retentionDays: number;
  private readonly privacy: PrivacyPolicy | null;

  constructor(private readonly writer: BatchWriter, registry?: Registry, opts: { retentionDays?: number; privacy?: PrivacyPolicy | null } = {}) {
    this.retentionDays = opts.retentionDays ?? 0;
    this.privacy = opts.privacy ?? null;
    const registers = registry ? [registry] : [];
    this.received = new Counter({ name: 'modelwatch_records_received_total', help: 'Records received, by signal', labelNames: ['signal'], registers });
    this.rejected = new Counter({ name: 'modelwatch_records_rejected_total', help: 'Records rejected as invalid, by signal', labelNames: ['signal'], registers });
  }

  /** Stores a decoded ExportLogsServiceRequest. */
  async logs(req: unknown, opts?: IngestOptions): Promise<IngestResult> {
    const b = transformLogs(req);
    return this.store('logs', [['predictions', b.predictions], ['ground_truth', b.groundTruth], ['logs', b.logs]], b.rejected, b.errors, undefined, opts);
  }

  /** Stores a decoded ExportMetricsServiceRequest. */
  async metrics(req: unknown, opts?: IngestOptions): Promise<IngestResult> {
    const b = transformMetrics(req);
    // GPU samples are copies of points already counted.
    const accepted = b.points.length + b.histograms.length;
    return this.store('metrics', [['metric_points', b.points], ['metric_histograms', b.histograms], ['gpu_samples', b.gpu]], b.rejected, b.errors, accepted, opts);
  }

  /** Stores a decoded ExportTraceServiceRequest. */
  async traces(req: unknown, opts?: IngestOptions): Promise<IngestResult> {
    const b = transformTraces(req);
    return this.store('traces', [['spans', b.spans]], b.rejected, b.errors, undefined, opts);
  }

  /** Stores prediction rows already validated (flat JSON / NDJSON, Kafka). */
  async predictions(rows: PredictionRow[], rejected: number, errors: string[], opts?: IngestOptions): Promise<IngestResult> {
    return this.store('predictions', [['predictions', rows]], rejected, errors, undefined, opts);
  }

  // Not async on purpose: V8 keeps an async function's locals alive across its awaits, dead or not,
  // so awaiting here would hold every row object of the request until its batch is flushed (up
  // to writer.flushIntervalMs). With many requests in flight those rows are promoted to the old
  // generation, and garbage collection became the collector's largest cost. The promise returned
  // holds only the counts. A synchronous throw becomes the async caller's rejection.
  private store(signal: string, tables: TableRows[], rejected: number, errors: string[], accepted?: number, opts?: IngestOptions): Promise<IngestResult> {
    if (this.retentionDays > 0) {
      const minTsMs = Date.now() - this.retentionDays * 86_400_000;
      for (const entry of tables) {
        const { kept, expired, oldestMs } = dropExpired(entry[1], minTsMs);
        if (expired === 0) continue;
        entry[1] = kept;
        // GPU samples are copies of metric points, already refused with them.
        if (entry[0] === 'gpu_samples') continue;
        rejected += expired;
        if (accepted !== undefined) accepted -= expired;
        errors = [...errors, expiredMessage(entry[0], expired, oldestMs, this.retentionDays)];
      }
    }
    if (opts?.scope && !opts.scope.unrestricted) {
      const scoped = applyWriteScope(tables, opts.scope, opts.scope.keyId);
      if (scoped.refused > 0 && scoped.kept === 0) throw new MwError('MW_ERR_FORBIDDEN', scoped.errors.join('; '));
      tables = scoped.tables;
      rejected += scoped.refused;
      if (accepted !== undefined) accepted -= scoped.refused;
      errors = [...errors, ...scoped.errors];
    }
    // Before the writer: a redacted value reaches neither ClickHouse, nor the spool, nor a dead letter.
    if (this.privacy) for (const [table, rows] of tables) redactRows(this.privacy, table, rows);
    const total = tables.reduce((n, [, rows]) => n + rows.length, 0);
    const count = accepted ?? total;
    this.received.inc({ signal }, count + rejected);
    if (rejected) this.rejected.inc({ signal }, rejected);
    // Why the writer cannot take the rows (queue full, spool full, shutting down) is its to say.
    const refused = this.writer.refusal(total);
    if (refused) throw refused;
    const token = opts?.dedupToken;
    const written = Promise.all(
      tables.filter(([, rows]) => rows.length > 0).map(([table, rows]) => this.writer.write(table, rows, token ? { dedupToken: `${token}:${table}` } : undefined)),
    );
    const result: IngestResult = { accepted: count, rejected, errors };
    return written.then(() => result);
  }
}

/** Formats the partial_success message: the count and the first problems. */
export function partialMessage(r: IngestResult): string {
  if (r.rejected === 0) return '';
  return `${r.rejected} record(s) rejected; first problems: ${r.errors.join('; ')}`;
}
