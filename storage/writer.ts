import { randomUUID } from 'node:crypto';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { MwError } from '../core/errors.ts';
import type { Store } from './client.ts';
import { classifyInsertError } from './errors.ts';

/** Batch writer settings (the `writer` config section). */
export interface WriterOptions {
  maxBatchRows: number;
  flushIntervalMs: number;
  maxQueueRows: number;
  maxAttempts: number;
  retryBaseMs: number;
  registry?: Registry;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

interface Waiter {
  lines: string[];
  /** Caller-chosen dedup token: such a write is inserted alone, under this token. */
  token?: string;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Options of one write. */
export interface WriteOptions {
  /**
   * Deduplication token for this write (e.g. Kafka topic/partition/offset range): it is inserted
   * as its own insert under this token, so writing the same rows again with it adds nothing.
   */
  dedupToken?: string;
}

interface TableQueue {
  waiters: Waiter[];
  rows: number;
  inFlight: Promise<void> | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Batches rows per table into few large inserts (flush by row count or interval). `write()`
 * resolves once ClickHouse accepted the rows, so callers acknowledge only durable data.
 * Errors are classified: retried with backoff (same dedup token, so a retry after an unseen
 * success adds nothing), split to isolate bad rows (which go to `dead_letters`), or failed back
 * to the caller. Nothing is dropped silently.
 */
export class BatchWriter {
  private readonly queues = new Map<string, TableQueue>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private queued = 0;
  private readonly m: {
    written: Counter<string>;
    deadLettered: Counter<string>;
    failed: Counter<string>;
    retries: Counter<string>;
    depth: Gauge<string>;
    latency: Histogram<string>;
  };

  constructor(private readonly store: Store, private readonly opts: WriterOptions) {
    const registers = opts.registry ? [opts.registry] : [];
    this.m = {
      written: new Counter({ name: 'modelwatch_rows_written_total', help: 'Rows written to ClickHouse', labelNames: ['table'], registers }),
      deadLettered: new Counter({ name: 'modelwatch_rows_dead_lettered_total', help: 'Rows ClickHouse refused, kept in dead_letters', labelNames: ['table'], registers }),
      failed: new Counter({ name: 'modelwatch_rows_write_failed_total', help: 'Rows handed back to the sender after all attempts failed', labelNames: ['table'], registers }),
      retries: new Counter({ name: 'modelwatch_insert_retries_total', help: 'Insert attempts retried', labelNames: ['table'], registers }),
      depth: new Gauge({ name: 'modelwatch_writer_queue_rows', help: 'Rows waiting to be written', registers, collect: () => undefined }),
      latency: new Histogram({ name: 'modelwatch_insert_duration_seconds', help: 'Duration of one insert', labelNames: ['table'], registers, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] }),
    };
    this.timer = setInterval(() => void this.flushAll(false), opts.flushIntervalMs);
    this.timer.unref();
  }

  /** Rows accepted but not yet written. */
  get queuedRows(): number {
    return this.queued;
  }

  /** True when `rows` more rows fit in the queue. */
  canAccept(rows: number): boolean {
    return !this.closed && this.queued + rows <= this.opts.maxQueueRows;
  }

  /**
   * Queues rows for `table`; resolves when they are durable. Throws MW_ERR_QUEUE_FULL at once when
   * the queue is full and MW_ERR_SHUTTING_DOWN after close().
   */
  write(table: string, rows: readonly object[], opts?: WriteOptions): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.writeLines(table, rows.map((r) => JSON.stringify(r)), opts);
  }

  /** Like write(), for rows already encoded as JSON lines. */
  writeLines(table: string, lines: string[], opts?: WriteOptions): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new MwError('MW_ERR_SHUTTING_DOWN'));
    if (this.queued + lines.length > this.opts.maxQueueRows) {
      return Promise.reject(new MwError('MW_ERR_QUEUE_FULL', `${this.queued} rows queued, limit ${this.opts.maxQueueRows}`));
    }
    let q = this.queues.get(table);
    if (!q) {
      q = { waiters: [], rows: 0, inFlight: null };
      this.queues.set(table, q);
    }
    const token = opts?.dedupToken;
    const p = new Promise<void>((resolve, reject) => q!.waiters.push({ lines, token, resolve, reject }));
    q.rows += lines.length;
    this.queued += lines.length;
    this.m.depth.set(this.queued);
    // A tokened write is a whole batch already (e.g. one Kafka fetch): no reason to wait for more.
    if (q.rows >= this.opts.maxBatchRows || token) void this.flushTable(table, false);
    return p;
  }

  /** Writes everything queued now; resolves when all of it is written or failed back. */
  async flush(): Promise<void> {
    await this.flushAll(true);
  }

  /** Stops accepting rows and flushes what is queued. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushAll(true);
  }

  private async flushAll(drain: boolean): Promise<void> {
    await Promise.all([...this.queues.keys()].map((t) => this.flushTable(t, drain)));
  }

  private async flushTable(table: string, drain: boolean): Promise<void> {
    const q = this.queues.get(table)!;
    // One insert at a time per table: ClickHouse wants few, large inserts.
    while (q.inFlight) await q.inFlight;
    do {
      if (q.waiters.length === 0) return;
      const batch: Waiter[] = [];
      let n = 0;
      // A write with its own token is inserted alone, so a replay of it dedupes exactly.
      while (q.waiters.length && (batch.length === 0 || (!batch[0].token && !q.waiters[0].token && n + q.waiters[0].lines.length <= this.opts.maxBatchRows))) {
        const w = q.waiters.shift()!;
        batch.push(w);
        n += w.lines.length;
      }
      q.rows -= n;
      q.inFlight = this.writeBatch(table, batch, n).finally(() => {
        q.inFlight = null;
        this.queued -= n;
        this.m.depth.set(this.queued);
      });
      await q.inFlight;
    } while (drain || q.rows >= this.opts.maxBatchRows || q.waiters.some((w) => w.token));
  }

  private async writeBatch(table: string, batch: Waiter[], n: number): Promise<void> {
    const lines = batch.length === 1 ? batch[0].lines : batch.flatMap((w) => w.lines);
    try {
      await this.insertWithRetry(table, lines, batch[0].token ?? `${table}:${randomUUID()}`);
      this.m.written.inc({ table }, n);
      for (const w of batch) w.resolve();
    } catch (err) {
      this.m.failed.inc({ table }, n);
      this.opts.log?.error({ table, rows: n, err: (err as Error).message }, 'insert failed; rows handed back to their senders');
      const e = err instanceof MwError ? err : new MwError('MW_ERR_WRITE_FAILED', (err as Error).message, { table }, { cause: err });
      for (const w of batch) w.reject(e);
    }
  }

  private async insertWithRetry(table: string, lines: string[], token: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const end = this.m.latency.startTimer({ table });
      try {
        await this.store.insertRaw(table, Buffer.from(lines.join('\n') + '\n'), { dedupToken: token });
        end();
        return;
      } catch (err) {
        end();
        const cls = classifyInsertError(err);
        if (cls === 'split') return this.split(table, lines, token, err as Error);
        if (cls === 'fail' || attempt >= this.opts.maxAttempts) {
          throw new MwError('MW_ERR_WRITE_FAILED', `${table}: ${(err as Error).message} (attempt ${attempt})`, { table, attempt }, { cause: err });
        }
        this.m.retries.inc({ table });
        this.opts.log?.warn({ table, attempt, err: (err as Error).message }, 'insert failed; retrying');
        const backoff = this.opts.retryBaseMs * 2 ** (attempt - 1);
        await sleep(Math.min(30_000, backoff * (0.5 + Math.random() / 2)));
      }
    }
  }

  // Halves the batch until the rows ClickHouse refuses are alone; those go to dead_letters.
  private async split(table: string, lines: string[], token: string, err: Error): Promise<void> {
    if (lines.length === 1) {
      this.m.deadLettered.inc({ table });
      this.opts.log?.warn({ table, err: err.message.slice(0, 500) }, 'row refused by ClickHouse; kept in dead_letters');
      await this.store.insert('dead_letters', [{ source: 'writer', topic: table, partition: -1, offset: -1, key: '', error: err.message.slice(0, 2000), raw: lines[0] }], { dedupToken: `${token}:dl` });
      return;
    }
    const mid = lines.length >> 1;
    await this.insertWithRetry(table, lines.slice(0, mid), `${token}:a`);
    await this.insertWithRetry(table, lines.slice(mid), `${token}:b`);
  }
}
