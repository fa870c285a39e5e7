import type { Notification } from '../types.ts';

/** Outcome of one delivery attempt; expected failures are values, never exceptions. */
export type NotifyResult =
  | { ok: true; httpStatus?: number }
  | { retryable: true; retryAfterMs?: number; reason: string; httpStatus?: number }
  | {
    failed: true;
    reason: string;
    httpStatus?: number;
    /** Set when retries ran out (the failure itself was transient). */
    exhausted?: boolean;
    /** Set when the sender stopped before retrying (shutdown): the message was not delivered and may be sent again. */
    aborted?: boolean;
  };

/** Something that delivers notifications to one receiver. */
export interface Notifier {
  readonly name: string;
  readonly type: 'slack' | 'webhook' | 'alertmanager';
  send(n: Notification): Promise<NotifyResult>;
}

/** True for a delivered result. */
export function isOk(r: NotifyResult): r is { ok: true; httpStatus?: number } {
  return 'ok' in r;
}

/** Parses an HTTP Retry-After header (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

/** Maps an HTTP answer to a result: 2xx ok; 408, 429 and 5xx retryable; other 4xx permanent. */
export function resultFromHttp(status: number, body: string, retryAfter: string | null): NotifyResult {
  if (status >= 200 && status < 300) return { ok: true, httpStatus: status };
  const reason = `HTTP ${status}${body ? `: ${body.slice(0, 500)}` : ''}`;
  if (status === 429 || status === 408 || status >= 500) {
    return { retryable: true, retryAfterMs: parseRetryAfter(retryAfter), reason, httpStatus: status };
  }
  return { failed: true, reason, httpStatus: status };
}

/** Posts JSON with Node's fetch and maps the answer; network errors and timeouts are retryable. */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<NotifyResult> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'modelwatch', ...headers },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text().catch(() => '');
    return resultFromHttp(res.status, text, res.headers.get('retry-after'));
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { retryable: true, reason: `${e.name === 'TimeoutError' ? 'timeout' : 'request failed'}: ${e.cause?.code ?? e.message}` };
  }
}
