import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictionRow } from '../../collector/predictions/record.ts';
import { recentMs, startSecureServer, waitFor, type SecureServer } from './helpers.ts';

const HMAC_KEY = 'test-hmac-key-0123456789abcdef0123456789';
const EMAIL = 'alice.secret@example.com';
const SSN = '123-45-6789';
const GEO = '52.5200N-13.4050E';
const INCOME = 98765.4321;
const SECRETS = [EMAIL, SSN, GEO, String(INCOME)];
const hmac = (v: string) => createHmac('sha256', HMAC_KEY).update(v).digest('hex').slice(0, 32);

let srv: SecureServer;
beforeAll(async () => {
  srv = await startSecureServer({
    'privacy.hmacKey': HMAC_KEY,
    'privacy.rules': [
      { feature: 'email', action: 'drop' },
      { feature: 'ssn', action: 'hash' },
      { feature: 'age', action: 'bucketize', buckets: [0, 18, 30, 65] },
      { feature: 'geo_*', action: 'drop' },
      { feature: 'income', models: ['bank-*'], action: 'drop' },
    ],
  });
});
afterAll(async () => {
  await srv?.stop();
});

const post = (path: string, body: string, type = 'application/json') => fetch(srv.url + path, { method: 'POST', body, headers: { 'content-type': type } });
const str = (v: string) => ({ stringValue: v });
const kv = (key: string, value: object) => ({ key, value });
async function rows(table: string, where = '1'): Promise<Record<string, any>[]> {
  return srv.store.query(`SELECT * FROM ${srv.store.t(table)} WHERE ${where}`);
}

describe('privacy rules apply before anything is stored or logged', () => {
  it('ingests predictions, logs, spans and a refused row through every path', async () => {
    const ts = recentMs();
    const flat = [
      { model: 'bank-a', id: 'p1', timestamp: ts, prediction: 1, features: { email: EMAIL, ssn: SSN, age: 42, geo_lat: GEO, income: INCOME, amount: 10 }, attributes: { 'ml.feature.email': EMAIL, note: 'kept' } },
      { model: 'bank-a', id: 'p2', timestamp: ts, prediction: 0, features: { age: '29', ssn: null, email: null } },
      { model: 'bank-a', id: 'p3', timestamp: ts, prediction: 0, features: { age: 'old' } },
      { model: 'shop-a', id: 'p4', timestamp: ts, prediction: 0, features: { income: 555.5, age: 17 } },
    ];
    const res = await post('/v1/predictions', flat.map((o) => JSON.stringify(o)).join('\n') + `\n{"model":"bank-a","features":{"email":"${EMAIL}", oops}\n`, 'application/x-ndjson');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ accepted: 4, rejected: 1 });
    // The broken line is reported by position, without quoting it.
    expect(body.partialSuccess.errorMessage).toMatch(/line 5: invalid JSON/);
    expect(JSON.stringify(body)).not.toContain(EMAIL);

    const ns = `${ts}000000`;
    const logs = await post('/v1/logs', JSON.stringify({
      resourceLogs: [{
        resource: { attributes: [kv('service.name', str('bank-svc'))] },
        scopeLogs: [{ logRecords: [
          { timeUnixNano: ns, eventName: 'ml.prediction', attributes: [kv('ml.model.name', str('bank-otlp')), kv('ml.feature.email', str(EMAIL)), kv('ml.feature.ssn', str(SSN)), kv('ml.feature.age', { intValue: '70' })] },
          { timeUnixNano: ns, eventName: 'app.request', body: str('handled'), attributes: [kv('ml.feature.email', str(EMAIL)), kv('ml.feature.ssn', str(SSN)), kv('ml.feature.income', { doubleValue: INCOME }), kv('http.route', str('/score'))] },
        ] }],
      }],
    }));
    expect(await logs.json()).toEqual({});

    const traces = await post('/v1/traces', JSON.stringify({
      resourceSpans: [{
        resource: { attributes: [kv('service.name', str('bank-svc'))] },
        scopeSpans: [{ spans: [{
          traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060708', name: 'predict', kind: 2,
          startTimeUnixNano: ns, endTimeUnixNano: `${ts + 5}000000`,
          attributes: [kv('ml.model.name', str('bank-a')), kv('ml.feature.email', str(EMAIL)), kv('ml.feature.ssn', str(SSN)), kv('ml.feature.geo_lon', str(GEO))],
          events: [{ timeUnixNano: ns, name: 'features', attributes: [kv('ml.feature.email', str(EMAIL)), kv('ml.feature.age', { intValue: '12' })] }],
        }] }],
      }],
    }));
    expect(await traces.json()).toEqual({});

    // A record the collector accepted but ClickHouse refuses (an unparseable time): it ends in
    // dead_letters, after the rules ran.
    const bad = { ts: 'not a time', model: 'bank-a', version: '', environment: '', service: '', host: '', prediction_id: 'dl', prediction_value: 1, prediction_label: null, score: null, latency_ms: null, error_type: '', features_num: { income: INCOME }, features_cat: { email: EMAIL, ssn: SSN }, features_null: [], attributes: {}, trace_id: '', span_id: '' } as unknown as PredictionRow;
    await srv.collector.ingestor.predictions([bad], 0, []);
    await srv.collector.writer.flush();
    await waitFor(async () => (await rows('dead_letters')).length === 1, 'the refused row in dead_letters');
  });

  it('drops, hashes and bucketizes in the predictions table', async () => {
    const byId = Object.fromEntries((await rows('predictions')).map((r) => [r.prediction_id, r]));
    expect(Object.keys(byId).sort()).toEqual(['', 'p1', 'p2', 'p3', 'p4']);
    expect(byId.p1.features_num).toEqual({ amount: 10 });
    expect(byId.p1.features_cat).toEqual({ ssn: hmac(SSN), age: '[30,65)' });
    expect(byId.p1.attributes).toEqual({ note: 'kept' });
    // Nulls: a dropped feature is gone even as a null; a hashed one stays a null.
    expect(byId.p2.features_cat).toEqual({ age: '[18,30)' });
    expect(byId.p2.features_null).toEqual(['ssn']);
    // bucketize given a non-number stores a null, never the text.
    expect(byId.p3.features_cat).toEqual({});
    expect(byId.p3.features_null).toEqual(['age']);
    // The income rule is for bank-* models only.
    expect(byId.p4.features_num).toEqual({ income: 555.5 });
    expect(byId.p4.features_cat).toEqual({ age: '[0,18)' });
    const otlp = byId[''];
    expect(otlp.model).toBe('bank-otlp');
    expect(otlp.features_cat).toEqual({ ssn: hmac(SSN), age: '[65,+inf)' });
  });

  it('applies the rules to feature attributes of logs and spans (events included)', async () => {
    const [log] = await rows('logs');
    expect(log.attributes).toEqual({ 'ml.feature.ssn': hmac(SSN), 'http.route': '/score' });
    const [span] = await rows('spans');
    expect(span.attributes).toEqual({ 'ml.model.name': 'bank-a', 'ml.feature.ssn': hmac(SSN) });
    expect(span.events_attributes).toEqual([{ 'ml.feature.age': '[0,18)' }]);
  });

  it('keeps only the redacted row in dead_letters', async () => {
    const [dl] = await rows('dead_letters');
    const raw = JSON.parse(dl.raw);
    expect(raw.features_cat).toEqual({ ssn: hmac(SSN) });
    expect(raw.features_num).toEqual({});
  });

  it('feeds the rollups only what is stored', async () => {
    await waitFor(async () => (await rows('feature_cat_1m', "feature = 'age'")).length >= 4, 'age buckets in feature_cat_1m');
    const num = await rows('feature_num_1m');
    expect(num.map((r) => `${r.model}/${r.feature}`).sort()).toEqual(['bank-a/amount', 'shop-a/income']);
    const cat = await srv.store.query<{ feature: string; category: string }>(`SELECT feature, category FROM ${srv.store.t('feature_cat_1m')} ORDER BY feature, category`);
    expect(cat.filter((r) => r.feature === 'ssn').map((r) => r.category)).toEqual([hmac(SSN), hmac(SSN)]);
    expect([...new Set(cat.map((r) => r.feature))].sort()).toEqual(['age', 'ssn']);
    const nulls = await srv.store.query<{ feature: string }>(`SELECT DISTINCT feature FROM ${srv.store.t('feature_null_1m')} ORDER BY feature`);
    expect(nulls.map((r) => r.feature)).toEqual(['age', 'ssn']);
  });

  it('no redacted value is found in any table of the database, nor in any log line', async () => {
    const tables = await srv.store.query<{ name: string }>(
      "SELECT name FROM system.tables WHERE database = {db:String} AND engine NOT LIKE '%View%'",
      { db: srv.store.database },
    );
    expect(tables.length).toBeGreaterThan(10);
    for (const { name } of tables) {
      const text = JSON.stringify(await rows(name));
      for (const s of SECRETS) expect(text, `${name} holds ${s}`).not.toContain(s);
    }
    const logText = srv.logText();
    expect(logText).toContain('kept in dead_letters');
    for (const s of SECRETS) expect(logText).not.toContain(s);
  });
});
