import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestType } from '../../collector/otlp/codec.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import protobuf from 'protobufjs';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ 'server.bodyLimitBytes': 1024 * 1024 });
});
afterAll(async () => {
  await srv?.stop();
});

const post = (path: string, body: Buffer | string, headers: Record<string, string>) =>
  fetch(`${srv.url}${path}`, { method: "POST", body: body as unknown as BodyInit, headers });

function jsonLogs(records: object[]): string {
  return JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeLogs: [{ logRecords: records }] }] });
}
const attr = (key: string, value: object) => ({ key, value });
// Recent timestamps: rows older than the retention TTL are dropped on insert.
const RECENT_ISO = new Date(Math.floor(Date.now() / 1000) * 1000 - 7200_000).toISOString();
const RECENT_NS = `${Date.now() - 3600_000}000000`;
const prediction = (model: string | null, extra: object[] = []) => ({
  timeUnixNano: RECENT_NS,
  eventName: 'ml.prediction',
  attributes: [...(model === null ? [] : [attr('ml.model.name', { stringValue: model })]), attr('ml.feature.x', { doubleValue: 1.5 }), ...extra],
});

async function count(table: string, where = '1'): Promise<number> {
  const [r] = await srv.store.query<{ n: number }>(`SELECT count() AS n FROM ${srv.store.t(table)} WHERE ${where}`);
  return Number(r.n);
}

describe('bad input gets a clear answer and loses nothing else', () => {
  it('400 with a google.rpc.Status body for a truncated protobuf', async () => {
    // A real request, cut in the middle of a field.
    const res = await post('/v1/logs', Buffer.from([0x0a, 0x20, 0x0a, 0x05]), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/x-protobuf');
    const Status = protobuf.Type.fromJSON('S', { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } });
    const status = Status.toObject(Status.decode(Buffer.from(await res.arrayBuffer()))) as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/protobuf/);
  });

  it('400 with a JSON body for invalid JSON', async () => {
    const res = await post('/v1/logs', '{"resourceLogs": [', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'MW_ERR_BODY_UNDECODABLE' });
  });

  it('415 for a content type that is neither protobuf nor JSON, and for an unknown encoding', async () => {
    expect((await post('/v1/logs', '<xml/>', { 'content-type': 'application/xml' })).status).toBe(415);
    expect((await post('/v1/logs', '{}', { 'content-type': 'application/json', 'content-encoding': 'br' })).status).toBe(415);
  });

  it('413 for a body over the limit, plain or gzip-compressed (a gzip bomb stops at the cap)', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    expect((await post('/v1/logs', big, { 'content-type': 'application/json' })).status).toBe(413);
    const bomb = zlib.gzipSync(Buffer.alloc(200 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const res = await post('/v1/logs', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect((await post('/v1/logs', Buffer.from('not gzip'), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(400);
  });

  it('accepts a gzip body', async () => {
    const res = await post('/v1/logs', zlib.gzipSync(jsonLogs([prediction('gz')])), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(await count('predictions', "model = 'gz'")).toBe(1);
  });

  it('good records mixed with invalid ones: 200 with partial_success; the good ones are stored', async () => {
    const body = jsonLogs([
      prediction('mixed'),
      prediction(null),
      prediction('mixed', [attr('ml.feature.bad', { arrayValue: { values: [] } })]),
      prediction('mixed', [attr('ml.prediction.score', { stringValue: 'high' })]),
      { ...prediction('mixed'), timeUnixNano: 'yesterday' },
      prediction('mixed'),
    ]);
    const res = await post('/v1/logs', body, { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { partialSuccess: { rejectedLogRecords: number; errorMessage: string } };
    expect(json.partialSuccess.rejectedLogRecords).toBe(4);
    expect(json.partialSuccess.errorMessage).toContain('record 1: model name missing');
    expect(json.partialSuccess.errorMessage).toContain('feature "bad" has unsupported type array');
    expect(json.partialSuccess.errorMessage).toContain('score must be a finite number');
    expect(await count('predictions', "model = 'mixed'")).toBe(2);
  });

  it('partial_success in protobuf for protobuf requests', async () => {
    const json = JSON.parse(jsonLogs([prediction('pb'), prediction(null)]));
    // Encode the JSON shape as protobuf through the collector's own schema.
    const root = requestType('logs').root;
    const Req = root.lookupType('modelwatch.otlp.ExportLogsServiceRequest');
    for (const r of json.resourceLogs[0].scopeLogs[0].logRecords) r.timeUnixNano = (Date.now() - 3600_000) * 1e6;
    const res = await post('/v1/logs', Buffer.from(Req.encode(Req.fromObject(json)).finish()), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    const Resp = root.lookupType('modelwatch.otlp.ExportLogsServiceResponse');
    const out = Resp.toObject(Resp.decode(Buffer.from(await res.arrayBuffer())), { longs: Number }) as any;
    expect(out.partialSuccess.rejectedLogRecords).toBe(1);
    expect(await count('predictions', "model = 'pb'")).toBe(1);
  });

  it('/v1/predictions: NDJSON and JSON arrays with invalid lines rejected alone', async () => {
    const nd = [
      JSON.stringify({ model: 'flat', id: 'a', prediction: 1, features: { x: 1, y: 'k', z: null } }),
      '{"model": "flat", "features": ',
      JSON.stringify({ model: 'flat', timestamp: 'not a time', features: {} }),
      JSON.stringify({ model: 'flat', id: 'b', label: 'spam', timestamp: RECENT_ISO, features: { x: 2 } }),
    ].join('\n');
    const res = await post('/v1/predictions', nd, { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ accepted: 2, rejected: 2 });
    expect(body.partialSuccess.errorMessage).toContain('line 2: invalid JSON');
    expect(body.partialSuccess.errorMessage).toContain('line 3: timestamp cannot be parsed');
    const arr = await post('/v1/predictions', JSON.stringify([{ model: 'flat', id: 'c', features: { x: 3 } }, { features: {} }]), { 'content-type': 'application/json' });
    expect(await arr.json()).toMatchObject({ accepted: 1, rejected: 1 });
    const rows = await srv.store.query<any>(`SELECT prediction_id, features_num, features_cat, features_null, toString(ts) AS t FROM ${srv.store.t('predictions')} WHERE model = 'flat' ORDER BY prediction_id`);
    expect(rows.map((r) => r.prediction_id)).toEqual(['a', 'b', 'c']);
    expect(rows[0]).toMatchObject({ features_num: { x: 1 }, features_cat: { y: 'k' }, features_null: ['z'] });
    expect(rows[1].t).toBe(RECENT_ISO.replace('T', ' ').replace('Z', ''));
  });

  it('stays healthy and ready after all of it', async () => {
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${srv.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ clickhouse: true, migrations: true });
  });
  it('refuses rows older than the retention period with a message, instead of letting the TTL drop them silently', async () => {
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const body = [
      { timestamp: RECENT_ISO, model: 'ttl', id: 'ttl-new', features: { x: 1 }, prediction: 1 },
      { timestamp: old, model: 'ttl', id: 'ttl-old', features: { x: 2 }, prediction: 1 },
    ].map((r) => JSON.stringify(r)).join('\n');
    const res = await post('/v1/predictions', body, { 'content-type': 'application/x-ndjson' });
    expect(res.status).toBe(200);
    const out = await res.json();
    expect(out).toMatchObject({ accepted: 1, rejected: 1 });
    expect(out.partialSuccess.errorMessage).toMatch(/older than the retention period \(30 days; oldest at /);
    expect(await count('predictions', "model = 'ttl'")).toBe(1);

    const oldNs = `${Date.now() - 31 * 86_400_000}000000`;
    const logs = jsonLogs([{ ...prediction('ttl-otlp'), timeUnixNano: oldNs }, prediction('ttl-otlp')]);
    const res2 = await post('/v1/logs', logs, { 'content-type': 'application/json' });
    expect(res2.status).toBe(200);
    const out2 = await res2.json();
    expect(out2.partialSuccess).toMatchObject({ rejectedLogRecords: 1 });
    expect(out2.partialSuccess.errorMessage).toMatch(/1 predictions record\(s\) older than the retention period/);
    expect(await count('predictions', "model = 'ttl-otlp'")).toBe(1);
  });
});
