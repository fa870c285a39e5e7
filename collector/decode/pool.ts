import { Worker } from 'node:worker_threads';
import type { Config } from '../../core/config/schema.ts';
import type { IngestOptions } from '../ingest.ts';
import type { BodyKind } from '../ingest-body.ts';
import type { PreparedWrite } from '../ingest-prepare.ts';
import { errorFrom, type DecodeAnswer, type DecodeJob, type ScopeSpec } from './protocol.ts';

/** What a decode thread is started with: the settings prepareWrite() needs, as plain data. */
export interface DecodeThreadData {
  retentionDays: number;
  privacy: Config['privacy'];
}

interface Pending {
  resolve: (p: PreparedWrite) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Whether it has answered a job: a thread that dies before its first answer may not start at all. */
  answered: boolean;
  /** Threads of this slot in a row that died before their first answer. */
  failedStarts: number;
}

const ENTRY = new URL('./thread-entry.mjs', import.meta.url);
// A slot whose threads die this many times in a row before answering is given up (no restart loop).
const MAX_FAILED_STARTS = 3;

/**
 * Worker threads that decode, filter and encode request bodies (collector/decode/worker.ts), so
 * that one collector process uses more than one core for ingest. A job goes to the thread with the
 * fewest jobs outstanding. A thread that dies fails its jobs (the senders retry on 500) and is
 * replaced, unless its slot's threads keep dying before their first answer: then the slot is given
 * up, and with no thread left the ingestor decodes on the event loop (`live`).
 */
export class DecodePool {
  private readonly threads: Thread[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number, private readonly data: DecodeThreadData, private readonly log?: { error(obj: object, msg: string): void }) {
    for (let i = 0; i < size; i++) this.threads.push(this.start(0));
  }

  /** Threads running now (fewer than `size` once slots are given up). */
  get live(): number {
    return this.threads.length;
  }

  private start(failedStarts: number): Thread {
    const worker = new Worker(ENTRY, { workerData: this.data });
    const t: Thread = { worker, pending: new Map(), answered: false, failedStarts };
    worker.on('message', (a: DecodeAnswer) => {
      t.answered = true;
      const p = t.pending.get(a.id);
      if (!p) return;
      t.pending.delete(a.id);
      if ('error' in a) p.reject(errorFrom(a.error));
      else p.resolve(received(a.ok));
    });
    worker.on('error', (err) => this.log?.error({ err }, 'decode thread failed'));
    worker.on('exit', (code) => {
      for (const p of t.pending.values()) p.reject(new Error(`decode thread exited (code ${code}) before answering`));
      t.pending.clear();
      const i = this.threads.indexOf(t);
      if (i < 0 || this.closed) return;
      const failedStarts = t.answered ? 0 : t.failedStarts + 1;
      if (failedStarts < MAX_FAILED_STARTS) {
        this.threads[i] = this.start(failedStarts);
        return;
      }
      this.threads.splice(i, 1);
      this.log?.error({ failedStarts, live: this.threads.length }, this.threads.length ? 'a decode thread keeps dying before its first answer; running with fewer' : 'no decode thread starts; decoding on the event loop');
    });
    return t;
  }

  /**
   * Decodes, filters and encodes one body in a thread. The body's memory may move to that thread:
   * the caller must not use it after. A restricted scope must carry its patterns (an API key's
   * principal does).
   */
  run(kind: BodyKind, proto: boolean, body: Uint8Array, scope?: IngestOptions['scope']): Promise<PreparedWrite> {
    if (this.closed || this.threads.length === 0) return Promise.reject(new Error(this.closed ? 'decode threads are closed' : 'no decode thread is running'));
    let spec: ScopeSpec | undefined;
    if (scope && !scope.unrestricted) {
      if (!scope.patterns) return Promise.reject(new Error('a restricted scope without its patterns cannot be sent to a decode thread'));
      spec = { patterns: scope.patterns, keyId: scope.keyId };
    }
    let t = this.threads[0];
    for (const c of this.threads) if (c.pending.size < t.pending.size) t = c;
    const id = this.nextId++;
    // A body that owns its memory moves without a copy; one that shares it (a slice of a pool) is copied.
    const owns = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && !(body.buffer instanceof SharedArrayBuffer);
    const job: DecodeJob = { id, kind, proto, body: owns ? body : new Uint8Array(body), scope: spec };
    return new Promise<PreparedWrite>((resolve, reject) => {
      t.pending.set(id, { resolve, reject });
      t.worker.postMessage(job, [job.body.buffer as ArrayBuffer]);
    });
  }

  /** Stops the threads; jobs still outstanding fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

// Blocks arrive as plain Uint8Arrays: the writer and the insert take Buffers.
function received(p: PreparedWrite): PreparedWrite {
  for (const [, payload] of p.tables) {
    if (payload.blocks) payload.blocks = payload.blocks.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  return p;
}
