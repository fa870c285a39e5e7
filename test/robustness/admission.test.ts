import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load.ts';
import { buildCollector, type Collector } from '../../collector/server.ts';
import { createStore, type Store } from '../../storage/client.ts';
import { freePort, postPredictions } from './helpers.ts';

// Memory admission (server.maxRssBytes), without ClickHouse: the limit is checked before a request's
// body is read, so the store is never reached. Server mode at a dead port keeps this file free of chdb.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-admission-'));
const open: { collector: Collector; store: Store }[] = [];
afterAll(async () => {
  for (const { collector, store } of open) {
    await collector.app.close();
    await collector.writer.close();
    await store.close();
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function collectorWith(maxRssBytes: number, sub: string): Promise<string> {
  const port = await freePort();
  const config = loadConfig({ overrides: { 'storage.url': `http://127.0.0.1:${port}`, 'storage.dataDir': path.join(dataDir, sub), 'server.maxRssBytes': maxRssBytes } });
  const store = await createStore({ url: config.storage.url, requestTimeoutMs: 2000 });
  const collector = buildCollector({ store, config, logger: pino({ level: 'silent' }) });
  open.push({ collector, store });
  await collector.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(collector.app.server.address() as { port: number }).port}`;
}

describe('memory admission', () => {
  it('above server.maxRssBytes every ingest route answers 503 + Retry-After (MW_ERR_MEMORY_LIMIT); other routes still answer', async () => {
    const url = await collectorWith(1024 * 1024, 'tiny'); // far below any Node process
    const res = await postPredictions(url, 'mem', ['a', 'b']);
    expect(res.status).toBe(503);
    expect(res.retryAfter).toMatch(/^\d+$/);
    expect(res.body).toMatchObject({ error: 'MW_ERR_MEMORY_LIMIT' });
    for (const signal of ['logs', 'metrics', 'traces']) {
      const r = await fetch(`${url}/v1/${signal}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(503);
      await r.arrayBuffer();
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('below the limit (or with none) ingest is admitted', async () => {
    const url = await collectorWith(64 * 1024 * 1024 * 1024, 'roomy');
    expect((await postPredictions(url, 'mem', ['c'])).status).toBe(200);
  });
});
