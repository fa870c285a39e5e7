/**
 * Delivery queues: one per receiver, each sending its notifications one after another on its own
 * loop. Evaluation only enqueues, so a slow or rate-limited receiver (Slack's one message per
 * second, a 429's Retry-After, a webhook that hangs until its timeout) delays that receiver's own
 * messages and nothing else: not the evaluation of rules, not other receivers.
 */
import { withRetry, type AttemptInfo, type RetryHooks } from './notifiers/retry.ts';
import { isOk, type Notifier, type NotifyResult } from './notifiers/types.ts';
import type { DeliveryRecord } from './state-store.ts';
import type { Notification, RetryPolicy } from './types.ts';

/** Sends one notification with retries, appending a delivery-log record for every attempt to `records`. */
export function sendLogged(notifier: Notifier, n: Notification, policy: RetryPolicy, records: DeliveryRecord[], hooks: Omit<RetryHooks, 'onAttempt'> = {}): Promise<NotifyResult> {
  const notificationId = `${n.groupKey}@${Date.now()}`;
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const onAttempt = (a: AttemptInfo) => {
    const r = a.result;
    records.push({
      ts: a.startedAt, receiver: notifier.name, receiverType: notifier.type, groupKey: n.groupKey, notificationId,
      status: isOk(r) ? 'ok' : 'retryable' in r ? 'retryable' : 'failed', httpStatus: r.httpStatus ?? 0,
      error: isOk(r) ? '' : r.reason, attempt: a.attempt, durationMs: a.durationMs,
      alerts: n.alerts.length, firing, resolved: n.alerts.length - firing,
    });
  };
  return withRetry(notifier, policy, { ...hooks, onAttempt }).send(n);
}

/** A queued delivery: runs when its turn comes; the signal is aborted when the queues stop. */
export type DeliveryJob = (signal: AbortSignal) => Promise<void>;

/** Per-receiver serial queues. */
export class DeliveryQueues {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  private readonly controller = new AbortController();

  /** Number of jobs queued or running, over all receivers. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Appends a job to the receiver's queue; resolves when it has run (or was skipped because the
   * queues stopped before its turn). A job's failure is its own business: it never rejects.
   */
  enqueue(receiver: string, job: DeliveryJob): Promise<void> {
    const signal = this.controller.signal;
    const prev = this.tails.get(receiver) ?? Promise.resolve();
    const run = prev.then(async () => {
      if (signal.aborted) return;
      try {
        await job(signal);
      } catch {
        // Jobs report their own failures; the queue keeps going.
      }
    });
    this.tails.set(receiver, run);
    this.pending.add(run);
    void run.finally(() => {
      this.pending.delete(run);
      if (this.tails.get(receiver) === run) this.tails.delete(receiver);
    });
    return run;
  }

  /** Resolves when every job queued so far has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Stops: jobs not started are skipped, running ones see their signal aborted; resolves when they end. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.idle();
  }
}
