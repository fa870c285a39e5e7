import type { Command } from 'commander';
import pino from 'pino';
import { loadConfig } from '../../core/config/load.ts';
import { createStore } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { startAnalyzer } from '../../analyzer/scheduler.ts';

/** Registers `modelwatch analyzer`: the scheduler alone, against a ClickHouse server or a data directory. */
export function registerAnalyzer(program: Command): void {
  program
    .command('analyzer')
    .description('run the analyzers alone (scaled mode), every analyzer.intervalMs')
    .option('--config <file>', 'configuration file (YAML or JSON)')
    .option('--clickhouse-url <url>', 'ClickHouse server URL')
    .option('--data-dir <dir>', 'embedded ClickHouse data directory')
    .option('--once', 'run one pass and exit')
    .action(async (o: { config?: string; clickhouseUrl?: string; dataDir?: string; once?: boolean }) => {
      // The config loader is the one place that maps environment variables onto settings.
      // eslint-disable-next-line no-restricted-properties
      const config = loadConfig({ file: o.config, env: process.env, overrides: { 'storage.url': o.clickhouseUrl, 'storage.dataDir': o.dataDir } });
      const log = pino({ level: config.log.level });
      const s = config.storage;
      const store = await createStore({ url: s.url || undefined, dataDir: s.dataDir, user: s.user, password: s.password, database: s.database, requestTimeoutMs: s.requestTimeoutMs });
      await migrate(store, { log: (m) => log.info(m) });
      const analyzer = startAnalyzer({ store, config: o.once ? { ...config, analyzer: { ...config.analyzer, enabled: false } } : config, log });
      if (o.once) {
        await analyzer.runOnce();
        await store.close();
        return;
      }
      const stop = async () => {
        await analyzer.stop();
        await store.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
