/**
 * Start-up and shutdown shared by the commands that run the collector (`serve`, `collector`):
 * the same store, retention, collector and signal handling, so the two cannot drift apart.
 */
import type { Logger } from 'pino';
import type { Config } from '../core/config/schema.ts';
import { buildCollector, type Collector } from '../collector/server.ts';
import type { Store } from '../storage/client.ts';
import { withTestFaults } from '../storage/faults.ts';
import { applyRetention, retentionFromConfig } from '../storage/retention.ts';
import { fail, openStore } from './context.ts';
import { noteUnbuiltLevels } from './levels-status.ts';

/** A part running beside the collector that must be stopped on shutdown. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Opens the store (migrated, retention applied) and builds the collector; any failure, including
 * the collector's start-up checks (exposure without keys, TLS files, privacy key), stops the process
 * with a clear message. Data stored before the hour and day rollup levels existed is not built
 * here (it can take long): a warning says to run `modelwatch migrate`, which does it.
 */
export async function openCollector(config: Config, log: Logger): Promise<{ store: Store; collector: Collector }> {
  let store: Store;
  try {
    // Identity unless a test armed the fault switch in this process (docs/durability.md).
    store = withTestFaults(await openStore(config, log));
    const cluster = config.storage.cluster;
    const pending = await noteUnbuiltLevels(store, cluster, log);
    const retention = await applyRetention(store, retentionFromConfig(config.storage), cluster, pending);
    for (const w of retention.warnings) log.warn(w);
  } catch (err) {
    fail(err);
  }
  try {
    return { store, collector: buildCollector({ store, config, logger: log }) };
  } catch (err) {
    fail(err);
  }
}

/**
 * On SIGTERM or SIGINT: close the listener first (in-flight requests finish, their rows flush, new
 * ones are refused), stop `parts` in order (read at shutdown, so parts added later are included),
 * flush the writer, close the store, exit.
 */
export function stopOnSignals(opts: { log: Logger; message: string; collector: Collector; store: Store; parts: readonly Stoppable[] }): void {
  const { log, collector, store } = opts;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, opts.message);
    try {
      await collector.app.close();
      for (const p of opts.parts) await p.stop();
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
}
