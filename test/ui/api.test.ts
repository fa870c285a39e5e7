/**
 * The read endpoints the web UI added (overview, per-minute series, GPU series, drift history,
 * feature histograms) against seeded data with known answers, and the UI's static routes:
 * content types, cache headers, the path whitelist, and the build's staleness check.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUi, uiIsStale } from '../../ui/build.ts';
import { CONTENT_SECURITY_POLICY, uiRoutes } from '../../ui/routes.ts';
import { planLevels } from '../../storage/levels.ts';
import { predictionRow } from '../analyzer/seed.ts';
import { MINUTE, MODELS, PASSES_MIN, predictionRows, seed } from './seed.ts';
import { openUiStore, startUiServer, type UiServer } from './server.ts';

let srv: UiServer;
const T = Math.floor(Date.now() / MINUTE) * MINUTE;
const rows = predictionRows(T);
const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 24 * 60 * MINUTE;
/** Midnight UTC two days before T's day. */
const D = Math.floor(T / DAY) * DAY - 2 * DAY;
/** Older traffic of recommender, from the morning of the day before D to the evening after it (before the seeded hours): what multi-day series read. */
const OLD = { from: D - DAY + 7 * 60 * MINUTE + 13 * MINUTE, to: D + DAY + 19 * 60 * MINUTE };
const oldRows = (() => {
  const out: Record<string, unknown>[] = [];
  let i = 0;
  for (let ms = OLD.from; ms < OLD.to; ms += 10 * MINUTE, i++) {
    for (let k = 0; k < (i % 3) + 1; k++) out.push(predictionRow({ ms: ms + k * 5_000, model: MODELS.recommender.name, version: MODELS.recommender.version, id: `old-${i}-${k}`, latency: 5 + (i % 13) }));
  }
  return out;
})();
rows.push(...oldRows);

beforeAll(async () => {
  const opened = await openUiStore();
  const { engine } = await seed(opened.store, opened.config, T);
  await opened.store.insert('predictions', oldRows);
  srv = await startUiServer(opened, { engine });
});

afterAll(async () => {
  await srv?.stop();
});

async function get(p: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(srv.url + p);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

/** Rows of a model with ts in [from, to). */
function rowsOf(model: string, from: number, to: number): Record<string, any>[] {
  return rows.filter((r) => r.model === model && Date.parse(String(r.ts).replace(' ', 'T') + 'Z') >= from && Date.parse(String(r.ts).replace(' ', 'T') + 'Z') < to);
}

function exactQuantile(values: number[], p: number): [number, number] {
  const s = [...values].sort((a, b) => a - b);
  return [s[Math.floor(p * (s.length - 1))], s[Math.ceil(p * (s.length - 1))]];
}

describe('GET /api/v1/overview', () => {
  it('lists every model with its traffic in the window and its latest drift verdict', async () => {
    const { status, body } = await get(`/api/v1/overview?to=${iso(T)}`);
    expect(status).toBe(200);
    expect(body.window_minutes).toBe(60);
    expect(body.window_end).toBe(iso(T));
    const by = Object.fromEntries(body.models.map((m: any) => [m.model, m]));
    expect(Object.keys(by).sort()).toEqual(Object.values(MODELS).map((m) => m.name).sort());
    const hour = (name: string) => rowsOf(name, T - 60 * MINUTE, T);
    for (const m of Object.values(MODELS)) {
      const recent = hour(m.name);
      expect(by[m.name].predictions, m.name).toBe(recent.length);
      expect(by[m.name].errors, m.name).toBe(recent.filter((r) => r.error_type !== '').length);
      expect(by[m.name].predictions_total, m.name).toBe(rows.filter((r) => r.model === m.name).length);
    }
    expect(by['churn-predictor'].error_rate).toBeCloseTo(20 / 600, 10);
    expect(by['search-ranker'].predictions).toBe(0);
    expect(by['search-ranker'].drift).toBeNull();
    expect(by['fraud-detector'].drift).toMatchObject({ version: 'v3', share: 0.5, status: 'drift', window_end: iso(T) });
    expect(by['recommender'].drift.status).toBe('ok');
    // p95 within the sketch's 1% of an exact 95th percentile.
    const [lo, hi] = exactQuantile(hour('fraud-detector').map((r) => r.latency_ms), 0.95);
    expect(by['fraud-detector'].latency_p95).toBeGreaterThanOrEqual(lo * 0.99);
    expect(by['fraud-detector'].latency_p95).toBeLessThanOrEqual(hi * 1.01);
  });
});

describe('GET /api/v1/models/:model/series', () => {
  it('gives per-minute traffic, errors and percentiles, with empty minutes as zero traffic', async () => {
    const from = T - 60 * MINUTE;
    const { status, body } = await get(`/api/v1/models/fraud-detector/series?from=${iso(from)}&to=${iso(T)}`);
    expect(status).toBe(200);
    expect(body.step_seconds).toBe(60);
    expect(body.points).toHaveLength(60);
    expect(body.points[0].t).toBe(iso(from));
    for (const [i, p] of body.points.entries()) {
      const inMinute = rowsOf('fraud-detector', from + i * MINUTE, from + (i + 1) * MINUTE);
      expect(p.predictions).toBe(inMinute.length);
      expect(p.errors).toBe(inMinute.filter((r) => r.error_type !== '').length);
      expect(p.latency_p50).toBeLessThanOrEqual(p.latency_p95);
      expect(p.latency_p95).toBeLessThanOrEqual(p.latency_p99);
    }
    const all = rowsOf('fraud-detector', from, T);
    expect(body.totals.predictions).toBe(all.length);
    expect(body.totals.errors).toBe(24);
    const [lo, hi] = exactQuantile(all.map((r) => r.latency_ms), 0.5);
    expect(body.totals.latency_p50).toBeGreaterThanOrEqual(lo * 0.99);
    expect(body.totals.latency_p50).toBeLessThanOrEqual(hi * 1.01);

    const quiet = await get(`/api/v1/models/search-ranker/series?from=${iso(from)}&to=${iso(T)}`);
    expect(quiet.body.points.every((p: any) => p.predictions === 0 && p.latency_p99 === null && p.error_rate === null)).toBe(true);
  });

  it('buckets by the requested step, or by one that keeps a long range under 720 points', async () => {
    const from = T - 60 * MINUTE;
    const ten = await get(`/api/v1/models/fraud-detector/series?from=${iso(from)}&to=${iso(T)}&step=600`);
    expect(ten.body.step_seconds).toBe(600);
    // Buckets start at multiples of the step; only minutes inside the range count.
    const first = Math.floor(from / 600_000) * 600_000;
    expect(ten.body.points[0].t).toBe(iso(first));
    expect(ten.body.points.map((p: any) => p.predictions)).toEqual(ten.body.points.map((_: unknown, i: number) =>
      rowsOf('fraud-detector', Math.max(from, first + i * 600_000), Math.min(T, first + (i + 1) * 600_000)).length));
    expect(ten.body.points.reduce((a: number, p: any) => a + p.predictions, 0)).toBe(rowsOf('fraud-detector', from, T).length);
    const week = await get(`/api/v1/models/fraud-detector/series?from=${iso(T - 7 * 24 * 60 * MINUTE)}&to=${iso(T)}`);
    expect(week.body.step_seconds).toBe(840);
    expect(week.body.points.length).toBeLessThanOrEqual(721);
    expect(week.body.points.reduce((a: number, p: any) => a + p.predictions, 0)).toBe(rows.filter((r) => r.model === 'fraud-detector').length);
  });

  it('answers a multi-day range from the hour and day levels with the minutes\' counts', async () => {
    // Mid-day, mid-hour edges with the whole day D inside.
    const from = D - DAY + 15 * 60 * MINUTE + 22 * MINUTE + 11_000;
    const to = D + DAY + 9 * 60 * MINUTE + 41 * MINUTE;
    expect(new Set(planLevels(from, to).map((r) => r.level))).toEqual(new Set(['minute', 'hour', 'day']));
    const model = MODELS.recommender.name;
    // Each point's count is the predictions in the minutes of its bucket inside the range (the first minute counts from its start).
    const counts = (step: number, points: { t: string; predictions: number }[]) => points.map((p) => {
      const t = Date.parse(p.t);
      return [p.predictions, rowsOf(model, Math.max(Math.floor(from / MINUTE) * MINUTE, t), Math.min(to, t + step * 1000)).length];
    });
    const ask = async () => {
      const out: Record<string, { body: any; expected: number[][] }> = {};
      for (const step of [3600, 86_400]) {
        const { status, body } = await get(`/api/v1/models/${model}/series?from=${iso(from)}&to=${iso(to)}&step=${step}`);
        expect(status).toBe(200);
        expect(body.step_seconds).toBe(step);
        out[step] = { body, expected: counts(step, body.points) };
      }
      return out;
    };
    const total = rowsOf(model, Math.floor(from / MINUTE) * MINUTE, to).length;
    for (const [step, { body, expected }] of Object.entries(await ask())) {
      expect(body.points.map((p: any) => p.predictions), `step ${step}`).toEqual(expected.map(([, n]) => n));
      expect(body.totals.predictions).toBe(total);
    }
    // Without the minutes inside the whole hours and days (as when minutes expire), the answers stay:
    // those stretches come from the hour and day levels.
    for (const r of planLevels(Math.floor(from / MINUTE) * MINUTE, to)) {
      if (r.level === 'minute') continue;
      await srv.store.command(
        `ALTER TABLE ${srv.store.t('latency_1m')} DELETE WHERE model = {m:String} AND minute >= toDateTime({f:UInt32}, 'UTC') AND minute < toDateTime({t:UInt32}, 'UTC')`,
        { m: model, f: r.from / 1000, t: r.to / 1000 }, { mutations_sync: '2' } as never,
      );
    }
    for (const [step, { body, expected }] of Object.entries(await ask())) {
      expect(body.points.map((p: any) => p.predictions), `step ${step}, minutes gone`).toEqual(expected.map(([, n]) => n));
      expect(body.totals.predictions).toBe(total);
    }
    // A 10-minute series cannot use hours: it sees the gap.
    const fine = await get(`/api/v1/models/${model}/series?from=${iso(from)}&to=${iso(to)}&step=600`);
    expect(fine.body.points.reduce((a: number, p: any) => a + p.predictions, 0)).toBeLessThan(total);
    // The model list still counts all its predictions and finds its first one.
    const listed = (await get('/api/v1/models')).body.find((m: any) => m.model === model);
    expect(listed.predictions).toBe(rows.filter((r) => r.model === model).length);
    expect(listed.first_seen).toBe(iso(Math.floor(OLD.from / MINUTE) * MINUTE));
  });

  it('refuses bad ranges and steps with 400', async () => {
    expect((await get(`/api/v1/models/m/series?from=${iso(T)}&to=${iso(T - MINUTE)}`)).status).toBe(400);
    expect((await get(`/api/v1/models/m/series?from=${iso(T - 40 * 24 * 60 * MINUTE)}&to=${iso(T)}`)).status).toBe(400);
    expect((await get('/api/v1/models/m/series?step=30')).status).toBe(400);
    expect((await get('/api/v1/models/m/series?from=yesterday')).body.error).toBe('MW_ERR_BAD_QUERY_PARAM');
  });
});

describe('GET /api/v1/gpu/series', () => {
  it('gives utilization and memory per GPU and bucket', async () => {
    const from = T - 10 * MINUTE;
    const { status, body } = await get(`/api/v1/gpu/series?from=${iso(from)}&to=${iso(T)}`);
    expect(status).toBe(200);
    expect(body.gpus.map((g: any) => `${g.host}/${g.gpu_id}`)).toEqual(['gpu-node-1/0', 'gpu-node-1/1']);
    const g0 = body.gpus[0];
    expect(g0.gpu_name).toBe('NVIDIA A100-SXM4-80GB');
    expect(g0.points).toHaveLength(10);
    // Four samples per minute: the bucket's utilization is their mean.
    const x = (ms: number) => (ms - T) / (20 * MINUTE);
    const expected = [0, 1, 2, 3].map((k) => 0.62 + 0.18 * Math.sin(x(from + k * 15_000))).reduce((a, b) => a + b) / 4;
    expect(g0.points[0].utilization).toBeCloseTo(expected, 9);
    expect(g0.points[0].memory_limit_bytes).toBe(80 * 1024 ** 3);
    expect(body.gpus[1].points[5].memory_used_bytes).toBe(12 * 1024 ** 3);
  });
});

describe('drift history and histograms', () => {
  it('lists the stored dataset drift share of every analyzer window', async () => {
    const { status, body } = await get(`/api/v1/models/fraud-detector/drift/history?from=${iso(T - 6 * 60 * MINUTE)}&to=${iso(T)}`);
    expect(status).toBe(200);
    expect(body.points.map((p: any) => p.window_end)).toEqual(PASSES_MIN.map((m) => iso(T - m * MINUTE)));
    const last = body.points.at(-1);
    expect(last).toMatchObject({ version: 'v3', share: 0.5, status: 'drift', threshold: 0.5, columns: 4, drifted: 2, window_start: iso(T - 60 * MINUTE) });
    // The model's output is reported too, but only features count towards the share.
    expect(last.drifted_columns).toEqual(expect.arrayContaining(['account_age_days', 'amount']));
    expect(last.drifted_columns).not.toContain('country');
    expect(last.reference.startsWith('previous:')).toBe(true);
    // Before account_age_days moved enough, only amount had drifted.
    expect(body.points[0]).toMatchObject({ share: 0.25, status: 'ok' });
    const none = await get(`/api/v1/models/search-ranker/drift/history?from=${iso(T - 60 * MINUTE)}&to=${iso(T)}`);
    expect(none.body.points).toEqual([]);
  });

  it('returns reference and current shares of a feature, computed as the stored verdict was', async () => {
    const w = `from=${iso(T - 60 * MINUTE)}&to=${iso(T)}`;
    const stored = (await get(`/api/v1/models/fraud-detector/drift?${w}`)).body;
    expect(stored.source).toBe('stored');
    const storedAmount = stored.results.find((r: any) => r.subject === 'amount' && r.metric === 'drift');

    const { status, body } = await get(`/api/v1/models/fraud-detector/drift/histogram?feature=amount&version=v3&${w}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ feature: 'amount', type: 'numeric', method: storedAmount.method, drift: true, status: 'drift' });
    expect(body.statistic).toBeCloseTo(storedAmount.value, 9);
    expect(body.bins.labels).toHaveLength(10);
    const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
    expect(sum(body.bins.reference)).toBeCloseTo(1, 9);
    expect(sum(body.bins.current)).toBeCloseTo(1, 9);
    // Reference deciles: a tenth each; the shifted current mass sits in the top bins.
    for (const s of body.bins.reference) expect(s).toBeGreaterThan(0.05);
    expect(sum(body.bins.current.slice(-3))).toBeGreaterThan(0.6);

    const country = (await get(`/api/v1/models/fraud-detector/drift/histogram?feature=country&${w}`)).body;
    expect(country).toMatchObject({ type: 'categorical', drift: false, version: 'v3' });
    expect(country.bins.labels).toEqual(['DE', 'FR', 'GB', 'US']);
    expect(country.reference_n).toBe(rowsOf('fraud-detector', T - 120 * MINUTE, T - 60 * MINUTE).length);
  });

  it('answers 404 for a feature without values and 400 without a feature', async () => {
    const w = `from=${iso(T - 60 * MINUTE)}&to=${iso(T)}`;
    const missing = await get(`/api/v1/models/fraud-detector/drift/histogram?feature=nope&${w}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('MW_ERR_NOT_FOUND');
    expect((await get(`/api/v1/models/fraud-detector/drift/histogram?${w}`)).status).toBe(400);
    expect((await get(`/api/v1/models/fraud-detector/drift/histogram?feature=amount&reference=file:/etc/passwd&${w}`)).body.error).toBe('MW_ERR_REFERENCE_INVALID');
  });
});

describe('UI routes', () => {
  it('serves the page and the hashed assets with their types and cache headers', async () => {
    const page = await fetch(srv.url + '/');
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = page.headers.get('etag')!;
    expect((await fetch(srv.url + '/', { headers: { 'if-none-match': etag } })).status).toBe(304);

    const js = /src="(ui\/app\.js\?v=[0-9a-f]{12})"/.exec(html)![1];
    const css = /href="(ui\/app\.css\?v=[0-9a-f]{12})"/.exec(html)![1];
    const a = await fetch(`${srv.url}/${js}`);
    expect(a.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(a.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const body = await a.text();
    // Nothing in the bundle points outside this server.
    expect(body).not.toMatch(/https?:\/\//);
    const c = await fetch(`${srv.url}/${css}`);
    expect(c.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await c.text()).toContain('.uplot');
    expect((await fetch(`${srv.url}/ui/app.js`)).headers.get('cache-control')).toBe('no-cache');
  });

  it('serves only its three files: other names and traversal attempts are 404', async () => {
    for (const p of ['/ui/index.html', '/ui/..%2fpackage.json', '/ui/%2e%2e%2f%2e%2e%2fpackage.json', '/ui/../package.json', '/ui/app.js.map', '/ui/', '/package.json', '/ui/build.ts']) {
      const res = await fetch(srv.url + p);
      expect(res.status, p).toBe(404);
      expect(await res.text()).not.toContain('"dependencies"');
    }
    const r = await fetch(srv.url + '/alerts?rule=HighErrorRate', { redirect: 'manual' });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('./#/alerts');
  });

  it('answers 503 with how to build it until the bundle exists, then serves the build', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-ui-dist-'));
    try {
      const app = Fastify();
      await app.register(uiRoutes, { distDir: dir });
      const before = await app.inject({ method: 'GET', url: '/' });
      expect(before.statusCode).toBe(503);
      expect(before.body).toContain('npm run build:ui');
      expect(uiIsStale(dir)).toBe(true);
      const built = await buildUi({ outDir: dir });
      expect(built.files['app.js'].bytes).toBeGreaterThan(10_000);
      expect(uiIsStale(dir)).toBe(false);
      const after = await app.inject({ method: 'GET', url: '/' });
      expect(after.statusCode).toBe(200);
      expect(after.body).toContain(`ui/app.js?v=${built.files['app.js'].hash}`);
      // A bundle older than its sources is stale.
      for (const f of ['index.html', 'app.js', 'app.css']) fs.utimesSync(path.join(dir, f), new Date(0), new Date(0));
      expect(uiIsStale(dir)).toBe(true);
      await app.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
