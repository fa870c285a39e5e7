import type { Alert, Notification } from '../types.ts';
import { postJson, type Notifier, type NotifyResult } from './types.ts';

/** Options of the Alertmanager notifier. */
export interface AlertmanagerOptions {
  name: string;
  /** Base URL, e.g. http://127.0.0.1:9093 */
  url: string;
  /** How long a firing alert stays valid in Alertmanager without a re-send (endsAt = now + this). */
  validForMs?: number;
  timeoutMs?: number;
}

/** One alert as `POST /api/v2/alerts` takes it. */
export function postableAlert(a: Alert, now: number, validForMs: number): Record<string, unknown> {
  return {
    labels: a.labels,
    annotations: a.annotations,
    startsAt: new Date(a.startsAt).toISOString(),
    // A resolved alert has ended by the time it is sent: never tell Alertmanager an end in its future.
    endsAt: new Date(a.status === 'resolved' ? Math.min(a.endsAt ?? now, now) : now + validForMs).toISOString(),
    generatorURL: a.generatorURL,
  };
}

/** Alertmanager notifier: posts the alerts themselves; Alertmanager groups, silences and routes them. */
export function alertmanagerNotifier(opts: AlertmanagerOptions): Notifier {
  const base = opts.url.replace(/\/+$/, '');
  return {
    name: opts.name,
    type: 'alertmanager',
    async send(n: Notification): Promise<NotifyResult> {
      const now = Date.now();
      const body = JSON.stringify(n.alerts.map((a) => postableAlert(a, now, opts.validForMs ?? 4 * 60_000)));
      return postJson(`${base}/api/v2/alerts`, body, {}, opts.timeoutMs ?? 10_000);
    },
  };
}
