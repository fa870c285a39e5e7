import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../core/config/load.ts';
import type { Config } from '../../core/config/schema.ts';
import { createStore, type Store } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { buildCollector, type Collector } from '../../collector/server.ts';

/** A collector listening on a loopback port over a fresh embedded store. */
export interface TestServer {
  url: string;
  port: number;
  store: Store;
  config: Config;
  collector: Collector;
  dataDir: string;
  /** Closes the server, flushes the writer, closes the store and removes the data directory. */
  stop(): Promise<void>;
}

/**
 * Starts `serve`'s collector in-process on 127.0.0.1 with an ephemeral port. `wrapStore` wraps the
 * store the collector writes through (e.g. withTestFaults); `store` stays the plain one.
 */
export async function startTestServer(overrides: Record<string, unknown> = {}, opts: { wrapStore?: (s: Store) => Store } = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-srv-'));
  const config = loadConfig({ overrides: { 'storage.dataDir': dataDir, 'server.port': 0, 'writer.flushIntervalMs': 50, ...overrides } });
  const store = await createStore({ dataDir });
  await migrate(store);
  const collector = buildCollector({ store: opts.wrapStore ? opts.wrapStore(store) : store, config, logger: pino({ level: 'silent' }) });
  await collector.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (collector.app.server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    store,
    config,
    collector,
    dataDir,
    async stop() {
      await collector.app.close();
      await collector.writer.close();
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
