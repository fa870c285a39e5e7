import type { Command } from 'commander';
import { analyzerRoutes, driftOptionsFrom, startAnalyzer } from '../../analyzer/index.ts';
import { alertsRoutes } from '../../alerts/api.ts';
import { startAlerts } from '../../alerts/engine.ts';
import { watchRules } from '../../alerts/reload.ts';
import { driftSeriesRoutes } from '../../analyzer/api-series.ts';
import { seriesRoutes } from '../../collector/http/series-routes.ts';
import { ensureUi } from '../../ui/build.ts';
import { uiRoutes } from '../../ui/routes.ts';
import { createLogger, fail, listenText, loadCliConfig, logFormat, printListening, withStorageOptions, type CommonOptions } from '../context.ts';
import { openCollector, stopOnSignals, type Stoppable } from '../ingest-process.ts';
import { startSummary } from '../summary.ts';
import type { AlertsEngine } from '../../alerts/engine.ts';
import { kafkaConfigured, kafkaOptionsFromConfig, startKafkaIngest } from '../../collector/kafka/index.ts';

interface ServeOptions extends CommonOptions {
  alerts?: string;
  contract?: string;
  host?: string;
  port?: string;
}

/** `modelwatch serve`: collector, read API, analyzer and alert evaluator in one process. */
export function registerServe(program: Command): void {
  withStorageOptions(
    program
      .command('serve')
      .description('run the collector (OTLP/HTTP + /v1/predictions), read API, analyzer and alerts; embedded ClickHouse unless --clickhouse-url')
      .option('--alerts <file>', 'alert rules file (alerts.yaml); no alerting without one')
      .option('--contract <file>', 'data contract (modelwatch check --init writes one) judged on every analyzer window: docs/ci.md')
      .option('--host <host>', 'address to bind (default 127.0.0.1: loopback only)')
      .option('-p, --port <port>', 'port to listen on (default 4318)'),
  ).action(async (opts: ServeOptions) => {
    const config = loadCliConfig(opts, { 'server.host': opts.host, 'server.port': opts.port, 'alerts.rulesFile': opts.alerts, 'analyzer.contractFile': opts.contract });
    const log = createLogger(config);
    const { store, collector } = await openCollector(config, log);
    const parts: Stoppable[] = [];
    let passes = 0;
    let alerts: AlertsEngine | undefined;
    try {
      // In embedded mode the engine binds the data directory to this process: every reader lives here.
      if (config.analyzer.enabled) {
        // On a terminal the summary line counts passes; a line for each would be one more a minute.
        const analyzerLog = logFormat(config) === 'pretty' ? { info: log.debug.bind(log), warn: log.warn.bind(log), error: log.error.bind(log) } : log;
        parts.push(startAnalyzer({ store, config, log: analyzerLog, onPass: () => void passes++ }));
      }
      // Request lines of these routes follow the server's level (debug and below): see collector/request-log.ts.
      collector.app.register(analyzerRoutes, {
        store,
        referenceDir: config.analyzer.referenceDir,
        windowMinutes: config.analyzer.windowMinutes,
        driftOptions: driftOptionsFrom(config.analyzer),
        positiveClass: config.analyzer.positiveClass || undefined,
      } as any);
      collector.app.register(seriesRoutes, { store, windowMinutes: config.analyzer.windowMinutes } as any);
      collector.app.register(driftSeriesRoutes, {
        store, referenceDir: config.analyzer.referenceDir, windowMinutes: config.analyzer.windowMinutes,
        driftOptions: driftOptionsFrom(config.analyzer),
      } as any);
      // The web UI at /: built here when the bundle is missing or older than its sources (about 0.2 s).
      await ensureUi().then(
        (built) => built && log.info({ ms: built.ms, dir: built.outDir }, 'web UI built'),
        (err) => log.warn({ err: (err as Error).message }, 'web UI build failed: / answers 503 until `npm run build:ui` succeeds'),
      );
      collector.app.register(uiRoutes);
      if (config.alerts.enabled && config.alerts.rulesFile) {
        alerts = startAlerts({ store, config, log });
        // Stopped before the engine: no reload lands on a stopped engine.
        parts.push(watchRules({ engine: alerts, file: config.alerts.rulesFile, log }), alerts);
        collector.app.register(alertsRoutes, { store, engine: alerts } as any);
        log.info({ rules: alerts.rules.rules?.length, file: config.alerts.rulesFile }, 'alert rules loaded');
      }
    } catch (err) {
      fail(err);
    }
    stopOnSignals({ log, message: 'shutting down: finishing requests and flushing queued rows', collector, store, parts });
    try {
      const what = `modelwatch ${store.mode === 'embedded' ? `(embedded ClickHouse in ${config.storage.dataDir})` : `(ClickHouse ${config.storage.url})`}`;
      const address = await collector.app.listen({ host: config.server.host, port: config.server.port, ...listenText(config, what) });
      if (logFormat(config) === 'json') log.info({ address, mode: store.mode, decodeThreads: config.server.decodeThreads }, 'modelwatch listening');
      // Kafka after the collector (it writes through the same ingestor); stopped with the other parts, before the writer closes.
      if (kafkaConfigured(config)) {
        parts.push(await startKafkaIngest(kafkaOptionsFromConfig(config), { ingestor: collector.ingestor, store, log, registry: collector.registry }));
      }
      const engine = alerts;
      parts.push(startSummary({
        log, registry: collector.registry, everyMs: config.log.summaryIntervalMs,
        analyzerPasses: config.analyzer.enabled ? () => passes : undefined,
        alertsFiring: engine ? async () => (await engine.activeAlerts()).filter((a) => a.state === 'firing').length : undefined,
      }));
      printListening(config, `${what} listening on ${address}`);
    } catch (err) {
      fail(err);
    }
  });
}
