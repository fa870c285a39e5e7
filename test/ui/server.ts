/**
 * A collector with every route `serve` registers (read API, analyzer API, series, alerts, UI) on a
 * loopback port over a fresh embedded store. test/helpers/server.ts listens before returning, so
 * plugins cannot be added to it; this does the same steps with the registrations in between, in
 * the order cli/commands/serve.ts uses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { alertsRoutes } from '../../alerts/api.ts';
import type { AlertsEngine } from '../../alerts/engine.ts';
import { analyzerRoutes, driftOptionsFrom } from '../../analyzer/index.ts';
import { driftSeriesRoutes } from '../../analyzer/api-series.ts';
import { seriesRoutes } from '../../collector/http/series-routes.ts';
import { buildCollector } from '../../collector/server.ts';
import { loadConfig } from '../../core/config/load.ts';
import type { Config } from '../../core/config/schema.ts';
import { createStore, type Store } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { ensureUi } from '../../ui/build.ts';
import { uiRoutes } from '../../ui/routes.ts';

/** The running server of a UI test. */
export interface UiServer {
  url: string;
  store: Store;
  config: Config;
  stop(): Promise<void>;
}

/** A migrated store and the config the server will use (seed it before startUiServer). */
export async function openUiStore(): Promise<{ store: Store; config: Config; dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-ui-'));
  const config = loadConfig({ overrides: { 'storage.dataDir': dataDir, 'server.port': 0, 'writer.flushIntervalMs': 50, 'analyzer.enabled': false } });
  const store = await createStore({ dataDir });
  await migrate(store);
  return { store, config, dataDir };
}

/**
 * Starts the server. `config` replaces the opened config (a second server over the same store,
 * with API keys); `shared` leaves the store, its directory and the engine open on stop.
 */
export async function startUiServer(
  opened: { store: Store; config: Config; dataDir: string },
  opts: { engine?: AlertsEngine; distDir?: string; config?: Config; shared?: boolean } = {},
): Promise<UiServer> {
  const { store, dataDir } = opened;
  const config = opts.config ?? opened.config;
  const collector = buildCollector({ store, config, logger: pino({ level: 'silent' }) });
  const app = collector.app;
  await app.register(analyzerRoutes, {
    store, referenceDir: config.analyzer.referenceDir, windowMinutes: config.analyzer.windowMinutes, driftOptions: driftOptionsFrom(config.analyzer),
  });
  await app.register(seriesRoutes, { store, windowMinutes: config.analyzer.windowMinutes });
  await app.register(driftSeriesRoutes, {
    store, referenceDir: config.analyzer.referenceDir, windowMinutes: config.analyzer.windowMinutes, driftOptions: driftOptionsFrom(config.analyzer),
  });
  if (opts.distDir === undefined) await ensureUi();
  await app.register(uiRoutes, { distDir: opts.distDir });
  if (opts.engine) await app.register(alertsRoutes, { store, engine: opts.engine });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    config,
    async stop() {
      await app.close();
      await collector.writer.close();
      if (opts.shared) return;
      await opts.engine?.stop();
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
