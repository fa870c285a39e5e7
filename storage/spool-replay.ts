import type { Spool, SpooledBatch } from './spool.ts';

/** What the replayer writes through: the batch writer's insert path and a cheap reachability probe. */
export interface ReplayTarget {
  /** Inserts one spooled batch under its own token: 'done' when written, 'retry' when ClickHouse cannot take it now. */
  replay(batch: SpooledBatch): Promise<'done' | 'retry'>;
  ping(): Promise<boolean>;
}

/** Replay settings: backoff between attempts while ClickHouse is unavailable. */
export interface ReplayOptions {
  baseMs: number;
  maxMs: number;
  log?: { info?(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * Drains the spool in order, one batch at a time. While ClickHouse refuses, it waits (exponential
 * backoff up to maxMs) and probes with ping before inserting again. It runs when kicked (after each
 * append, and at start for a spool left by a previous run) and stops when the spool is empty.
 */
export class SpoolReplayer {
  private active = false;
  private kicked = false;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(private readonly spool: Spool, private readonly target: ReplayTarget, private readonly opts: ReplayOptions) {}

  /** Makes sure a replay runs (again) for what is spooled now. */
  kick(): void {
    this.kicked = true;
    if (this.active || this.stopped) return;
    this.active = true;
    this.running = this.run();
  }

  /** Stops after the batch in progress; what is left stays spooled for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async run(): Promise<void> {
    let delay = this.opts.baseMs;
    let replayed = 0;
    let attempts = 0;
    try {
      while (!this.stopped) {
        this.kicked = false;
        const batch = await this.spool.next();
        if (!batch) {
          // Checked without an await in between: a kick after this point starts a new run.
          if (this.kicked && !this.stopped) continue;
          if (replayed > 0 && this.spool.empty) this.opts.log?.info?.({ batches: replayed }, 'spool drained: every spooled batch is in ClickHouse');
          return;
        }
        let outcome: 'done' | 'retry';
        try {
          outcome = await this.target.replay(batch);
        } catch (err) {
          this.opts.log?.error({ table: batch.table, err: (err as Error).message }, 'spool replay failed; will retry');
          outcome = 'retry';
        }
        if (outcome === 'done') {
          await this.spool.done(batch);
          replayed++;
          attempts = 0;
          delay = this.opts.baseMs;
          continue;
        }
        // Said at the first failure and every 10th after, so a batch that never goes in is not silent.
        if (attempts++ % 10 === 0) {
          this.opts.log?.warn({ table: batch.table, token: batch.token, rows: batch.rows, attempts, spoolBytes: this.spool.bytes }, 'spooled batch not yet accepted by ClickHouse; waiting and retrying');
        }
        // ClickHouse still cannot take it: wait, and insert again only once it answers a ping.
        do {
          await this.sleep(delay);
          delay = Math.min(delay * 2, this.opts.maxMs);
        } while (!this.stopped && !(await this.target.ping().catch(() => false)));
      }
    } catch (err) {
      this.opts.log?.error({ err: (err as Error).message }, 'spool replay stopped on an error; it resumes with the next batch spooled or at restart');
    } finally {
      this.active = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
