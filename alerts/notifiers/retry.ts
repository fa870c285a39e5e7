import type { Notification, RetryPolicy } from '../types.ts';
import type { Notifier, NotifyResult } from './types.ts';

/** What the retry wrapper reports after every attempt. */
export interface AttemptInfo {
  attempt: number;
  startedAt: number;
  durationMs: number;
  result: NotifyResult;
  notification: Notification;
  /** True when no further attempt follows. */
  final: boolean;
}

/** Hooks and clocks for the retry wrapper (tests substitute them). */
export interface RetryHooks {
  onAttempt?: (info: AttemptInfo) => void | Promise<void>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  clock?: () => number;
  /** Aborted when the engine stops: no further attempt is made (the result says `aborted`). */
  signal?: AbortSignal;
}

/** The delay before attempt `attempt + 1`: exponential from the base, capped, with jitter; Retry-After wins when given. */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs: number | undefined, random: () => number): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const spread = exp * policy.jitter;
  return Math.max(0, Math.round(exp - spread + random() * 2 * spread));
}

/** Sleeps `ms`, waking at once (and clearing the timer) when the signal is aborted. */
function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}

/**
 * Wraps a notifier with retries: retryable results are tried again after an exponential, jittered
 * delay (or the receiver's Retry-After), up to `maxAttempts` and `maxElapsedMs`; permanent failures are not retried.
 */
export function withRetry(notifier: Notifier, policy: RetryPolicy, hooks: RetryHooks = {}): Notifier {
  const sleep = hooks.sleep ?? ((ms: number) => abortableSleep(ms, hooks.signal));
  const random = hooks.random ?? Math.random;
  const clock = hooks.clock ?? Date.now;
  return {
    name: notifier.name,
    type: notifier.type,
    async send(n: Notification): Promise<NotifyResult> {
      const start = clock();
      for (let attempt = 1; ; attempt++) {
        const startedAt = clock();
        let result: NotifyResult;
        try {
          result = await notifier.send(n);
        } catch (err) {
          result = { retryable: true, reason: `unexpected error: ${(err as Error).message}` };
        }
        const durationMs = clock() - startedAt;
        let final = !('retryable' in result) || attempt >= policy.maxAttempts;
        let delay = 0;
        if (!final && 'retryable' in result) {
          delay = backoffDelay(policy, attempt, result.retryAfterMs, random);
          if (clock() + delay - start > policy.maxElapsedMs) final = true;
        }
        await hooks.onAttempt?.({ attempt, startedAt, durationMs, result, notification: n, final });
        if (!final && !hooks.signal?.aborted) await sleep(delay);
        if (!final && hooks.signal?.aborted) {
          return { failed: true, aborted: true, reason: `stopped after ${attempt} attempt${attempt > 1 ? 's' : ''}: ${'reason' in result ? result.reason : ''}`, httpStatus: result.httpStatus };
        }
        if (final) {
          if ('retryable' in result) {
            return { failed: true, exhausted: true, reason: `gave up after ${attempt} attempt${attempt > 1 ? 's' : ''}: ${result.reason}`, httpStatus: result.httpStatus };
          }
          return result;
        }
      }
    },
  };
}
