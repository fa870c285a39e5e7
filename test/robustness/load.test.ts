import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore } from '../../storage/client.ts';
import { freePort, predictionsBody, startServe, type ServeChild } from './helpers.ts';

// The collector as its own process (embedded ClickHouse), so its RSS is measured alone. First a
// short run measures what it sustains; then autocannon offers twice that.
const MAX_RSS = 1536 * 1024 * 1024;
const ROWS = 500;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-load-'));
let srv: ServeChild | undefined;
afterAll(() => {
  if (srv && srv.child.exitCode === null) srv.child.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

interface Run {
  statuses: Record<number, number>;
  ok: number;
  seconds: number;
  errors: number;
}

let batch = 0;
const acked: string[] = [];
async function drive(url: string, opts: { connections: number; duration: number; overallRate?: number }): Promise<Run> {
  const statuses: Record<number, number> = {};
  const started = Date.now();
  const r = await autocannon({
    url,
    ...opts,
    pipelining: 1,
    timeout: 60,
    requests: [
      {
        method: 'POST',
        path: '/v1/predictions',
        headers: { 'content-type': 'application/x-ndjson' },
        // Every request carries its own prediction ids; the context holds them until the answer.
        setupRequest: (req, ctx) => {
          const b = batch++;
          ctx.ids = Array.from({ length: ROWS }, (_, i) => `b${b}-${i}`);
          return { ...req, body: predictionsBody('load', ctx.ids as string[]) };
        },
        onResponse: (status, _body, ctx) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 200 && status < 300) acked.push(...(ctx.ids as string[]));
        },
      },
    ],
  });
  const ok = Object.entries(statuses).filter(([s]) => Number(s) < 300).reduce((n, [, c]) => n + c, 0);
  return { statuses, ok, seconds: (Date.now() - started) / 1000, errors: r.errors + r.timeouts };
}

describe('load at twice the measured capacity', () => {
  it('answers only 2xx or 503/429 (some 503), stays under its memory limit, and loses no acknowledged prediction', { timeout: 300_000 }, async () => {
    const config = path.join(dataDir, 'modelwatch.yaml');
    // A queue bound small enough that overload shows within seconds; the RSS limit the test holds it to.
    fs.writeFileSync(config, `server:\n  maxRssBytes: ${MAX_RSS}\nwriter:\n  flushIntervalMs: 100\n  maxQueueRows: 20000\nanalyzer:\n  enabled: false\n`);
    const port = await freePort();
    srv = await startServe({ port, dataDir, args: ['--config', config] });
    const pid = srv.child.pid!;
    let maxRss = rssOf(pid);
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssOf(pid))), 50);
    try {
      // Enough connections to saturate the collector, so the figure is its throughput, not the clients' latency.
      const capacity = await drive(srv.url, { connections: 32, duration: 4 });
      expect(capacity.errors).toBe(0);
      const perSecond = capacity.ok / capacity.seconds;
      expect(perSecond).toBeGreaterThan(0);

      const overload = await drive(srv.url, { connections: 128, duration: 8, overallRate: Math.ceil(2 * perSecond) });
      const refused = (overload.statuses[503] ?? 0) + (overload.statuses[429] ?? 0);
      console.log(
        `load: capacity ${perSecond.toFixed(1)} requests/s (${Math.round(perSecond * ROWS)} predictions/s); at 2x: ${JSON.stringify(overload.statuses)} ` +
          `in ${overload.seconds.toFixed(1)} s; max RSS ${(maxRss / 1048576).toFixed(0)} MiB (limit ${MAX_RSS / 1048576} MiB)`,
      );
      expect(overload.errors).toBe(0);
      expect(Object.keys(overload.statuses).map(Number).filter((s) => !(s === 200 || s === 503 || s === 429))).toEqual([]);
      expect(refused).toBeGreaterThan(0);
      expect(overload.ok).toBeGreaterThan(0);
    } finally {
      clearInterval(sampler);
    }
    expect(maxRss).toBeLessThan(MAX_RSS);

    srv.child.kill('SIGTERM');
    expect(await srv.exited).toBe(0);
    const store = await createStore({ dataDir });
    try {
      const rows = await store.query<{ id: string; n: number }>(`SELECT prediction_id AS id, count() AS n FROM ${store.t('predictions')} WHERE model = 'load' GROUP BY id`);
      const found = new Map(rows.map((r) => [r.id, Number(r.n)]));
      const missing = acked.filter((id) => !found.has(id));
      expect(missing.length).toBe(0);
      expect(acked.filter((id) => found.get(id) !== 1).length).toBe(0);
    } finally {
      await store.close();
    }
  });
});
