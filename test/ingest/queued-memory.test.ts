// While a request waits for its rows to be flushed (up to writer.flushIntervalMs), the collector
// must hold its rows only as the writer's encoded bytes: not the decoded body, not the row objects.
// V8 keeps an async function's locals alive across an await, so a decoded body or a row array held
// in an awaiting frame lived until the flush; with many requests in flight those objects were
// promoted to the old generation and garbage collection took half of the collector's CPU.
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { requestType } from '../../collector/otlp/codec.ts';
import type { DecodedRecords } from '../../collector/ingest-body.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const N = 200;

function otlpBody(): Buffer {
  const Req = requestType('logs');
  const kv = (key: string, v: number | string) => ({ key, value: typeof v === 'number' ? { doubleValue: v } : { stringValue: v } });
  const logRecords = Array.from({ length: N }, (_, i) => ({
    timeUnixNano: (Date.now() - 60_000 + i) * 1e6,
    eventName: 'ml.prediction',
    attributes: [kv('ml.model.name', 'queued'), kv('ml.prediction.id', `p${i}`), kv('ml.feature.x', i), kv('ml.feature.c', 'a')],
  }));
  return Buffer.from(Req.encode(Req.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] })).finish());
}

function ndjsonBody(): Buffer {
  const ts = Date.now() - 60_000;
  return Buffer.from(Array.from({ length: N }, (_, i) => JSON.stringify({ model: 'queued', id: `p${i}`, timestamp: ts + i, features: { x: i, c: 'a' } })).join('\n'));
}

// Weak references to what the event loop decoded and handed on: the request's records and each
// table's row array (the ingestor's private step between decoding and encoding).
function watch(srv: TestServer): WeakRef<object>[] {
  const refs: WeakRef<object>[] = [];
  const ingestor = srv.collector.ingestor as unknown as { store(d: DecodedRecords, o?: unknown): Promise<unknown> };
  const store = ingestor.store.bind(ingestor);
  ingestor.store = (d, o) => {
    refs.push(new WeakRef(d));
    for (const [, rows] of d.tables) refs.push(new WeakRef(rows));
    return store(d, o);
  };
  return refs;
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

describe('a request waiting for its flush', () => {
  let srv: TestServer | undefined;
  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
  });

  for (const c of [
    { name: 'OTLP/HTTP protobuf', path: '/v1/logs', type: 'application/x-protobuf', body: otlpBody, refs: 4 },
    { name: 'NDJSON', path: '/v1/predictions', type: 'application/x-ndjson', body: ndjsonBody, refs: 2 },
  ]) {
    it(`${c.name}: holds neither the decoded body nor the row objects, and its rows land at the flush`, async () => {
      // Decoded on the event loop: decode threads leave it nothing decoded to hold.
      srv = await startTestServer({ 'writer.flushIntervalMs': 600_000, 'writer.maxBatchRows': 1_000_000, 'server.decodeThreads': 0 });
      const refs = watch(srv);
      const response = fetch(`${srv.url}${c.path}`, { method: 'POST', body: new Uint8Array(c.body()), headers: { 'content-type': c.type } });
      await until(() => srv!.collector.writer.queuedRows === N);
      expect(refs).toHaveLength(c.refs);
      // Let the handler reach its await, then collect.
      await new Promise((r) => setTimeout(r, 20));
      gc();
      gc();
      const collected = refs.map((r) => r.deref() === undefined);
      // Flushed before asserting: a failure must not leave the request waiting for the interval.
      await srv.collector.writer.flush();
      expect((await response).status).toBe(200);
      expect(collected).toEqual(refs.map(() => true));
      const [{ n }] = await srv.store.query<{ n: number }>(`SELECT count() AS n FROM ${srv.store.t('predictions')} WHERE model = 'queued'`);
      expect(Number(n)).toBe(N);
    });
  }
});
