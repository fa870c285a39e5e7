import type { ReceiverConfig } from '../types.ts';
import { alertmanagerNotifier } from './alertmanager.ts';
import { slackNotifier } from './slack.ts';
import type { Notifier } from './types.ts';
import { webhookNotifier } from './webhook.ts';

/** Builds the notifier for a receiver definition. */
export function createNotifier(r: ReceiverConfig, opts: { evaluationIntervalMs?: number } = {}): Notifier {
  switch (r.type) {
    case 'slack':
      return slackNotifier({ name: r.name, webhookUrl: r.webhookUrl, minIntervalMs: r.minIntervalMs });
    case 'webhook':
      return webhookNotifier({ name: r.name, url: r.url, secret: r.secret, maxAlerts: r.maxAlerts, timeoutMs: r.timeoutMs });
    case 'alertmanager':
      return alertmanagerNotifier({
        name: r.name, url: r.url, timeoutMs: r.timeoutMs,
        // As Prometheus: an alert not re-sent within four resend periods ends on its own.
        validForMs: 4 * Math.max(r.resendIntervalMs, opts.evaluationIntervalMs ?? 0),
      });
  }
}
