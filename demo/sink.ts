/**
 * The demo's local endpoints, on one loopback port: a Slack-like incoming webhook and an
 * Alertmanager-style webhook receiver (what the alert rules send to), and the simulated DCGM
 * exporter pages the SDK's GPU samplers poll.
 */
import Fastify, { type FastifyInstance } from 'fastify';

/** A Slack message as the sink got it: the header, and the alert lines of its list section. */
export interface SlackNote {
  title: string;
  /** Alert lines as Slack shows them (mrkdwn), one per alert listed. */
  lines: string[];
  /** The plain-text fallback. */
  text: string;
}

/** One alert of an Alertmanager-style webhook payload. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}

/** What the sink needs from the demo. */
export interface SinkHandlers {
  onSlack(note: SlackNote): void;
  onWebhook(alerts: WebhookAlert[]): void;
  /** The DCGM exporter page of a host, or null for an unknown host. */
  dcgmPage(host: string): string | null;
}

/** The running sink. */
export interface Sink {
  /** Slack webhook URL for the rules file. */
  slackUrl: string;
  /** Webhook receiver URL for the rules file. */
  eventsUrl: string;
  /** DCGM exporter URL of a host. */
  dcgmUrl(host: string): string;
  close(): Promise<void>;
}

/** Reads a Slack Block Kit message into a title and alert lines. */
export function readSlackMessage(body: unknown): SlackNote | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as { text?: unknown; blocks?: unknown };
  const blocks = Array.isArray(b.blocks) ? (b.blocks as { type?: string; text?: { text?: unknown } }[]) : [];
  const header = blocks.find((x) => x.type === 'header');
  // The list section is the one with a text (the fields section has none).
  const list = blocks.find((x) => x.type === 'section' && typeof x.text?.text === 'string');
  const text = typeof b.text === 'string' ? b.text : '';
  const title = typeof header?.text?.text === 'string' ? header.text.text : text.split(':')[0];
  if (!title && !text) return null;
  const lines = typeof list?.text?.text === 'string' ? list.text.text.split(/\n\n/).filter((l) => l.trim() !== '') : [];
  return { title, lines, text };
}

/** Reads the alerts of an Alertmanager webhook (version 4) payload; malformed entries are skipped. */
export function readWebhookPayload(body: unknown): WebhookAlert[] {
  const alerts = (body as { alerts?: unknown })?.alerts;
  if (!Array.isArray(alerts)) return [];
  return alerts.filter((a): a is WebhookAlert =>
    !!a && typeof a === 'object' && (a.status === 'firing' || a.status === 'resolved') && typeof a.labels === 'object' && a.labels !== null);
}

/** Starts the sink on 127.0.0.1 (an ephemeral port). */
export async function startSink(handlers: SinkHandlers): Promise<Sink> {
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.post('/services/*', async (req, reply) => {
    const note = readSlackMessage(req.body);
    // Slack answers a message without text or blocks with 400 invalid_payload.
    if (!note) return reply.code(400).type('text/html').send('invalid_payload');
    handlers.onSlack(note);
    return reply.type('text/html').send('ok');
  });
  app.post('/events', async (req) => {
    handlers.onWebhook(readWebhookPayload(req.body));
    return { status: 'ok' };
  });
  app.get<{ Params: { host: string } }>('/dcgm/:host/metrics', async (req, reply) => {
    const page = handlers.dcgmPage(req.params.host);
    if (page === null) return reply.code(404).send('unknown host');
    return reply.type('text/plain; version=0.0.4').send(page);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;
  return {
    slackUrl: `${base}/services/TDEMO/BDEMO/modelwatch-demo`,
    eventsUrl: `${base}/events`,
    dcgmUrl: (host) => `${base}/dcgm/${encodeURIComponent(host)}/metrics`,
    close: () => app.close(),
  };
}
