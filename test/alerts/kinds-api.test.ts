import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../alerts/api.ts';
import { startAlerts } from '../../alerts/engine.ts';
import { readCondition } from '../../alerts/queries.ts';
import { parseAlertsFile } from '../../alerts/rules.ts';
import type { Store } from '../../storage/client.ts';
import { createTestStore } from '../helpers/store.ts';
import { baseTime, driftRows, resetTables, seedResults, testConfig } from './helpers.ts';

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
});
afterAll(async () => {
  await cleanup?.();
});
beforeEach(async () => {
  await resetTables(store);
});

const condition = (yaml: string) => parseAlertsFile(`rules:\n  - name: R\n    condition: ${yaml}\n`).rules[0].condition;

async function predictions(model: string, at: number, n: number, errors: number): Promise<void> {
  await store.insert('predictions', Array.from({ length: n }, (_, i) => ({
    ts: new Date(at + i).toISOString(), model, version: 'v1', environment: '', service: '', host: '', prediction_id: `${model}-${at}-${i}`,
    latency_ms: 10, error_type: i < errors ? 'Timeout' : '',
  })));
}

describe('condition kinds read the latest values', () => {
  it('latency_quantile reads the latest window and the latest computation of it', async () => {
    const t0 = baseTime();
    const row = (v: number, end: number, computed: number) => ({ analyzer: 'latency', model: 'fraud', subject: 'latency', metric: 'latency_p99', value: v, status: 'ok', windowStart: end - 60_000, windowEnd: end, computedAt: computed });
    await seedResults(store, [row(100, t0 - 60_000, t0 - 60_000), row(300, t0, t0), row(320, t0, t0 + 1), row(999, t0 + 60_000, t0 + 60_000)]);
    const samples = await readCondition(store, condition(`{ kind: latency_quantile, quantile: 0.99, value: 250ms }`), t0);
    expect(samples).toEqual([{ labels: { model: 'fraud', version: 'v1' }, value: 320, threshold: null, active: false }]);
  });

  it('error_rate and no_data read the latency_1m rollup', async () => {
    const t0 = baseTime();
    await predictions('fraud', t0 - 120_000, 50, 5);
    await predictions('churn', t0 - 3_600_000, 10, 0);
    const er = await readCondition(store, condition(`{ kind: error_rate, value: 5%, window: 5m }`), t0);
    expect(er).toEqual([{ labels: { model: 'fraud', version: 'v1' }, value: 0.1, threshold: 0.05 }]);
    const quiet = await readCondition(store, condition(`{ kind: no_data, model: churn, for: 10m }`), t0);
    expect(quiet[0]).toMatchObject({ labels: { model: 'churn' }, active: true, threshold: 600 });
    expect(quiet[0].value).toBe(3540);
    const busy = await readCondition(store, condition(`{ kind: no_data, model: fraud, for: 10m }`), t0);
    expect(busy[0].active).toBe(false);
    const never = await readCondition(store, condition(`{ kind: no_data, model: ghost, for: 10m }`), t0);
    expect(never[0].active).toBe(true);
  });

  it('a query condition returns label columns and a value, with now bound', async () => {
    const t0 = baseTime();
    await seedResults(store, driftRows('fraud', ['a', 'b', 'c'], 'drift', t0, t0));
    const c = condition(`{ query: "SELECT model, count() AS value FROM analysis_results FINAL WHERE status = 'drift' AND window_end <= fromUnixTimestamp64Milli({now:Int64}) GROUP BY model", op: '>=', value: 3 }`);
    expect(await readCondition(store, c, t0)).toEqual([{ labels: { model: 'fraud' }, value: 3, threshold: undefined }]);
    await expect(readCondition(store, condition(`{ query: "SELECT 1 AS value FROM no_such_table" }`), t0)).rejects.toThrow();
  });

  it('a failing query puts the rule in the error state', async () => {
    const rules = parseAlertsFile(`rules:\n  - name: Broken\n    condition: { query: "SELECT 1 AS value FROM no_such_table" }\n`);
    const e = startAlerts({ store, config: testConfig(), rules, schedule: false });
    const r = await e.tick(baseTime());
    expect(r.errors).toHaveLength(1);
    expect((await e.activeAlerts()).map((a) => a.state)).toEqual(['error']);
    await e.stop();
  });
});

describe('webhook receiver', () => {
  it('posts an Alertmanager v4 payload signed with HMAC-SHA256', async () => {
    const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ headers: req.headers, body });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const rules = parseAlertsFile(`
rules:
  - name: FeatureDrift
    condition: { kind: feature_drift }
routes:
  - receivers: [hook]
    group_by: [model]
    group_wait: 0s
receivers:
  - name: hook
    webhook: { url: "${url}", secret: "s3cret" }
`);
    const t0 = baseTime();
    await seedResults(store, driftRows('fraud', ['a', 'b'], 'drift', t0, t0));
    const e = startAlerts({ store, config: testConfig(), rules, schedule: false });
    await e.tick(t0);
    await e.stop();
    server.close();
    expect(got).toHaveLength(1);
    const { headers, body } = got[0];
    expect(headers['x-modelwatch-signature']).toBe(`sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`);
    expect(Number(headers['x-modelwatch-timestamp'])).toBeGreaterThan(0);
    const p = JSON.parse(body);
    expect(p).toMatchObject({ version: '4', status: 'firing', receiver: 'hook', groupLabels: { model: 'fraud' }, commonLabels: { alertname: 'FeatureDrift', model: 'fraud' }, truncatedAlerts: 0 });
    expect(p.alerts.map((a: any) => a.labels.feature).sort()).toEqual(['a', 'b']);
    expect(p.alerts[0].fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('HTTP API', () => {
  it('lists alerts and history, and creates, lists and expires silences', async () => {
    const rules = parseAlertsFile(`rules:\n  - name: FeatureDrift\n    condition: { kind: feature_drift }\n    for: 5m\n`);
    const t0 = baseTime();
    await seedResults(store, driftRows('fraud', ['a'], 'drift', t0, t0));
    const engine = startAlerts({ store, config: testConfig(), rules, schedule: false });
    await engine.tick(t0);
    const app = Fastify();
    await app.register(alertsRoutes, { store, engine });
    const alerts = (await app.inject({ method: 'GET', url: '/api/v1/alerts' })).json().alerts;
    expect(alerts).toMatchObject([{ rule: 'FeatureDrift', state: 'pending', labels: { model: 'fraud', feature: 'a' }, since: new Date(t0).toISOString() }]);
    const hist = (await app.inject({ method: 'GET', url: '/api/v1/alerts/history?rule=FeatureDrift' })).json().history;
    expect(hist).toMatchObject([{ from: 'inactive', to: 'pending' }]);
    expect((await app.inject({ method: 'GET', url: '/api/v1/alerts/history?limit=x' })).statusCode).toBe(400);

    const created = await app.inject({ method: 'POST', url: '/api/v1/silences', payload: { matchers: ['model="fraud"'], duration: '1h', comment: 'deploy' } });
    expect(created.statusCode).toBe(201);
    const id = created.json().silenceID;
    const list = (await app.inject({ method: 'GET', url: '/api/v1/silences' })).json().silences;
    expect(list).toMatchObject([{ id, matchers: ['model="fraud"'], comment: 'deploy', status: { state: 'active' } }]);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/silences', payload: { matchers: ['model'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('MW_ERR_SILENCE_INVALID');
    const del = await app.inject({ method: 'DELETE', url: `/api/v1/silences/${id}` });
    expect(del.json().silence.status.state).toBe('expired');
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/silences/nope' })).statusCode).toBe(404);
    await app.close();
    await engine.stop();
  });
});
