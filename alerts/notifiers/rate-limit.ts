/** Spaces calls per key (a webhook URL) at least `intervalMs` apart; callers queue in order. */
export class RateLimiter {
  private readonly next = new Map<string, number>();
  constructor(private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))) {}

  /** Waits for this key's turn and books the following slot. */
  async acquire(key: string, intervalMs: number): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next.get(key) ?? 0);
    this.next.set(key, at + intervalMs);
    if (at > now) await this.sleep(at - now);
  }

  /** Pushes this key's next slot to at least `ms` from now (after a 429). */
  backOff(key: string, ms: number): void {
    const at = Date.now() + ms;
    if ((this.next.get(key) ?? 0) < at) this.next.set(key, at);
  }
}

/** The process-wide limiter for Slack webhooks: Slack allows about one message per second per webhook. */
export const slackLimiter = new RateLimiter();
