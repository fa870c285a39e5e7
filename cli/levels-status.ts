/**
 * What a process that reads rollups does at start when stored data is not yet built into the hour
 * and day levels (an upgraded data directory before `modelwatch migrate` ran its backfill): say so,
 * and have its reads take minute states for the time before the levels existed, which is slower
 * but counts every row.
 */
import type { Logger } from 'pino';
import type { Store } from '../storage/client.ts';
import { levelsAppliedAt, pendingBackfill, type PendingPartition } from '../storage/backfill.ts';
import { setLevelsIncompleteBefore } from '../storage/levels.ts';

/** Marks `store` when hour/day partitions are still to be built and logs a warning; returns those partitions. */
export async function noteUnbuiltLevels(store: Store, cluster: string, log: Logger): Promise<PendingPartition[]> {
  const pending = await pendingBackfill(store, { cluster });
  if (pending.length === 0) return pending;
  // Until a restart after the build, reads take minute states for the time before the levels existed.
  setLevelsIncompleteBefore(store, +(await levelsAppliedAt(store))!);
  const tables = [...new Set(pending.map((p) => p.table))];
  log.warn(
    { partitions: pending.length, tables },
    `hour and day rollups lack the data stored before they existed (${pending.length} partition(s) to build): ` +
      'reads of that time use minute states (slower) until `modelwatch migrate` has built them and this process restarts' +
      (store.mode === 'embedded' ? ' (stop this process first: the embedded engine binds the data directory)' : ''),
  );
  return pending;
}
