// Decode threads (server.decodeThreads) change where a body is read, never what is stored or
// answered: the same requests sent to a collector without them and to one with two give the same
// statuses, the same answers and the same rows, privacy rules, retention and key scopes included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { loadConfig } from '../../core/config/load.ts';
import { buildCollector, type Collector } from '../../collector/server.ts';
import { generateKey, hashKey } from '../../collector/auth/keys.ts';
import { DecodePool } from '../../collector/decode/pool.ts';
import { Ingestor } from '../../collector/ingest.ts';
import { BatchWriter } from '../../storage/writer.ts';
import type { Store } from '../../storage/client.ts';
import { createTestStore } from '../helpers/store.ts';
import { JSON_SEEDS, PROTO_SEEDS } from '../robustness/fuzz-helpers.ts';

const ADMIN = generateKey('admin');
const ALPHA = generateKey('alpha-writer');
const settings = {
  'writer.flushIntervalMs': 50,
  'storage.retentionDays': 30,
  'privacy.hmacKey': 'decode-thread-test-key-0123456789abcdef',
  'privacy.rules': [{ feature: 'email', action: 'drop' }, { feature: 'ssn', action: 'hash' }, { feature: 'age', action: 'bucketize', buckets: [0, 18, 65] }],
  'auth.keys': [
    { id: 'admin', hash: hashKey(ADMIN), access: ['read', 'write'] },
    { id: 'alpha-writer', hash: hashKey(ALPHA), tenants: ['alpha'], access: ['write'] },
  ],
  'auth.tenants': { alpha: { models: ['alpha-*'] } },
};
const TABLES = ['predictions', 'ground_truth', 'logs', 'metric_points', 'metric_histograms', 'gpu_samples', 'spans'];

const now = Date.now() - 60_000;
const line = (o: object) => JSON.stringify(o);
const flat = (model: string, id: string, ts = now, features: object = { x: 1.25, email: 'a@b.c', ssn: '123', age: 40, color: 'red' }) => ({ model, id, timestamp: ts, prediction: 0.5, features });

// [path, content type, key, body]
const REQUESTS: [string, string, string, string | Buffer][] = [
  ['/v1/predictions', 'application/x-ndjson', ADMIN, [
    line(flat('m1', 'a1')), '{"model":"m1", broken', '42', line(flat('m1', 'old', now - 90 * 86_400_000)),
    line(flat('m1', 'a2', now, { x: 2, age: '17', 'bad name!': 1 })), '', line({ model: 'm1', features: 'not an object' }),
  ].join('\n')],
  ['/v1/predictions', 'application/json', ADMIN, JSON.stringify([flat('m2', 'j1'), flat('m2', 'j2'), 'text'])],
  ['/v1/predictions', 'application/x-ndjson', ALPHA, [line(flat('alpha-1', 's1')), line(flat('beta-1', 's2'))].join('\n')],
  ['/v1/predictions', 'application/x-ndjson', ALPHA, line(flat('beta-1', 's3'))],
  ['/v1/predictions', 'application/json', ADMIN, '[{"model": '],
  ['/v1/logs', 'application/x-protobuf', ADMIN, PROTO_SEEDS.logs],
  ['/v1/logs', 'application/json', ADMIN, JSON.stringify(JSON_SEEDS.logs)],
  ['/v1/logs', 'application/json', ADMIN, JSON.stringify({ resourceLogs: [{ scopeLogs: 7 }] })],
  ['/v1/logs', 'application/x-protobuf', ADMIN, Buffer.from([0x0a, 0xff, 0xff, 0x01])],
  ['/v1/logs', 'application/x-protobuf', ALPHA, PROTO_SEEDS.logs],
  ['/v1/metrics', 'application/x-protobuf', ADMIN, PROTO_SEEDS.metrics],
  ['/v1/metrics', 'application/json', ADMIN, JSON.stringify(JSON_SEEDS.metrics)],
  ['/v1/traces', 'application/x-protobuf', ADMIN, PROTO_SEEDS.traces],
  ['/v1/traces', 'application/json', ADMIN, '[]'],
  ['/v1/traces', 'application/json', ADMIN, ''],
];

let store: Store;
let dataDir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, dataDir, cleanup } = await createTestStore());
});
afterAll(async () => {
  await cleanup?.();
});

/** Sends every request to a collector with `threads` decode threads; its answers and the rows stored. */
async function run(threads: number): Promise<{ answers: [number, unknown][]; rows: Record<string, unknown[]> }> {
  for (const t of TABLES) await store.command(`TRUNCATE TABLE ${store.t(t)}`);
  const config = loadConfig({ overrides: { ...settings, 'storage.dataDir': dataDir, 'server.decodeThreads': threads } });
  const collector: Collector = buildCollector({ store, config, logger: pino({ level: 'silent' }) });
  await collector.app.ready();
  const answers: [number, unknown][] = [];
  try {
    for (const [url, type, key, payload] of REQUESTS) {
      const res = await collector.app.inject({ method: 'POST', url, payload, headers: { 'content-type': type, authorization: `Bearer ${key}` } });
      answers.push([res.statusCode, type === 'application/x-protobuf' ? res.rawPayload.toString('base64') : res.json()]);
    }
    await collector.writer.flush();
  } finally {
    await collector.app.close();
    await collector.writer.close();
  }
  const rows: Record<string, unknown[]> = {};
  for (const t of TABLES) {
    const got = await store.query<Record<string, unknown>>(`SELECT * FROM ${store.t(t)}`);
    rows[t] = got.map(({ inserted_at: _, ...r }) => JSON.stringify(r)).sort();
  }
  return { answers, rows };
}

describe('decode threads', () => {
  it('store and answer exactly what the event loop does', async () => {
    const inline = await run(0);
    const threaded = await run(2);
    expect(threaded.answers).toEqual(inline.answers);
    expect(threaded.rows).toEqual(inline.rows);
    // And what they agree on is the collector's behaviour, not a shared failure.
    const statuses = inline.answers.map(([s]) => s);
    expect(statuses).toEqual([200, 200, 200, 403, 400, 200, 200, 400, 400, 200, 200, 200, 200, 400, 200]);
    expect(inline.answers[0][1]).toMatchObject({ accepted: 1, rejected: 5 });
    expect(JSON.stringify(inline.answers[0][1])).toMatch(/line 2: invalid JSON.*line 3: not a JSON object.*line 5: feature name.*line 7:.*older than the retention period/);
    expect(inline.answers[2][1]).toMatchObject({ accepted: 1, rejected: 1 });
    expect(inline.answers[3][1]).toMatchObject({ error: 'MW_ERR_FORBIDDEN' });
    expect(inline.rows.predictions.length).toBe(1 + 2 + 1);
    expect(inline.rows.predictions.join('\n')).not.toContain('a@b.c');
    expect(inline.rows.gpu_samples.length).toBeGreaterThan(0);
    expect(inline.rows.spans.length).toBe(1);
  });
});

describe('Ingestor with decode threads', () => {
  it('applies a restricted scope that has no patterns to send on the event loop', async () => {
    const writer = new BatchWriter(store, { maxBatchRows: 1000, flushIntervalMs: 50, maxQueueRows: 10_000, maxAttempts: 2, retryBaseMs: 10 });
    const pool = new DecodePool(1, { retentionDays: 0, privacy: loadConfig({ overrides: {} }).privacy });
    try {
      const ingestor = new Ingestor(writer, undefined, { pool });
      const body = Buffer.from([line(flat('ok', 'q1')), line(flat('other', 'q2'))].join('\n'));
      const scope = { unrestricted: false, allows: (m: string) => m === 'ok', keyId: 'custom' };
      expect(await ingestor.body('predictions', false, body, { scope })).toMatchObject({ accepted: 1, rejected: 1 });
    } finally {
      await pool.close();
      await writer.close();
    }
  });
});

describe('DecodePool', () => {
  const data = { retentionDays: 0, privacy: loadConfig({ overrides: {} }).privacy };

  it('gives up threads that never start, and the ingestor then decodes on the event loop', async () => {
    // A hash rule without its key: compiling the policy throws as each thread loads.
    const broken = { ...data, privacy: { ...data.privacy, rules: [{ feature: 'x', action: 'hash' as const }] } };
    const errors: string[] = [];
    const pool = new DecodePool(1, broken, { error: (_o, msg) => void errors.push(msg) });
    const writer = new BatchWriter(store, { maxBatchRows: 1000, flushIntervalMs: 50, maxQueueRows: 10_000, maxAttempts: 2, retryBaseMs: 10 });
    try {
      const first = pool.run('predictions', false, Buffer.from(line(flat('m', 'g1'))));
      await expect(first).rejects.toThrow(/decode thread exited/);
      while (pool.live > 0) await new Promise((r) => setTimeout(r, 50));
      expect(errors).toContain('no decode thread starts; decoding on the event loop');
      await expect(pool.run('predictions', false, Buffer.from('{}'))).rejects.toThrow(/no decode thread is running/);
      const ingestor = new Ingestor(writer, undefined, { pool });
      expect(await ingestor.body('predictions', false, Buffer.from(line(flat('m', 'g2'))))).toMatchObject({ accepted: 1, rejected: 0 });
    } finally {
      await pool.close();
      await writer.close();
    }
  });

  it('fails the jobs of a thread that dies and replaces it', async () => {
    const pool = new DecodePool(1, data);
    try {
      const body = Buffer.from(line(flat('m', 'p1')));
      const pending = pool.run('predictions', false, body);
      // The thread cannot have loaded its code yet (a loader to register, modules to compile).
      await (pool as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }).threads[0].worker.terminate();
      await expect(pending).rejects.toThrow(/decode thread exited/);
      const again = await pool.run('predictions', false, Buffer.from(line(flat('m', 'p2'))));
      expect(again).toMatchObject({ signal: 'predictions', rows: 1, accepted: 1, rejected: 0 });
      expect(Buffer.isBuffer(again.tables[0][1].blocks![0])).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('moves a body that owns its memory and copies one that shares it', async () => {
    const pool = new DecodePool(1, data);
    try {
      const own = new Uint8Array(Buffer.from(line(flat('m', 'p3'))));
      const shared = Buffer.from(line(flat('m', 'p4'))); // small: a slice of Node's buffer pool
      const neighbour = Buffer.from('still here');
      await Promise.all([pool.run('predictions', false, own), pool.run('predictions', false, shared)]);
      expect(own.byteLength).toBe(0); // detached: moved, not copied
      expect(shared.byteLength).toBeGreaterThan(0);
      expect(neighbour.toString()).toBe('still here');
      await expect(pool.run('predictions', false, Buffer.from('{"model": 1'), { unrestricted: false, allows: () => false })).rejects.toThrow(/without its patterns/);
    } finally {
      await pool.close();
    }
  });
});
