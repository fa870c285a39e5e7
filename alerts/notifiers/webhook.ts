import { createHmac } from 'node:crypto';
import type { Alert, Notification } from '../types.ts';
import { postJson, type Notifier, type NotifyResult } from './types.ts';

/** Header carrying `sha256=<hex>` of HMAC-SHA256(secret, body). */
export const SIGNATURE_HEADER = 'X-Modelwatch-Signature';
/** Header carrying the send time (Unix seconds). */
export const TIMESTAMP_HEADER = 'X-Modelwatch-Timestamp';

/** Options of the generic webhook notifier. */
export interface WebhookOptions {
  name: string;
  url: string;
  secret?: string;
  /** Most alerts per payload; the rest are counted in truncatedAlerts (0: no limit). */
  maxAlerts?: number;
  timeoutMs?: number;
}

const isoOrZero = (ms: number | null): string => (ms === null ? '0001-01-01T00:00:00Z' : new Date(ms).toISOString());

/** One alert in Alertmanager's webhook format. */
export function amAlert(a: Alert): Record<string, unknown> {
  return {
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: new Date(a.startsAt).toISOString(),
    endsAt: isoOrZero(a.status === 'resolved' ? a.endsAt : null),
    generatorURL: a.generatorURL,
    fingerprint: a.fingerprint,
  };
}

/** The Alertmanager webhook v4 payload of a notification. */
export function webhookPayload(n: Notification, maxAlerts = 0): Record<string, unknown> {
  const alerts = maxAlerts > 0 ? n.alerts.slice(0, maxAlerts) : n.alerts;
  return {
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: n.alerts.length - alerts.length,
    status: n.status,
    receiver: n.receiver,
    groupLabels: n.groupLabels,
    commonLabels: n.commonLabels,
    commonAnnotations: n.commonAnnotations,
    externalURL: n.externalURL,
    alerts: alerts.map(amAlert),
  };
}

/** HMAC-SHA256 of the body, as sent in the signature header. */
export function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Generic webhook notifier: Alertmanager-compatible JSON, signed with HMAC-SHA256 when a secret is set. */
export function webhookNotifier(opts: WebhookOptions): Notifier {
  return {
    name: opts.name,
    type: 'webhook',
    async send(n: Notification): Promise<NotifyResult> {
      const body = JSON.stringify(webhookPayload(n, opts.maxAlerts ?? 0));
      const headers: Record<string, string> = { [TIMESTAMP_HEADER]: String(Math.floor(Date.now() / 1000)) };
      if (opts.secret) headers[SIGNATURE_HEADER] = sign(opts.secret, body);
      return postJson(opts.url, body, headers, opts.timeoutMs ?? 10_000);
    },
  };
}
