import type { Store } from './client.ts';
import type { Config } from '../core/config/schema.ts';
import { localTable } from './cluster.ts';
import { ident } from './identifiers.ts';
import { LEVEL_TABLE, LEVELS, ROLLUP_SIGNALS, levelTable, type Level, type RollupSignal } from './levels.ts';
import { pendingBackfill, type PendingPartition } from './backfill.ts';

/** Raw tables whose TTL follows `storage.retentionDays`, and the column it is computed from. */
export const RETAINED_TABLES = ['predictions', 'ground_truth', 'logs', 'spans', 'metric_points', 'metric_histograms', 'gpu_samples', 'dead_letters'];

/** Days kept of raw rows and of each rollup level. */
export interface RetentionDays {
  raw: number;
  minute: number;
  hour: number;
  day: number;
}

/** The retention of each kind of table, from the `storage` section of the config. */
export function retentionFromConfig(storage: Pick<Config['storage'], 'retentionDays' | 'minuteRetentionDays' | 'hourRetentionDays' | 'dayRetentionDays'>): RetentionDays {
  return { raw: storage.retentionDays, minute: storage.minuteRetentionDays, hour: storage.hourRetentionDays, day: storage.dayRetentionDays };
}

/** The TTL expression of a table: `toDateTime(ts)` for raw tables, the time column for a rollup level. */
function ttlColumn(table: string): string {
  for (const level of LEVELS) if (table.endsWith(`_${LEVEL_TABLE[level].suffix}`)) return LEVEL_TABLE[level].column;
  return 'toDateTime(ts)';
}

/**
 * The ALTER that sets one table's TTL (a raw table or a rollup level). On a cluster the TTL lives
 * on the `_local` table (a Distributed table has no TTL) and the ALTER runs ON CLUSTER.
 */
export function retentionStatement(database: string, table: string, days: number, cluster = ''): string {
  const target = `${ident(database)}.${ident(localTable(table, cluster))}`;
  const on = cluster ? ` ON CLUSTER ${ident(cluster)}` : '';
  return `ALTER TABLE ${target}${on} MODIFY TTL ${ttlColumn(table)} + INTERVAL ${Math.trunc(days)} DAY`;
}

/** Days of the TTL in a table's CREATE statement as system.tables shows it, or undefined when it has none. */
export function ttlDays(createQuery: string): number | undefined {
  const m = /\bTTL\s+.+?\s+\+\s+(?:toIntervalDay\((\d+)\)|INTERVAL\s+(\d+)\s+DAY)/.exec(createQuery);
  return m ? Number(m[1] ?? m[2]) : undefined;
}

/** What applyRetention did. */
export interface RetentionResult {
  /** Tables whose TTL was changed. */
  changed: string[];
  /** Changes held back, each with the reason (a level TTL not lowered while a backfill from it is pending). */
  warnings: string[];
}

/**
 * Sets the TTL of the raw tables and of every rollup level table to the configured days, touching
 * only tables whose TTL differs. A level's TTL is not lowered while the coarser level built from
 * it still has a backfill pending (storage/backfill.ts): lowering the minute TTL from 400 to 30
 * days right after the upgrade would drop minute history before it was rolled up into hours.
 * Such a table keeps its TTL and a warning says to run `modelwatch migrate`; the next start after
 * that applies it. `pending` may be passed when the caller has already read it.
 */
export async function applyRetention(store: Store, days: RetentionDays, cluster = '', pending?: readonly PendingPartition[]): Promise<RetentionResult> {
  // Each table with its days and, for a rollup level table, its level and signal.
  const wanted = new Map<string, { n: number; level?: Level; signal?: RollupSignal }>(RETAINED_TABLES.map((t) => [t, { n: Math.trunc(days.raw) }]));
  for (const level of LEVELS) for (const signal of ROLLUP_SIGNALS) wanted.set(levelTable(signal, level), { n: Math.trunc(days[level]), level, signal });
  const byLocal = new Map([...wanted.keys()].map((t) => [localTable(t, cluster), t]));
  const rows = await store.query<{ name: string; q: string }>(
    `SELECT name, create_table_query AS q FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}`,
    { db: store.database, names: [...byLocal.keys()] },
  );
  const result: RetentionResult = { changed: [], warnings: [] };
  let waiting: readonly PendingPartition[] | undefined = pending;
  const held = new Map<Level, { from: number; to: number; tables: string[] }>();
  for (const r of rows.sort((a, b) => a.name.localeCompare(b.name))) {
    const table = byLocal.get(r.name)!;
    const { n, level, signal } = wanted.get(table)!;
    const current = ttlDays(r.q);
    if (current === n) continue;
    if (level && level !== 'day' && current !== undefined && n < current) {
      waiting ??= await pendingBackfill(store, { cluster });
      const coarser = LEVELS[LEVELS.indexOf(level) + 1];
      if (waiting.some((p) => p.level === coarser && p.signal === signal)) {
        const h = held.get(level) ?? { from: current, to: n, tables: [] };
        h.tables.push(table);
        held.set(level, h);
        continue;
      }
    }
    // materialize_ttl_after_modify=0: the new TTL applies as parts merge, not as a rewrite of all data.
    await store.command(retentionStatement(store.database, table, n, cluster), undefined, { materialize_ttl_after_modify: 0 } as any);
    result.changed.push(table);
  }
  for (const [level, h] of held) {
    result.warnings.push(
      `${level} rollups keep their TTL of ${h.from} days, not ${h.to} (${h.tables.join(', ')}): data stored before the upgrade is not yet built into the ` +
        `${LEVELS[LEVELS.indexOf(level) + 1]} level, and a shorter TTL would drop it first. Run \`modelwatch migrate\`, then start again.`,
    );
  }
  return result;
}
