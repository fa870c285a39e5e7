import type { Command } from 'commander';
import { backfill } from '../../storage/backfill.ts';
import { migrate } from '../../storage/migrate.ts';
import { fail, loadCliConfig, storeFromConfig, withStorageOptions, type CommonOptions } from '../context.ts';
import { progressLine } from '../progress.ts';

interface MigrateOptions extends CommonOptions {
  /** commander's form of --no-backfill. */
  backfill?: boolean;
}

/**
 * `modelwatch migrate`: applies pending schema migrations, then builds the hour and day rollup
 * levels for data stored before they existed (storage/backfill.ts), and exits. Both steps are
 * idempotent: a second run applies and builds nothing, and a run cut off goes on where it stopped.
 */
export function registerMigrate(program: Command): void {
  withStorageOptions(
    program
      .command('migrate')
      .description('apply pending schema migrations (also done at start of serve), then build the hour and day rollups of data stored before they existed')
      .option('--no-backfill', 'only apply migrations; leave the rollup build to a later `modelwatch migrate`'),
  ).action(async (opts: MigrateOptions) => {
    const config = loadCliConfig(opts);
    try {
      const store = await storeFromConfig(config);
      const cluster = config.storage.cluster || undefined;
      // Progress on a stderr terminal; stdout keeps its plain lines, the progress cleared before each.
      const progress = progressLine();
      const say = (m: string) => {
        progress.clear();
        process.stdout.write(m + '\n');
      };
      const r = await migrate(store, {
        cluster,
        log: say,
        progress: (p) => progress.update(`migration ${p.index}/${p.total} ${p.name}: statement ${p.statement}/${p.statements}`),
      }).finally(() => progress.done());
      process.stdout.write(`ClickHouse ${r.version} (${store.mode}): ${r.applied.length} migration(s) applied, ${r.alreadyApplied.length} already applied\n`);
      if (opts.backfill !== false) {
        const b = await backfill(store, {
          cluster,
          start: (p) => progress.update(`rollup backfill ${p.index}/${p.total}: ${p.table} partition ${p.partition}`),
          // One line per partition as it is recorded: the run can be followed, and cut off, safely.
          progress: (s) => say(`built ${s.table} partition ${s.partition}: ${s.rows} rows (${s.index}/${s.total}${s.how === 'range' ? ', up to the migration' : ''})`),
        }).finally(() => progress.done());
        for (const w of b.waiting) {
          say(`${w.table} partition ${w.partition} is still being written: run \`modelwatch migrate\` again after ${w.until.toISOString()} to build it`);
        }
        const rows = b.built.reduce((n, s) => n + s.rows, 0);
        process.stdout.write(`rollup backfill: ${b.built.length} partition(s) built (${rows} rows), ${b.waiting.length} waiting\n`);
      }
      await store.close();
    } catch (err) {
      fail(err);
    }
  });
}
