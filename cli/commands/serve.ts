import type { Command } from 'commander';
import { applyRetention } from '../../storage/retention.ts';
import { buildCollector } from '../../collector/server.ts';
import { analyzerRoutes, driftOptionsFrom, startAnalyzer } from '../../analyzer/index.ts';
import { alertsRoutes } from '../../alerts/api.ts';
import { startAlerts } from '../../alerts/engine.ts';
import { watchRules } from '../../alerts/reload.ts';
import { driftSeriesRoutes } from '../../analyzer/api-series.ts';
import { seriesRoutes } from '../../collector/http/series-routes.ts';
import { ensureUi } from '../../ui/build.ts';
import { uiRoutes } from '../../ui/routes.ts';
import { createLogger, fail, loadCliConfig, openStore, withStorageOptions, type CommonOptions } from '../context.ts';
import { withTestFaults } from '../../storage/faults.ts';
import { kafkaConfigured, kafkaOptionsFromConfig, startKafkaIngest } from '../../collector/kafka/index.ts';

interface ServeOptions extends CommonOptions {
  alerts?: string;
  host?: string;
  port?: string;
}

/** A part running in the serve process that must be stopped on shutdown. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** `modelwatch serve`: collector, read API, analyzer and alert evaluator in one process. */
export function registerServe(program: Command): void {
  withStorageOptions(
    program
      .command('serve')
      .description('run the collector (OTLP/HTTP + /v1/predictions), read API, analyzer and alerts; embedded ClickHouse unless --clickhouse-url')
      .option('--alerts <file>', 'alert rules file (alerts.yaml); no alerting without one')
      .option('--host <host>', 'address to bind (default 127.0.0.1: loopback only)')
      .option('-p, --port <port>', 'port to listen on (default 4318)'),
  ).action(async (opts: ServeOptions) => {
    const config = loadCliConfig(opts, { 'server.host': opts.host, 'server.port': opts.port, 'alerts.rulesFile': opts.alerts });
    const log = createLogger(config);
    let store;
    try {
      // Identity unless a test armed the fault switch in this process (docs/durability.md).
      store = withTestFaults(await openStore(config, log));
      await applyRetention(store, config.storage.retentionDays, config.storage.cluster);
    } catch (err) {
      fail(err);
    }
    // Start-up checks (exposure without keys, TLS files, privacy key) fail here with a clear message.
    const collector = (() => {
      try {
        return buildCollector({ store, config, logger: log });
      } catch (err) {
        return fail(err);
      }
    })();
    const parts: Stoppable[] = [];
    try {
      // In embedded mode the engine binds the data directory to this process: every reader lives here.
      if (config.analyzer.enabled) parts.push(startAnalyzer({ store, config, log }));
      collector.app.register(analyzerRoutes, {
        store,
        referenceDir: config.analyzer.referenceDir,
        windowMinutes: config.analyzer.windowMinutes,
        driftOptions: driftOptionsFrom(config.analyzer),
        positiveClass: config.analyzer.positiveClass || undefined,
        logLevel: 'warn',
      } as any);
      collector.app.register(seriesRoutes, { store, windowMinutes: config.analyzer.windowMinutes, logLevel: 'warn' } as any);
      collector.app.register(driftSeriesRoutes, {
        store, referenceDir: config.analyzer.referenceDir, windowMinutes: config.analyzer.windowMinutes,
        driftOptions: driftOptionsFrom(config.analyzer), logLevel: 'warn',
      } as any);
      // The web UI at /: built here when the bundle is missing or older than its sources (about 0.2 s).
      await ensureUi().then(
        (built) => built && log.info({ ms: built.ms, dir: built.outDir }, 'web UI built'),
        (err) => log.warn({ err: (err as Error).message }, 'web UI build failed: / answers 503 until `npm run build:ui` succeeds'),
      );
      collector.app.register(uiRoutes, { logLevel: 'warn' } as any);
      if (config.alerts.enabled && config.alerts.rulesFile) {
        const alerts = startAlerts({ store, config, log });
        // Stopped before the engine: no reload lands on a stopped engine.
        parts.push(watchRules({ engine: alerts, file: config.alerts.rulesFile, log }), alerts);
        collector.app.register(alertsRoutes, { store, engine: alerts, logLevel: 'warn' } as any);
        log.info({ rules: alerts.rules.rules?.length, file: config.alerts.rulesFile }, 'alert rules loaded');
      }
    } catch (err) {
      fail(err);
    }
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down: finishing requests and flushing queued rows');
      try {
        // Close the listener first: in-flight requests finish (their rows flush), new ones are refused.
        await collector.app.close();
        for (const p of parts) await p.stop();
        await collector.writer.close();
        await store.close();
        log.info('stopped');
        process.exit(0);
      } catch (err) {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      }
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
    try {
      const address = await collector.app.listen({ host: config.server.host, port: config.server.port });
      log.info({ address, mode: store.mode }, 'modelwatch listening');
      // Kafka after the collector (it writes through the same ingestor); stopped with the other parts, before the writer closes.
      if (kafkaConfigured(config)) {
        parts.push(await startKafkaIngest(kafkaOptionsFromConfig(config), { ingestor: collector.ingestor, store, log, registry: collector.registry }));
      }
      process.stderr.write(`modelwatch ${store.mode === 'embedded' ? `(embedded ClickHouse in ${config.storage.dataDir})` : `(ClickHouse ${config.storage.url})`} listening on ${address}\n`);
    } catch (err) {
      fail(err);
    }
  });
}
