import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One answer the receiver gives. */
export interface SlackAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** A request the receiver got. */
export interface SlackRequest {
  /** Arrival time (ms since the epoch, from this server's clock). */
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  answer: SlackAnswer;
}

/** Slack's answers, as its incoming webhooks give them. */
export const SLACK = {
  ok: { status: 200, body: 'ok' } as SlackAnswer,
  rateLimited: (retryAfterS: number): SlackAnswer => ({ status: 429, body: 'rate_limited', headers: { 'retry-after': String(retryAfterS) } }),
  invalidPayload: { status: 400, body: 'invalid_payload' } as SlackAnswer,
  channelNotFound: { status: 404, body: 'channel_not_found' } as SlackAnswer,
  actionProhibited: { status: 403, body: 'action_prohibited' } as SlackAnswer,
  channelArchived: { status: 410, body: 'channel_is_archived' } as SlackAnswer,
  rollupError: { status: 500, body: 'rollup_error' } as SlackAnswer,
};

/** A running Slack-like webhook receiver. */
export interface SlackReceiver {
  /** Webhook URL to configure. */
  url: string;
  requests: SlackRequest[];
  /** Queues answers for the next requests; once used up, requests get `ok`. */
  reply(...answers: SlackAnswer[]): void;
  /** Resolves when at least `n` requests have arrived. */
  waitFor(n: number): Promise<SlackRequest[]>;
  close(): Promise<void>;
}

/** Starts a local HTTP server on 127.0.0.1 that answers as a Slack incoming webhook does. */
export async function startSlackReceiver(): Promise<SlackReceiver> {
  const queue: SlackAnswer[] = [];
  const requests: SlackRequest[] = [];
  const waiters: { n: number; resolve: (r: SlackRequest[]) => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      let answer = queue.shift() ?? SLACK.ok;
      // Slack checks the payload: text or blocks must be there, section text at most 3,000 characters.
      if (answer.status === 200 && (typeof body !== 'object' || (!body.text && !body.blocks) || tooLong(body))) answer = SLACK.invalidPayload;
      requests.push({ at, path: req.url ?? '/', headers: req.headers, body, answer });
      res.writeHead(answer.status, { 'content-type': 'text/html', ...answer.headers });
      res.end(answer.body);
      for (const w of [...waiters]) {
        if (requests.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(requests.slice());
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/XXXX`,
    requests,
    reply: (...answers) => void queue.push(...answers),
    waitFor: (n) => (requests.length >= n ? Promise.resolve(requests.slice()) : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function tooLong(body: any): boolean {
  for (const b of Array.isArray(body.blocks) ? body.blocks : []) {
    if (b.type === 'section' && typeof b.text?.text === 'string' && b.text.text.length > 3000) return true;
  }
  return false;
}
