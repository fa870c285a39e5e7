import type { Command } from 'commander';
import { migrate } from '../../storage/migrate.ts';
import { fail, loadCliConfig, storeFromConfig, withStorageOptions, type CommonOptions } from '../context.ts';
import { progressLine } from '../progress.ts';

/** `modelwatch migrate`: applies pending schema migrations and exits. */
export function registerMigrate(program: Command): void {
  withStorageOptions(program.command('migrate').description('apply pending schema migrations (also done at start of serve)')).action(async (opts: CommonOptions) => {
    const config = loadCliConfig(opts);
    try {
      const store = await storeFromConfig(config);
      // Progress on a stderr terminal; stdout keeps its plain lines, the progress cleared before each.
      const progress = progressLine();
      const r = await migrate(store, {
        cluster: config.storage.cluster || undefined,
        log: (m) => {
          progress.clear();
          process.stdout.write(m + '\n');
        },
        progress: (p) => progress.update(`migration ${p.index}/${p.total} ${p.name}: statement ${p.statement}/${p.statements}`),
      }).finally(() => progress.done());
      process.stdout.write(`ClickHouse ${r.version} (${store.mode}): ${r.applied.length} migration(s) applied, ${r.alreadyApplied.length} already applied\n`);
      await store.close();
    } catch (err) {
      fail(err);
    }
  });
}
