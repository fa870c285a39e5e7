import fs from 'node:fs';
import { MwError } from '../core/errors.ts';
import type { Store } from './client.ts';

/**
 * Storage fault switch, for tests only. It is inert unless two things happen in the same process:
 * the environment has MODELWATCH_TEST_FAULTS=1 and test code calls armTestFaults(). No production
 * code path calls armTestFaults (only test/ does), so in `modelwatch serve` withTestFaults() returns
 * the store untouched and no fault can be switched on, whatever the environment says.
 *
 * Faults act on writes and ping only (reads keep working, so a test can look at what landed):
 * - 'down': inserts fail with MW_ERR_CLICKHOUSE_UNAVAILABLE before reaching ClickHouse, ping is false;
 * - 'ack-lost': inserts reach ClickHouse, then fail as if the answer was lost (an unseen success).
 */
export type StorageFault = 'down' | 'ack-lost';

let armed = false;
let current: StorageFault | null = null;

/** Allows faults in this process; throws unless `env.MODELWATCH_TEST_FAULTS` is "1". Tests only. */
export function armTestFaults(env: Record<string, string | undefined>): void {
  if (env.MODELWATCH_TEST_FAULTS !== '1') throw new Error('storage faults are for tests only (set MODELWATCH_TEST_FAULTS=1)');
  armed = true;
}

/** Switches a fault on (or off with null). Throws when faults were not armed. */
export function setStorageFault(fault: StorageFault | null): void {
  if (!armed) throw new Error('storage faults are not armed (armTestFaults)');
  current = fault;
}

/** The fault now on, if any. */
export function storageFault(): StorageFault | null {
  return armed ? current : null;
}

/** The store with faults applied to insert, insertRaw, insertNative and ping; the same store when faults are not armed. */
export function withTestFaults(store: Store): Store {
  if (!armed) return store;
  const unavailable = () => new MwError('MW_ERR_CLICKHOUSE_UNAVAILABLE', 'test fault: ClickHouse made unreachable');
  const guard = async (insert: () => Promise<void>) => {
    const f = storageFault();
    if (f === 'down') throw unavailable();
    await insert();
    if (f === 'ack-lost') throw unavailable();
  };
  return {
    ...store,
    insert: (table, rows, o) => guard(() => store.insert(table, rows, o)),
    insertRaw: (table, body, o) => guard(() => store.insertRaw(table, body, o)),
    insertNative: (table, columns, body, o) => guard(() => store.insertNative(table, columns, body, o)),
    ping: async () => (storageFault() === 'down' ? false : store.ping()),
  };
}

/**
 * For child-process tests: polls `file` and sets the fault it names ("down", "ack-lost"; empty or
 * missing = none). Returns a function that stops watching. Needs armTestFaults() first.
 */
export function watchFaultFile(file: string, intervalMs = 25): () => void {
  if (!armed) throw new Error('storage faults are not armed (armTestFaults)');
  const read = () => {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8').trim();
    } catch {
      // no file: no fault
    }
    current = text === 'down' || text === 'ack-lost' ? text : null;
  };
  read();
  const timer = setInterval(read, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
