import type { Command } from 'commander';
import { startAnalyzer } from '../../analyzer/scheduler.ts';
import { createLogger, fail, loadCliConfig, openStore, withStorageOptions, type CommonOptions } from '../context.ts';
import { noteUnbuiltLevels } from '../levels-status.ts';

/** Registers `modelwatch analyzer`: the scheduler alone, against a ClickHouse server or a data directory. */
export function registerAnalyzer(program: Command): void {
  withStorageOptions(program.command('analyzer').description('run the analyzers alone (scaled mode), every analyzer.intervalMs'))
    .option('--once', 'run one pass and exit')
    .action(async (o: CommonOptions & { once?: boolean }) => {
      const config = loadCliConfig(o);
      const log = createLogger(config);
      const store = await openStore(config, log).catch(fail);
      await noteUnbuiltLevels(store, config.storage.cluster, log).catch(fail);
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
