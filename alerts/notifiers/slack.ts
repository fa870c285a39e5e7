import { IncomingWebhook, type IncomingWebhookSendArguments } from '@slack/webhook';
import type { Alert, Notification } from '../types.ts';
import { cap, formatTime, valueText } from './format.ts';
import { slackLimiter, type RateLimiter } from './rate-limit.ts';
import { parseRetryAfter, type Notifier, type NotifyResult } from './types.ts';

/** Slack's cap on a section block's text. */
export const SECTION_TEXT_MAX = 3000;
const MAX_LISTED = 10;

/** Options of the Slack notifier. */
export interface SlackOptions {
  name: string;
  webhookUrl: string;
  /** Minimum spacing of messages to this webhook (Slack allows about one per second). */
  minIntervalMs?: number;
  timeoutMs?: number;
  limiter?: RateLimiter;
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function title(n: Notification): string {
  const name = n.commonLabels.alertname ?? n.alerts[0]?.labels.alertname ?? 'alert';
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const where = n.commonLabels.model ? ` — ${n.commonLabels.model}` : '';
  return n.status === 'firing' ? `🔴 [FIRING:${firing}] ${name}${where}` : `✅ [RESOLVED] ${name}${where}`;
}

function alertLine(a: Alert): string {
  const skip = new Set(['alertname', 'severity', 'model']);
  const extra = Object.entries(a.labels).filter(([k]) => !skip.has(k)).map(([k, v]) => `${k}=${v}`).join(', ');
  const head = a.status === 'firing' ? '🔴' : '✅';
  const state = a.state === 'nodata' ? ' (no data)' : a.state === 'error' ? ' (evaluation error)' : '';
  const summary = a.annotations.summary ?? a.annotations.description ?? '';
  const when = a.status === 'firing' ? `since ${formatTime(a.startsAt)}` : `resolved ${formatTime(a.endsAt ?? a.startsAt)}`;
  return `${head} *${escape(a.labels.model ?? a.rule)}*${extra ? ` ${escape(extra)}` : ''}${state}: ${escape(valueText(a))}, ${when}${summary ? `\n${escape(summary)}` : ''}`;
}

/** Builds the Block Kit message for a notification (with a plain `text` fallback). */
export function slackMessage(n: Notification): IncomingWebhookSendArguments {
  const first = n.alerts[0];
  const t = title(n);
  const fields = [
    `*Severity*\n${escape(n.commonLabels.severity ?? first?.labels.severity ?? 'n/a')}`,
    `*Model*\n${escape(n.commonLabels.model ?? (first?.labels.model ? `${first.labels.model}${n.alerts.length > 1 ? ' and others' : ''}` : 'n/a'))}`,
    `*Value*\n${escape(first ? valueText(first) : 'n/a')}`,
    n.status === 'firing'
      ? `*Since*\n${formatTime(Math.min(...n.alerts.filter((a) => a.status === 'firing').map((a) => a.startsAt)))}`
      : `*Resolved*\n${formatTime(Math.max(...n.alerts.map((a) => a.endsAt ?? a.startsAt)))}`,
  ];
  const blocks: NonNullable<IncomingWebhookSendArguments['blocks']> = [
    { type: 'header', text: { type: 'plain_text', text: cap(t, 150), emoji: true } },
    { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: cap(f, 2000) })) },
  ];
  // List alerts while they fit in one section (3,000 characters), then say how many were left out.
  let text = '';
  let shown = 0;
  for (const a of n.alerts.slice(0, MAX_LISTED)) {
    const line = cap(alertLine(a), 1000);
    const more = n.alerts.length - shown - 1;
    const reserve = more > 0 ? 40 : 0;
    if (shown > 0 && text.length + 2 + line.length + reserve > SECTION_TEXT_MAX) break;
    text += (shown ? '\n\n' : '') + line;
    shown++;
  }
  if (shown < n.alerts.length) text += `\n\n… and ${n.alerts.length - shown} more`;
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cap(text, SECTION_TEXT_MAX) } });
  const link = first?.generatorURL || n.externalURL;
  if (link) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in modelwatch' }, url: cap(link, 3000) }],
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: cap(`group ${escape(n.groupKey)} · ${n.alerts.length} alert${n.alerts.length === 1 ? '' : 's'}`, 3000) }] });
  const fallback = `${t}: ${n.alerts.slice(0, 3).map((a) => `${a.labels.model ?? a.rule} ${valueText(a)}`).join('; ')}${n.alerts.length > 3 ? ` and ${n.alerts.length - 3} more` : ''}`;
  return { text: cap(fallback, 3000), blocks };
}

/** Slack incoming-webhook notifier: Block Kit messages, about one per second per webhook, 429 honoured. */
export function slackNotifier(opts: SlackOptions): Notifier {
  const limiter = opts.limiter ?? slackLimiter;
  const interval = opts.minIntervalMs ?? 1000;
  return {
    name: opts.name,
    type: 'slack',
    async send(n: Notification): Promise<NotifyResult> {
      await limiter.acquire(opts.webhookUrl, interval);
      // The library's HTTP errors carry status and body but not headers: keep the last response's headers here.
      let lastHeaders: Headers | undefined;
      const webhook = new IncomingWebhook(opts.webhookUrl, {
        timeout: opts.timeoutMs ?? 10_000,
        fetch: async (url, init) => {
          const res = await fetch(url, init as RequestInit);
          lastHeaders = res.headers;
          return res;
        },
      });
      try {
        await webhook.send(slackMessage(n));
        return { ok: true, httpStatus: 200 };
      } catch (err) {
        const e = (err as { originalError?: unknown }).originalError ?? err;
        const http = e as { statusCode?: number; body?: unknown; message?: string; original?: Error };
        if (typeof http.statusCode === 'number') {
          const status = http.statusCode;
          const body = typeof http.body === 'string' ? http.body : JSON.stringify(http.body ?? '');
          const reason = `HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ''}`;
          if (status === 429) {
            const retryAfterMs = parseRetryAfter(lastHeaders?.get('retry-after')) ?? 1000;
            limiter.backOff(opts.webhookUrl, retryAfterMs);
            return { retryable: true, retryAfterMs, reason, httpStatus: status };
          }
          if (status >= 500 || status === 408) return { retryable: true, reason, httpStatus: status };
          // invalid_payload, user_not_found, action_prohibited, channel_not_found, channel_is_archived: permanent.
          return { failed: true, reason, httpStatus: status };
        }
        return { retryable: true, reason: `request failed: ${http.original?.message ?? http.message ?? String(err)}` };
      }
    },
  };
}
