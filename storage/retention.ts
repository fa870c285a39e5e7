import type { Store } from './client.ts';

/** Raw tables whose TTL follows `storage.retentionDays`, and the column it is computed from. */
export const RETAINED_TABLES = ['predictions', 'ground_truth', 'logs', 'spans', 'metric_points', 'metric_histograms', 'gpu_samples', 'dead_letters'];

/** Sets the raw tables' TTL to `days`, touching only tables whose TTL differs. Rollups keep theirs. */
export async function applyRetention(store: Store, days: number): Promise<string[]> {
  const n = Math.trunc(days);
  const rows = await store.query<{ name: string; q: string }>(
    `SELECT name, create_table_query AS q FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}`,
    { db: store.database, names: RETAINED_TABLES },
  );
  const changed: string[] = [];
  for (const r of rows) {
    if (r.q.includes(`toDateTime(ts) + toIntervalDay(${n})`) || r.q.includes(`INTERVAL ${n} DAY`)) continue;
    // materialize_ttl_after_modify=0: the new TTL applies as parts merge, not as a rewrite of all data.
    await store.command(`ALTER TABLE ${store.t(r.name)} MODIFY TTL toDateTime(ts) + INTERVAL ${n} DAY`, undefined, {
      materialize_ttl_after_modify: 0,
    } as any);
    changed.push(r.name);
  }
  return changed;
}
