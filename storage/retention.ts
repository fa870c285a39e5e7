import type { Store } from './client.ts';
import { localTable } from './cluster.ts';
import { ident } from './identifiers.ts';

/** Raw tables whose TTL follows `storage.retentionDays`, and the column it is computed from. */
export const RETAINED_TABLES = ['predictions', 'ground_truth', 'logs', 'spans', 'metric_points', 'metric_histograms', 'gpu_samples', 'dead_letters'];

/**
 * The ALTER that sets one raw table's TTL. On a cluster the TTL lives on the `_local` table (a
 * Distributed table has no TTL) and the ALTER runs ON CLUSTER.
 */
export function retentionStatement(database: string, table: string, days: number, cluster = ''): string {
  const target = `${ident(database)}.${ident(localTable(table, cluster))}`;
  const on = cluster ? ` ON CLUSTER ${ident(cluster)}` : '';
  return `ALTER TABLE ${target}${on} MODIFY TTL toDateTime(ts) + INTERVAL ${Math.trunc(days)} DAY`;
}

/** Sets the raw tables' TTL to `days`, touching only tables whose TTL differs. Rollups keep theirs. */
export async function applyRetention(store: Store, days: number, cluster = ''): Promise<string[]> {
  const n = Math.trunc(days);
  const byLocal = new Map(RETAINED_TABLES.map((t) => [localTable(t, cluster), t]));
  const rows = await store.query<{ name: string; q: string }>(
    `SELECT name, create_table_query AS q FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}`,
    { db: store.database, names: [...byLocal.keys()] },
  );
  const changed: string[] = [];
  for (const r of rows) {
    if (r.q.includes(`toDateTime(ts) + toIntervalDay(${n})`) || r.q.includes(`INTERVAL ${n} DAY`)) continue;
    const table = byLocal.get(r.name)!;
    // materialize_ttl_after_modify=0: the new TTL applies as parts merge, not as a rewrite of all data.
    await store.command(retentionStatement(store.database, table, n, cluster), undefined, { materialize_ttl_after_modify: 0 } as any);
    changed.push(table);
  }
  return changed;
}
