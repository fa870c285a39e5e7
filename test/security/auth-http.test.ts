import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { analyzerRoutes } from '../../analyzer/api.ts';
import { alertsRoutes } from '../../alerts/api.ts';
import { buildSilence } from '../../alerts/silences.ts';
import { generateKey, hashKey } from '../../collector/auth/keys.ts';
import { recentMs, startSecureServer, waitFor, type SecureServer } from './helpers.ts';

// Tenant alpha owns alpha-*, tenant beta owns beta-* and one exact name.
const tenants = { alpha: { models: ['alpha-*'] }, beta: { models: ['beta-*', 'shared-exact'] } };
const K = {
  aWrite: generateKey('a-write'),
  aRead: generateKey('a-read'),
  bAll: generateKey('b-all'),
  admin: generateKey('admin'),
  oneModel: generateKey('one-model'),
};
const keys = [
  { id: 'a-write', hash: hashKey(K.aWrite), tenants: ['alpha'], access: ['write'] },
  { id: 'a-read', hash: hashKey(K.aRead), tenants: ['alpha'], access: ['read'] },
  { id: 'b-all', hash: hashKey(K.bAll), tenants: ['beta'], access: ['read', 'write'] },
  { id: 'admin', hash: hashKey(K.admin), access: ['read', 'write'] },
  { id: 'one-model', hash: hashKey(K.oneModel), models: ['alpha-one'], access: ['read'] },
];

// A stand-in alerts engine: the API's filtering is what is under test, not the evaluator.
const alerts = [
  { rule: 'r', fingerprint: '1', state: 'firing', labels: { alertname: 'r', model: 'alpha-one' } },
  { rule: 'r', fingerprint: '2', state: 'firing', labels: { alertname: 'r', model: 'beta-one' } },
  { rule: 'gpu', fingerprint: '3', state: 'firing', labels: { alertname: 'gpu', host: 'h1' } },
];
const silences = [buildSilence({ matchers: ['model="alpha-one"'], duration: '1h' }, Date.now()), buildSilence({ matchers: ['model="beta-one"'], duration: '1h' }, Date.now())];
const fakeEngine = {
  activeAlerts: async () => alerts,
  history: async () => alerts.map((a) => ({ rule: a.rule, labels: a.labels, to: 'firing' })),
  listSilences: async () => silences,
  createSilence: async (input: { matchers: unknown }) => buildSilence({ ...input, duration: '1h' } as never, Date.now()),
  expireSilence: async (id: string) => silences.find((s) => s.id === id)!,
};

let srv: SecureServer;
beforeAll(async () => {
  srv = await startSecureServer(
    { 'auth.keys': keys, 'auth.tenants': tenants, 'auth.table': true, 'auth.refreshMs': 200 },
    {
      extend: (app, store) => {
        app.register(analyzerRoutes, { store, logLevel: 'warn' } as never);
        app.register(alertsRoutes, { store, engine: fakeEngine, logLevel: 'warn' } as never);
      },
    },
  );
});
afterAll(async () => {
  await srv?.stop();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const get = (path: string, headers: Record<string, string> = {}) => fetch(srv.url + path, { headers });
const ndjson = (models: string[]) => models.map((model, i) => JSON.stringify({ model, id: `${model}-${i}`, timestamp: recentMs(), prediction: 0.5, features: { x: i } })).join('\n');
const postPredictions = (body: string, headers: Record<string, string>) =>
  fetch(srv.url + '/v1/predictions', { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson', ...headers } });
async function count(model: string): Promise<number> {
  await srv.collector.writer.flush();
  const [r] = await srv.store.query<{ n: number }>(`SELECT count() AS n FROM ${srv.store.t('predictions')} WHERE model = {m:String}`, { m: model });
  return Number(r.n);
}
const modelsSeenBy = async (key: string) => ((await (await get('/api/v1/models', bearer(key))).json()) as { model: string }[]).map((m) => m.model).sort();

describe('API keys: who may do what', () => {
  it('leaves /healthz and /readyz open', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
  });

  it('answers 401 with a clear body when the key is missing, unknown, mistyped or not a Bearer key', async () => {
    const none = await get('/api/v1/models');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="modelwatch"');
    expect(await none.json()).toEqual({ error: 'MW_ERR_UNAUTHORIZED', message: expect.stringContaining('Authorization: Bearer <key>') });
    const wrongSecret = K.aRead.slice(0, -4) + (K.aRead.endsWith('0000') ? '1111' : '0000');
    for (const key of [wrongSecret, generateKey('nobody'), 'not-a-key-at-all']) {
      const r = await get('/api/v1/models', bearer(key));
      expect(r.status).toBe(401);
      const body = await r.json();
      expect(body).toEqual({ error: 'MW_ERR_UNAUTHORIZED', message: expect.stringContaining('matches no configured key') });
      expect(JSON.stringify(body)).not.toContain(key);
    }
    expect((await get('/api/v1/models', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })).status).toBe(401);
  });

  it('answers ingest 401s in the OTLP shape: google.rpc.Status for protobuf, code 16 for JSON', async () => {
    const proto = await fetch(srv.url + '/v1/logs', { method: 'POST', body: new Uint8Array([0x0a, 0x00]), headers: { 'content-type': 'application/x-protobuf' } });
    expect(proto.status).toBe(401);
    const Status = protobuf.Type.fromJSON('Status', { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } });
    const status = Status.toObject(Status.decode(new Uint8Array(await proto.arrayBuffer()))) as { code: number; message: string };
    expect(status.code).toBe(16);
    expect(status.message).toContain('missing or unknown API key');
    const json = await fetch(srv.url + '/v1/logs', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(401);
    expect(await json.json()).toMatchObject({ code: 16, error: 'MW_ERR_UNAUTHORIZED' });
  });

  it('/metrics needs a key with read access', async () => {
    expect((await get('/metrics')).status).toBe(401);
    const w = await get('/metrics', bearer(K.aWrite));
    expect(w.status).toBe(403);
    expect(await w.json()).toEqual({ error: 'MW_ERR_FORBIDDEN', message: expect.stringContaining('key "a-write" has no read access') });
    const r = await get('/metrics', bearer(K.aRead));
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('modelwatch_records_received_total');
  });

  it("a tenant's key writes its own models, and never another tenant's", async () => {
    const ok = await postPredictions(ndjson(['alpha-one', 'alpha-one', 'alpha-two']), bearer(K.aWrite));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ accepted: 3, rejected: 0 });

    // Only other tenants' records: the whole request is refused.
    const refused = await postPredictions(ndjson(['beta-one', 'shared-exact']), bearer(K.aWrite));
    expect(refused.status).toBe(403);
    const body = await refused.json();
    expect(body.error).toBe('MW_ERR_FORBIDDEN');
    expect(body.message).toContain('model "beta-one" is outside the scope of key "a-write"');
    expect(body.message).toContain('"shared-exact"');

    // A mix: the in-scope records are stored, the others named in partial_success.
    const mixed = await postPredictions(ndjson(['alpha-three', 'beta-two']), { 'x-api-key': K.aWrite });
    expect(mixed.status).toBe(200);
    expect(await mixed.json()).toEqual({
      accepted: 1,
      rejected: 1,
      partialSuccess: { rejectedPredictions: 1, errorMessage: expect.stringContaining('model "beta-two" is outside the scope of key "a-write"') },
    });

    // OTLP logs carrying an alpha prediction, sent with tenant beta's key.
    const otlp = await fetch(srv.url + '/v1/logs', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(K.bAll) },
      body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: `${recentMs()}000000`, eventName: 'ml.prediction', attributes: [{ key: 'ml.model.name', value: { stringValue: 'alpha-one' } }] }] }] }] }),
    });
    expect(otlp.status).toBe(403);
    expect(await otlp.json()).toMatchObject({ code: 7, error: 'MW_ERR_FORBIDDEN' });

    // A read-only key cannot write at all.
    expect((await postPredictions(ndjson(['alpha-one']), bearer(K.aRead))).status).toBe(403);

    expect(await count('alpha-one')).toBe(2);
    expect(await count('alpha-three')).toBe(1);
    expect(await count('beta-one')).toBe(0);
    expect(await count('beta-two')).toBe(0);
    expect(await count('shared-exact')).toBe(0);
    const b = await postPredictions(ndjson(['beta-one', 'shared-exact']), bearer(K.bAll));
    expect(await b.json()).toEqual({ accepted: 2, rejected: 0 });
  });

  it("a tenant's key reads its own models, and never another tenant's", async () => {
    await waitFor(async () => (await modelsSeenBy(K.admin)).length === 5, 'rollups of the five models');
    expect(await modelsSeenBy(K.admin)).toEqual(['alpha-one', 'alpha-three', 'alpha-two', 'beta-one', 'shared-exact']);
    expect(await modelsSeenBy(K.aRead)).toEqual(['alpha-one', 'alpha-three', 'alpha-two']);
    expect(await modelsSeenBy(K.bAll)).toEqual(['beta-one', 'shared-exact']);
    expect(await modelsSeenBy(K.oneModel)).toEqual(['alpha-one']);

    const own = await get('/api/v1/models/alpha-one/predictions', bearer(K.aRead));
    expect(own.status).toBe(200);
    expect(((await own.json()) as unknown[]).length).toBe(2);
    for (const path of ['/api/v1/models/beta-one/predictions', '/api/v1/models/beta-one/drift', '/api/v1/models/beta-one/latency', '/api/v1/models/shared-exact/quality']) {
      const r = await get(path, bearer(K.aRead));
      expect(r.status).toBe(403);
      expect(await r.json()).toEqual({ error: 'MW_ERR_FORBIDDEN', message: expect.stringContaining('model "beta-one"'.replace('beta-one', path.split('/')[4])) });
    }
    expect((await get('/api/v1/models/alpha-two/predictions', bearer(K.oneModel))).status).toBe(403);
    // Writing does not grant reading.
    expect((await get('/api/v1/models', bearer(K.aWrite))).status).toBe(403);
  });

  it('alerts, history and silences are filtered by the model label', async () => {
    const seen = async (key: string) => ((await (await get('/api/v1/alerts', bearer(key))).json()) as { alerts: typeof alerts }).alerts.map((a) => a.fingerprint);
    expect(await seen(K.admin)).toEqual(['1', '2', '3']);
    expect(await seen(K.aRead)).toEqual(['1']);
    expect(await seen(K.bAll)).toEqual(['2']);
    const history = (await (await get('/api/v1/alerts/history', bearer(K.aRead))).json()) as { history: { labels: { model?: string } }[] };
    expect(history.history.map((h) => h.labels.model)).toEqual(['alpha-one']);
    const sil = (await (await get('/api/v1/silences', bearer(K.aRead))).json()) as { silences: { id: string }[] };
    expect(sil.silences.map((s) => s.id)).toEqual([silences[0].id]);

    const create = (key: string, matchers: string[]) =>
      fetch(srv.url + '/api/v1/silences', { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key) }, body: JSON.stringify({ matchers, duration: '1h' }) });
    const denied = await create(K.aRead, ['model="beta-one"']);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: 'MW_ERR_FORBIDDEN' });
    expect((await create(K.aRead, ['alertname="r"'])).status).toBe(403);
    expect((await create(K.aRead, ['model="alpha-one"', 'alertname="r"'])).status).toBe(201);
    expect((await create(K.admin, ['alertname="r"'])).status).toBe(201);
    const expire = await fetch(`${srv.url}/api/v1/silences/${silences[1].id}`, { method: 'DELETE', headers: bearer(K.aRead) });
    expect(expire.status).toBe(403);
  });

  it('accepts hashed keys stored in the api_keys table at once, and drops revoked ones at the next reload', async () => {
    const key = generateKey('table-beta');
    expect((await get('/api/v1/models', bearer(key))).status).toBe(401);
    // The 401 above reloaded the table: wait past the reload throttle so the next miss reloads again.
    await new Promise((r) => setTimeout(r, 1100));
    await srv.store.insert('api_keys', [{ id: 'table-beta', hash: hashKey(key), tenants: ['beta'], models: [], access: ['read'], ver: 1 }]);
    const r = await get('/api/v1/models', bearer(key));
    expect(r.status).toBe(200);
    expect(((await r.json()) as { model: string }[]).map((m) => m.model).sort()).toEqual(['beta-one', 'shared-exact']);
    expect((await get('/api/v1/models/alpha-one/predictions', bearer(key))).status).toBe(403);

    await srv.store.insert('api_keys', [{ id: 'table-beta', hash: hashKey(key), tenants: ['beta'], models: [], access: ['read'], revoked: 1, ver: 2 }]);
    await waitFor(async () => (await get('/api/v1/models', bearer(key))).status === 401, 'the revoked key to be refused');
  });

  it('never writes a key into a log line', async () => {
    const text = srv.logText();
    expect(text).toContain('unknown API key');
    for (const key of Object.values(K)) expect(text).not.toContain(key.slice(-64));
  });
});
