// Ingest benchmark: predictions/s end to end (OTLP/HTTP protobuf and NDJSON -> collector -> ClickHouse)
// beside the raw insert ceiling: the same rows, pre-encoded, inserted straight into the same table
// (same materialized views) in the same run. Usage: node bin/run-ts.mjs bench/ingest.bench.ts [--rows N]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import protobuf from 'protobufjs';
import { loadConfig } from '../core/config/load.ts';
import { createStore } from '../storage/client.ts';
import { migrate } from '../storage/migrate.ts';
import { buildCollector } from '../collector/server.ts';
import { requestType } from '../collector/otlp/codec.ts';
import { parsePredictionsBody } from '../collector/predictions/json.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROWS = arg('rows', 200_000);
const PER_REQUEST = arg('batch', 5_000);
const CONCURRENCY = arg('concurrency', 4);
const NUMERIC = Array.from({ length: 20 }, (_, i) => `f${i}`);

function record(i: number, base: number) {
  const features: Record<string, number | string> = {};
  NUMERIC.forEach((f, k) => (features[f] = Math.sin(i + k) * 10 + k));
  features.color = ['red', 'green', 'blue'][i % 3];
  features.country = ['DE', 'FR', 'US', 'JP'][i % 4];
  features.tier = i % 7 === 0 ? 'gold' : 'std';
  return { model: 'bench', version: i % 2 ? 'v2' : 'v1', id: `p${i}`, timestamp: base + i, prediction: (i % 100) / 100, latency_ms: 1 + (i % 40), features };
}

function otlpBody(Req: protobuf.Type, recs: ReturnType<typeof record>[]): Buffer {
  const kv = (key: string, v: number | string) => ({ key, value: typeof v === 'number' ? { doubleValue: v } : { stringValue: v } });
  const logRecords = recs.map((r) => ({
    timeUnixNano: r.timestamp * 1e6,
    eventName: 'ml.prediction',
    attributes: [
      kv('ml.model.name', r.model), kv('ml.model.version', r.version), kv('ml.prediction.id', r.id),
      kv('ml.prediction.value', r.prediction), kv('ml.inference.duration_ms', r.latency_ms),
      ...Object.entries(r.features).map(([k, v]) => kv(`ml.feature.${k}`, v)),
    ],
  }));
  const msg = { resourceLogs: [{ resource: { attributes: [kv('service.name', 'bench')] }, scopeLogs: [{ logRecords }] }] };
  return Buffer.from(Req.encode(Req.fromObject(msg)).finish());
}

// The senders run in a worker thread: a model server's exporter is never on the collector's event
// loop, and an in-process HTTP client would bill its own work to the collector.
const SENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, bodies, type, concurrency } = workerData;
let next = 0;
const t0 = performance.now();
Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < bodies.length) {
    const body = bodies[next++];
    for (;;) {
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': type } });
      await res.arrayBuffer();
      if (res.status === 200) break;
      if (res.status !== 503 && res.status !== 429) throw new Error('HTTP ' + res.status);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
})).then(() => parentPort.postMessage((performance.now() - t0) / 1000), (err) => parentPort.postMessage({ error: String(err) }));
`;

async function send(url: string, bodies: Buffer[], type: string): Promise<number> {
  const worker = new Worker(SENDER, { eval: true, workerData: { url, bodies: bodies.map((b) => new Uint8Array(b)), type, concurrency: CONCURRENCY } });
  const out = await new Promise<number | { error: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  if (typeof out !== 'number') throw new Error(out.error);
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-ingest-'));
  const config = loadConfig({ overrides: { 'storage.dataDir': dataDir, 'writer.maxBatchRows': 100_000, 'writer.flushIntervalMs': 250, 'writer.maxQueueRows': 2_000_000, 'server.bodyLimitBytes': 256 * 1024 * 1024 } });
  const store = await createStore({ dataDir });
  await migrate(store);
  const collector = buildCollector({ store, config, logger: pino({ level: 'error' }) });
  await collector.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(collector.app.server.address() as { port: number }).port}`;
  const Req = requestType('logs');

  const base = Date.now() - 3600_000;
  const recs = Array.from({ length: ROWS }, (_, i) => record(i, base));
  const chunks: (typeof recs)[] = [];
  for (let i = 0; i < ROWS; i += PER_REQUEST) chunks.push(recs.slice(i, i + PER_REQUEST));
  const protoBodies = chunks.map((c) => otlpBody(Req, c));
  const ndjsonBodies = chunks.map((c) => Buffer.from(c.map((r) => JSON.stringify(r)).join('\n')));
  // The ceiling inserts exactly the rows the collector would write, already encoded.
  const rowLines = chunks.map((c) => parsePredictionsBody(c.map((r) => JSON.stringify(r)).join('\n')).rows.map((r) => JSON.stringify(r)));
  const ceilingBodies: Buffer[] = [];
  for (let i = 0; i < rowLines.length; i += Math.max(1, Math.floor(100_000 / PER_REQUEST))) {
    ceilingBodies.push(Buffer.from(rowLines.slice(i, i + Math.floor(100_000 / PER_REQUEST)).flat().join('\n') + '\n'));
  }
  const mb = (bs: Buffer[]) => (bs.reduce((n, b) => n + b.length, 0) / 1048576).toFixed(1);
  console.log(`rows ${ROWS}, ${PER_REQUEST} per request, ${CONCURRENCY} concurrent senders; protobuf ${mb(protoBodies)} MiB, NDJSON ${mb(ndjsonBodies)} MiB`);

  const results: Record<string, number[]> = { ceiling: [], protobuf: [], ndjson: [] };
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (const b of ceilingBodies) await store.insertRaw('predictions', b);
    results.ceiling.push(ROWS / ((performance.now() - t0) / 1000));
    results.protobuf.push(ROWS / (await send(`${url}/v1/logs`, protoBodies, 'application/x-protobuf')));
    results.ndjson.push(ROWS / (await send(`${url}/v1/predictions`, ndjsonBodies, 'application/x-ndjson')));
    await store.command(`TRUNCATE TABLE ${store.t('predictions')}`);
  }
  const [{ n }] = await store.query<{ n: number }>(`SELECT sum(predictions) AS n FROM ${store.t('latency_1m')}`);
  const ceiling = median(results.ceiling);
  console.log(`rollup rows counted: ${n} (expected ${ROWS * 9})`);
  console.log('path                         predictions/s (median of 3)   vs ceiling');
  for (const k of ['ceiling', 'protobuf', 'ndjson']) {
    const v = median(results[k]);
    console.log(`${(k === 'ceiling' ? 'raw insert ceiling' : k === 'protobuf' ? 'OTLP/HTTP protobuf' : 'NDJSON /v1/predictions').padEnd(28)} ${Math.round(v).toLocaleString('en').padStart(12)}   ${(v / ceiling).toFixed(2)}`);
  }
  await collector.app.close();
  await collector.writer.close();
  await store.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

await main();
