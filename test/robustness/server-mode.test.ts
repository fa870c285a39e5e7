import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load.ts';
import { buildCollector, type Collector } from '../../collector/server.ts';
import { createStore, type Store } from '../../storage/client.ts';
import { decodeNativeBlocks } from '../../storage/native/decode.ts';
import { NATIVE_TABLES } from '../../storage/native/tables.ts';
import { freePort, metric, postPredictions, waitFor } from './helpers.ts';

// Server mode without a ClickHouse server (none >= 24.8 can be installed on this machine): the
// store points at a loopback port where nothing listens, then at a stand-in that speaks just
// enough of ClickHouse's HTTP interface (/ping, INSERT) to record what the replay sends. It shows
// the client side for real: refused connections spool, tokens travel in the insert settings. That
// ClickHouse deduplicates a token it has seen is shown with the embedded engine (same SQL, same
// settings) in spool-writer.test.ts and crash-spool.test.ts.
let port: number;
let dataDir: string;
let store: Store;
let collector: Collector;
let url: string;
beforeAll(async () => {
  port = await freePort();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-server-mode-'));
  const config = loadConfig({
    overrides: { 'storage.url': `http://127.0.0.1:${port}`, 'storage.dataDir': dataDir, 'storage.requestTimeoutMs': 5000, 'writer.flushIntervalMs': 50, 'writer.retryBaseMs': 50 },
  });
  store = await createStore({ url: config.storage.url, requestTimeoutMs: config.storage.requestTimeoutMs });
  collector = buildCollector({ store, config, logger: pino({ level: 'silent' }) });
  await collector.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(collector.app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await collector?.app.close();
  await collector?.writer.close();
  await store?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface SeenInsert {
  query: string;
  token: string;
  ids: string[];
}

/** A stand-in for ClickHouse's HTTP interface that records inserts; the first `dropFirst` inserts are read, then the connection is cut (an unseen answer). */
function fakeClickHouse(dropFirst: number): { server: http.Server; inserts: SeenInsert[] } {
  const inserts: SeenInsert[] = [];
  let dropped = 0;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (u.pathname === '/ping') return void res.end('Ok.\n');
      const query = u.searchParams.get('query') ?? '';
      if (!query.startsWith('INSERT')) return void res.writeHead(404).end('Code: 0. DB::Exception: the stand-in only takes inserts');
      const body = Buffer.concat(chunks);
      // Predictions arrive as Native blocks (the writer's format for them); read them back to check the rows.
      const ids = query.endsWith('FORMAT Native')
        ? decodeNativeBlocks(NATIVE_TABLES.predictions, body).map((r) => r.prediction_id as string)
        : body.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).prediction_id as string);
      inserts.push({ query, token: u.searchParams.get('insert_deduplication_token') ?? '', ids });
      if (dropped < dropFirst) {
        dropped++;
        return void req.socket.destroy();
      }
      res.end();
    });
  });
  return { server, inserts };
}

describe('server mode with ClickHouse unreachable', () => {
  it('spools batches and still acknowledges; /readyz says not ready; the replay sends each batch with its original token once ClickHouse listens', { timeout: 120_000 }, async () => {
    const acked: string[] = [];
    for (let r = 0; r < 5; r++) {
      const ids = Array.from({ length: 200 }, (_, i) => `r${r}-${i}`);
      const res = await postPredictions(url, 'srv', ids);
      expect(res.status).toBe(200);
      acked.push(...ids);
    }
    expect(collector.writer.spooling).toBe(true);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', clickhouse: false });
    expect(fs.readdirSync(path.join(dataDir, 'spool')).some((f) => f.endsWith('.seg'))).toBe(true);
    const spooled = await metric(collector.registry, 'modelwatch_spool_batches_spooled_total');
    expect(spooled).toBeGreaterThanOrEqual(1);

    // "ClickHouse" comes up; its first answer is lost after it took the insert.
    const fake = fakeClickHouse(1);
    await new Promise<void>((r) => fake.server.listen(port, '127.0.0.1', r));
    try {
      await waitFor(() => !collector.writer.spooling, 60_000, 'the spool to drain');
      const tokens = fake.inserts.map((i) => i.token);
      // The cut answer made the first batch go round again: same token, same rows.
      expect(tokens[0]).toBe(tokens[1]);
      expect(fake.inserts[0].ids).toEqual(fake.inserts[1].ids);
      expect(new Set(tokens).size).toBe(spooled);
      expect(tokens.every((t) => /^predictions:[0-9a-f-]{36}$/.test(t))).toBe(true);
      expect(fake.inserts.every((i) => i.query === `INSERT INTO modelwatch.predictions (${NATIVE_TABLES.predictions.map((c) => c.name).join(', ')}) FORMAT Native`)).toBe(true);
      // Each acknowledged id was sent under exactly one token, in the order it was acknowledged.
      const byToken = new Map(fake.inserts.map((i) => [i.token, i.ids]));
      const sent = [...byToken.values()].flat();
      expect(sent).toEqual(acked);
      expect(await metric(collector.registry, 'modelwatch_spool_batches_replayed_total')).toBe(spooled);
    } finally {
      await new Promise((r) => fake.server.close(r));
    }
  });
});
