import { randomUUID } from 'node:crypto';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { MwError } from '../core/errors.ts';
import type { Store } from './client.ts';
import { classifyInsertError, type InsertErrorClass } from './errors.ts';
import { NATIVE_TABLES } from './native/tables.ts';
import { asLines, halves, joinPayloads, payloadBody, payloadBytes, payloadRows, sameKind, toPayload, type Payload } from './payload.ts';
import { bodyToLines } from './spool-format.ts';
import { SpoolReplayer } from './spool-replay.ts';
import { Spool, type SpooledBatch, type SpoolOptions } from './spool.ts';

/** Batch writer settings (the `writer` config section, plus the spool). */
export interface WriterOptions {
  maxBatchRows: number;
  flushIntervalMs: number;
  maxQueueRows: number;
  maxAttempts: number;
  retryBaseMs: number;
  /** canAccept() is false while queued rows take this many bytes (Native or JSON) or more (0/absent: no limit). */
  maxQueueBytes?: number;
  /** Local spool for batches ClickHouse cannot take now. Without one they are retried, then handed back. */
  spool?: Omit<SpoolOptions, 'log'>;
  registry?: Registry;
  log?: { info?(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

interface Waiter {
  payload: Payload;
  rows: number;
  bytes: number;
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

type InsertOutcome = null | { cls: InsertErrorClass; err: Error };
type Deliver = (table: string, rows: Payload, token: string) => Promise<void>;

// Thrown inside a replay when ClickHouse cannot take a batch now: the batch stays spooled.
class RetryLater extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Longest wait between replay attempts while ClickHouse is away: recovery is noticed within this.
const REPLAY_MAX_BACKOFF_MS = 5000;

/**
 * Batches rows per table into few large inserts (flush by row count or interval). Rows are
 * encoded when written (storage/payload.ts: Native blocks for predictions, JSON lines otherwise),
 * so the queue holds bytes. `write()` resolves once the rows are durable: accepted by ClickHouse,
 * or, when ClickHouse cannot be reached, fsync'ed to the local spool, which is replayed in order
 * (same dedup token, so a replay after an unseen success adds nothing) once ClickHouse answers
 * again, and at the next start.
 * While the spool holds batches, new batches go behind them, so rows land in arrival order.
 * Bad rows are isolated by splitting and kept in `dead_letters`; other errors are handed back to
 * the caller. Nothing is dropped silently.
 */
export class BatchWriter {
  private readonly queues = new Map<string, TableQueue>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private queued = 0;
  private queuedBytes = 0;
  private readonly spool: Spool | null;
  private readonly replayer: SpoolReplayer | null;
  private readonly m: {
    written: Counter<string>;
    deadLettered: Counter<string>;
    failed: Counter<string>;
    retries: Counter<string>;
    depth: Gauge<string>;
    queueBytes: Gauge<string>;
    latency: Histogram<string>;
    spooled: Counter<string>;
    spooledRows: Counter<string>;
    replayed: Counter<string>;
  };

  constructor(private readonly store: Store, private readonly opts: WriterOptions) {
    const registers = opts.registry ? [opts.registry] : [];
    this.spool = opts.spool ? new Spool({ ...opts.spool, log: opts.log }) : null;
    const spool = this.spool;
    this.m = {
      written: new Counter({ name: 'modelwatch_rows_written_total', help: 'Rows written to ClickHouse', labelNames: ['table'], registers }),
      deadLettered: new Counter({ name: 'modelwatch_rows_dead_lettered_total', help: 'Rows ClickHouse refused, kept in dead_letters', labelNames: ['table'], registers }),
      failed: new Counter({ name: 'modelwatch_rows_write_failed_total', help: 'Rows handed back to the sender after all attempts failed', labelNames: ['table'], registers }),
      retries: new Counter({ name: 'modelwatch_insert_retries_total', help: 'Insert attempts retried', labelNames: ['table'], registers }),
      depth: new Gauge({ name: 'modelwatch_writer_queue_rows', help: 'Rows waiting to be written', registers, collect: () => undefined }),
      queueBytes: new Gauge({ name: 'modelwatch_writer_queue_bytes', help: 'Bytes of rows waiting to be written (Native blocks or JSON text)', registers, collect: () => undefined }),
      latency: new Histogram({ name: 'modelwatch_insert_duration_seconds', help: 'Duration of one insert', labelNames: ['table'], registers, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] }),
      spooled: new Counter({ name: 'modelwatch_spool_batches_spooled_total', help: 'Batches written to the local spool because ClickHouse could not take them', labelNames: ['table'], registers }),
      spooledRows: new Counter({ name: 'modelwatch_spool_rows_spooled_total', help: 'Rows written to the local spool', labelNames: ['table'], registers }),
      replayed: new Counter({ name: 'modelwatch_spool_batches_replayed_total', help: 'Spooled batches inserted into ClickHouse', labelNames: ['table'], registers }),
    };
    new Gauge({ name: 'modelwatch_spool_bytes', help: 'Bytes in the local spool', registers, collect() { this.set(spool?.bytes ?? 0); } });
    new Gauge({ name: 'modelwatch_spool_invalid_bytes', help: 'Bytes of torn or damaged spool records skipped since start', registers, collect() { this.set(spool?.invalidBytes ?? 0); } });
    this.replayer = spool
      ? new SpoolReplayer(spool, { replay: (b) => this.replayBatch(b), ping: () => store.ping() }, { baseMs: opts.retryBaseMs, maxMs: REPLAY_MAX_BACKOFF_MS, log: opts.log })
      : null;
    // A spool left by a previous run (crash, or a stop during an outage) is replayed at start.
    if (spool && !spool.empty) {
      opts.log?.warn({ bytes: spool.bytes }, 'spool from a previous run found; replaying it before new batches');
      this.replayer!.kick();
    }
    this.timer = setInterval(() => void this.flushAll(false), opts.flushIntervalMs);
    this.timer.unref();
  }

  /** Rows accepted but not yet written. */
  get queuedRows(): number {
    return this.queued;
  }

  /** Bytes in the local spool (0 without one). */
  get spoolBytes(): number {
    return this.spool?.bytes ?? 0;
  }

  /** True while batches wait in the spool for ClickHouse. */
  get spooling(): boolean {
    return this.spool !== null && !this.spool.empty;
  }

  /** True when `rows` more rows fit: the queue has room and the spool (if ClickHouse is away) too. */
  canAccept(rows: number): boolean {
    return this.refusal(rows) === null;
  }

  /** Why `rows` more rows would be refused now (MW_ERR_QUEUE_FULL, MW_ERR_SPOOL_FULL...), or null. */
  refusal(rows: number): MwError | null {
    if (this.closed) return new MwError('MW_ERR_SHUTTING_DOWN');
    if (this.spool?.full) return new MwError('MW_ERR_SPOOL_FULL', `${this.spool.bytes} bytes spooled`);
    if (this.queued + rows > this.opts.maxQueueRows) return new MwError('MW_ERR_QUEUE_FULL', `${this.queued} rows queued, limit ${this.opts.maxQueueRows}`);
    if (this.opts.maxQueueBytes && this.queuedBytes >= this.opts.maxQueueBytes) {
      return new MwError('MW_ERR_QUEUE_FULL', `${this.queuedBytes} bytes queued, limit ${this.opts.maxQueueBytes}`);
    }
    return null;
  }

  /**
   * Queues rows for `table`; resolves when they are durable. Throws MW_ERR_QUEUE_FULL at once when
   * the queue is full, MW_ERR_SPOOL_FULL when ClickHouse is away and the spool is full, and
   * MW_ERR_SHUTTING_DOWN after close().
   */
  write(table: string, rows: readonly object[], opts?: WriteOptions): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new MwError('MW_ERR_SHUTTING_DOWN'));
    return this.enqueue(table, toPayload(table, rows), opts);
  }

  /** Like write(), for rows already encoded (collector/ingest-prepare.ts, perhaps in a decode thread). */
  writePayload(table: string, payload: Payload, opts?: WriteOptions): Promise<void> {
    return this.enqueue(table, payload, opts);
  }

  /** Like write(), for rows already encoded as JSON lines. */
  writeLines(table: string, lines: string[], opts?: WriteOptions): Promise<void> {
    return this.enqueue(table, { lines }, opts);
  }

  private enqueue(table: string, payload: Payload, opts?: WriteOptions): Promise<void> {
    const rows = payloadRows(payload);
    if (rows === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new MwError('MW_ERR_SHUTTING_DOWN'));
    if (this.queued + rows > this.opts.maxQueueRows) {
      return Promise.reject(new MwError('MW_ERR_QUEUE_FULL', `${this.queued} rows queued, limit ${this.opts.maxQueueRows}`));
    }
    if (this.spool?.full) return Promise.reject(new MwError('MW_ERR_SPOOL_FULL', `${this.spool.bytes} bytes spooled`, { table }));
    let q = this.queues.get(table);
    if (!q) {
      q = { waiters: [], rows: 0, inFlight: null };
      this.queues.set(table, q);
    }
    const token = opts?.dedupToken;
    const bytes = payloadBytes(payload);
    const p = new Promise<void>((resolve, reject) => q!.waiters.push({ payload, rows, bytes, token, resolve, reject }));
    q.rows += rows;
    this.queued += rows;
    this.queuedBytes += bytes;
    this.m.depth.set(this.queued);
    this.m.queueBytes.set(this.queuedBytes);
    // A tokened write is a whole batch already (e.g. one Kafka fetch): no reason to wait for more.
    if (q.rows >= this.opts.maxBatchRows || token) void this.flushTable(table, false);
    return p;
  }

  /** Writes everything queued now; resolves when all of it is written (or spooled) or failed back. */
  async flush(): Promise<void> {
    await this.flushAll(true);
  }

  /** Stops accepting rows, flushes what is queued, and stops replaying (the spool stays for the next start). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushAll(true);
    await this.replayer?.stop();
    await this.spool?.close();
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
      let bytes = 0;
      // A write with its own token is inserted alone, so a replay of it dedupes exactly.
      while (q.waiters.length && (batch.length === 0 || (!batch[0].token && !q.waiters[0].token && sameKind(batch[0].payload, q.waiters[0].payload) && n + q.waiters[0].rows <= this.opts.maxBatchRows))) {
        const w = q.waiters.shift()!;
        batch.push(w);
        n += w.rows;
        bytes += w.bytes;
      }
      q.rows -= n;
      q.inFlight = this.writeBatch(table, batch, n).finally(() => {
        q.inFlight = null;
        this.queued -= n;
        this.queuedBytes -= bytes;
        this.m.depth.set(this.queued);
        this.m.queueBytes.set(this.queuedBytes);
      });
      await q.inFlight;
    } while (drain || q.rows >= this.opts.maxBatchRows || q.waiters.some((w) => w.token));
  }

  private async writeBatch(table: string, batch: Waiter[], n: number): Promise<void> {
    const payload = joinPayloads(batch.map((w) => w.payload));
    // The token is fixed before the first attempt and travels with the batch into the spool.
    const token = batch[0].token ?? `${table}:${randomUUID()}`;
    try {
      if (this.spool && !this.spool.empty) await this.toSpool(table, payload, token);
      else await this.deliver(table, payload, token);
      for (const w of batch) w.resolve();
    } catch (err) {
      this.m.failed.inc({ table }, n);
      this.opts.log?.error({ table, rows: n, err: (err as Error).message }, 'batch neither written nor spooled; rows handed back to their senders');
      const e = err instanceof MwError ? err : new MwError('MW_ERR_WRITE_FAILED', (err as Error).message, { table }, { cause: err });
      for (const w of batch) w.reject(e);
    }
  }

  private async insertOnce(table: string, payload: Payload, token: string): Promise<InsertOutcome> {
    const rows = payloadRows(payload);
    const end = this.m.latency.startTimer({ table });
    try {
      if (payload.blocks) await this.store.insertNative(table, NATIVE_TABLES[table].map((c) => c.name), payload.blocks, { dedupToken: token });
      else await this.store.insertRaw(table, payloadBody(payload), { dedupToken: token });
      end();
      this.m.written.inc({ table }, rows);
      return null;
    } catch (err) {
      end();
      return { cls: classifyInsertError(err), err: err as Error };
    }
  }

  // Inserts `rows` under `token`: bad rows are isolated by halving; when ClickHouse cannot take
  // the batch now it goes to the spool (without one: retried with backoff, then handed back).
  private deliver: Deliver = async (table, rows, token) => {
    for (let attempt = 1; ; attempt++) {
      const r = await this.insertOnce(table, rows, token);
      if (!r) return;
      if (r.cls === 'split' && table !== 'dead_letters') return this.split(table, rows, token, r.err, this.deliver);
      if (r.cls !== 'retry' || (!this.spool && attempt >= this.opts.maxAttempts)) {
        throw new MwError('MW_ERR_WRITE_FAILED', `${table}: ${r.err.message} (attempt ${attempt})`, { table, attempt }, { cause: r.err });
      }
      if (this.spool) return this.toSpool(table, rows, token, r.err);
      this.m.retries.inc({ table });
      this.opts.log?.warn({ table, attempt, err: r.err.message }, 'insert failed; retrying');
      const backoff = this.opts.retryBaseMs * 2 ** (attempt - 1);
      await sleep(Math.min(30_000, backoff * (0.5 + Math.random() / 2)));
    }
  };

  // Halves the batch until the rows ClickHouse refuses are alone; those go to dead_letters.
  private async split(table: string, rows: Payload, token: string, err: Error, again: Deliver): Promise<void> {
    const n = payloadRows(rows);
    if (n === 1) {
      this.m.deadLettered.inc({ table });
      this.opts.log?.warn({ table, err: err.message.slice(0, 500) }, 'row refused by ClickHouse; kept in dead_letters');
      return again('dead_letters', { lines: [deadLetter('writer', table, '', err, asLines(table, rows)[0])] }, `${token}:dl`);
    }
    const [a, b] = halves(table, rows);
    await again(table, a, `${token}:a`);
    await again(table, b, `${token}:b`);
  }

  private async toSpool(table: string, rows: Payload, token: string, cause?: Error): Promise<void> {
    const spool = this.spool!;
    if (spool.empty && cause) this.opts.log?.warn({ table, err: cause.message }, 'ClickHouse cannot take batches: spooling them to disk until it can');
    const n = payloadRows(rows);
    try {
      // The spool keeps the insert body as it is sent, with its format (spool-format.ts).
      await spool.append({ table, token, rows: n, at: Date.now(), body: payloadBody(rows), ...(rows.blocks ? { format: 'native' as const } : {}) });
    } finally {
      this.replayer!.kick();
    }
    this.m.spooled.inc({ table });
    this.m.spooledRows.inc({ table }, n);
  }

  // Inserts one spooled batch under its original token; 'retry' leaves it in the spool.
  private async replayBatch(b: SpooledBatch): Promise<'done' | 'retry'> {
    try {
      await this.replayInsert(b.table, b.format === 'native' ? { blocks: [b.body], rows: b.rows } : { lines: bodyToLines(b.body) }, b.token);
      this.m.replayed.inc({ table: b.table });
      return 'done';
    } catch (err) {
      if (err instanceof RetryLater) return 'retry';
      throw err;
    }
  }

  private replayInsert: Deliver = async (table, rows, token) => {
    const r = await this.insertOnce(table, rows, token);
    if (!r) return;
    if (r.cls === 'retry') throw new RetryLater(r.err.message);
    if (table === 'dead_letters') {
      // Nowhere else to keep it: leave it spooled and say so, rather than drop an acknowledged batch.
      this.opts.log?.error({ token, err: r.err.message }, 'dead_letters refuses a spooled batch; it stays in the spool');
      throw new RetryLater(r.err.message);
    }
    if (r.cls === 'split') return this.split(table, rows, token, r.err, this.replayInsert);
    // Refused for good (e.g. the table is gone): it was acknowledged, so keep it in dead_letters.
    const lines = asLines(table, rows);
    this.m.deadLettered.inc({ table }, lines.length);
    this.opts.log?.error({ table, rows: lines.length, err: r.err.message.slice(0, 500) }, 'spooled batch refused by ClickHouse; kept in dead_letters');
    await this.replayInsert('dead_letters', { lines: lines.map((raw) => deadLetter('spool', table, token, r.err, raw)) }, `${token}:dl`);
  };
}

function deadLetter(source: string, table: string, key: string, err: Error, raw: string): string {
  return JSON.stringify({ source, topic: table, partition: -1, offset: -1, key, error: err.message.slice(0, 2000), raw });
}
