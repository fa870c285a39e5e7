/**
 * One-off build of the hour and day rollup levels (migration 0012) for data stored before them.
 *
 * From the moment migration 0012 created its views, every insert into a minute table also feeds
 * the hour level, and every hour row the day level. Rows stored before that moment (the
 * `applied_at` of version 12) exist only at minute level, so a read that picks the hour or day
 * level for an older window would find them missing. `backfill` builds them:
 *
 * - The unit of work is one partition of a level table: a month (toYYYYMM) of an hour table, a
 *   year (toYear) of a day table. A partition is built when its source level holds data dated on
 *   or before the migration (the source's own partitions tell, from system.parts, without a scan).
 * - A partition is recomputed whole from its source into a staging table `<table>_backfill`,
 *   with the view's own SELECT (read from system.tables, so the build cannot differ from what the
 *   view writes), then swapped in with `ALTER TABLE ... REPLACE PARTITION ID`: atomic, and
 *   idempotent, since the result equals the source level whatever the views had already written.
 * - Every hour partition comes first; a day partition (a year) is built from the hour level once
 *   no hour partition of that year is left.
 * - Each finished partition is recorded in `rollup_backfill` (migration 0013): a rerun skips the
 *   ones done, and a run killed half-way redoes only the partition it was on.
 *
 * Live writers. REPLACE PARTITION drops whatever the views wrote to the partition between the
 * staging SELECT and the swap. With the embedded engine nothing else can write while `migrate`
 * holds the data directory. With a ClickHouse server the collectors may be ingesting, and the
 * partition that contains the present time receives their rows every second; it is therefore not
 * replaced but rebuilt over a closed range: the buckets before the end of the bucket in which
 * the migration ran (later ones hold only view-fed rows) are deleted and inserted again from the
 * source. That range only takes late rows, so it waits until that bucket has closed (plus a
 * minute): a run in the same hour (hour level) or day (day level) as the migration leaves the
 * partition pending, and the next run after that builds it.
 *
 * On a cluster the build works on the local tables of the node the store is connected to (its
 * shard), staged in a non-replicated copy; run `modelwatch migrate` against one replica of each
 * shard. Bookkeeping rows carry the shard.
 */
import type { Store } from './client.ts';
import { localTable } from './cluster.ts';
import { chDateTime } from './datetime.ts';
import { ident } from './identifiers.ts';
import { LEVEL_MS, LEVEL_TABLE, ROLLUP_SIGNALS, levelTable, type Level, type RollupSignal } from './levels.ts';
import { MwError } from '../core/errors.ts';

/** Version of the migration that created the hour and day levels. */
export const LEVELS_MIGRATION = 12;
/** How long after a bucket's end late rows are still waited for before its range is rebuilt. */
const CLOSE_MARGIN_MS = 60_000;

/** A level built by the backfill, and the level it is built from. */
const BUILT: readonly { level: Exclude<Level, 'minute'>; from: Level }[] = [
  { level: 'hour', from: 'minute' },
  { level: 'day', from: 'hour' },
];

/** One partition of a level table still to build. */
export interface PendingPartition {
  signal: RollupSignal;
  level: 'hour' | 'day';
  /** Level table name (`latency_1h`, ...), as the code names it. */
  table: string;
  /** Partition id: YYYYMM for hour tables, YYYY for day tables. */
  partition: string;
}

/** One partition built, reported as the run goes. */
export interface BackfillStep extends PendingPartition {
  /** 1-based position among the partitions of this run, and their number. */
  index: number;
  total: number;
  /** Rows written to the partition. */
  rows: number;
  /** `replaced`: the whole partition swapped in; `range`: the closed range of a live partition rebuilt. */
  how: 'replaced' | 'range';
}

/** Outcome of a backfill run. */
export interface BackfillResult {
  built: BackfillStep[];
  /** Partitions left for a later run: live partitions whose range has not closed yet. */
  waiting: (PendingPartition & { until: Date })[];
}

export interface BackfillOptions {
  /** Called before each partition is built (a progress display). */
  start?: (p: PendingPartition & { index: number; total: number }) => void;
  /** Called after each partition is built and recorded. */
  progress?: (step: BackfillStep) => void;
  /**
   * Whether other processes may be writing while the backfill runs: true on a ClickHouse server
   * (the default there), false embedded (the data directory is bound to this process).
   */
  liveWriters?: boolean;
  /** The present time (tests). */
  now?: Date;
}

const PARTITION_ID = /^\d{4}(\d{2}(\d{2})?)?$/;

/** Start and end (epoch ms, UTC) of a level table's partition: a month (YYYYMM) or a year (YYYY). */
export function partitionRange(level: 'hour' | 'day', id: string): { from: number; to: number } {
  if (!PARTITION_ID.test(id) || id.length !== (level === 'hour' ? 6 : 4)) throw new MwError('MW_ERR_BACKFILL_FAILED', `bad partition id ${JSON.stringify(id)} for the ${level} level`);
  const y = Number(id.slice(0, 4));
  if (level === 'day') return { from: Date.UTC(y, 0, 1), to: Date.UTC(y + 1, 0, 1) };
  const m = Number(id.slice(4, 6)) - 1;
  return { from: Date.UTC(y, m, 1), to: Date.UTC(y, m + 1, 1) };
}

/** The partition id of a level table that holds the instant `ms`. */
export function partitionOf(level: 'hour' | 'day', ms: number): string {
  const iso = new Date(ms).toISOString();
  return level === 'hour' ? iso.slice(0, 4) + iso.slice(5, 7) : iso.slice(0, 4);
}

/** The instant migration 0012 was applied (its views exist from then on), or undefined when it is not. */
export async function levelsAppliedAt(store: Store): Promise<Date | undefined> {
  const rows = await store.query<{ at: string; n: number }>(
    `SELECT toString(min(applied_at)) AS at, count() AS n FROM ${store.t('schema_migrations')} WHERE version = {v:UInt32}`,
    { v: LEVELS_MIGRATION },
  );
  if (!rows[0] || Number(rows[0].n) === 0) return undefined;
  return new Date(rows[0].at.replace(' ', 'T') + 'Z');
}

/** The bookkeeping shard of the node the store is connected to: '' on a single node. */
async function shardOf(store: Store, cluster: string): Promise<string> {
  if (!cluster) return '';
  const rows = await store.query<{ s: string }>(`SELECT getMacro('shard') AS s`);
  return rows[0]?.s ?? '';
}

/** Partition ids holding rows, per table on this node, for all of `tables` in one read of system.parts. */
async function partitionsWithRows(store: Store, tables: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await store.query<{ t: string; p: string }>(
    `SELECT DISTINCT table AS t, partition_id AS p FROM system.parts WHERE database = {db:String} AND table IN {ts:Array(String)} AND active AND rows > 0`,
    { db: store.database, ts: tables },
  );
  const out = new Map<string, string[]>(tables.map((t) => [t, []]));
  for (const r of rows) out.get(r.t)!.push(r.p);
  return out;
}

interface Plan {
  at: Date;
  shard: string;
  pending: PendingPartition[];
}

async function plan(store: Store, cluster: string): Promise<Plan | undefined> {
  const at = await levelsAppliedAt(store);
  if (!at) return undefined;
  const shard = await shardOf(store, cluster);
  const done = new Set(
    (
      await store.query<{ t: string; p: string }>(`SELECT level_table AS t, partition AS p FROM ${store.t('rollup_backfill')} FINAL WHERE shard = {s:String}`, { s: shard })
    ).map((r) => `${r.t}/${r.p}`),
  );
  // Source partitions dated on or before the migration: minute tables by day (YYYYMMDD), hour tables by month (YYYYMM).
  const iso = at.toISOString();
  const lastDay = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
  const pending: PendingPartition[] = [];
  const local = (signal: RollupSignal, level: Level) => localTable(levelTable(signal, level), cluster);
  const parts = await partitionsWithRows(store, ROLLUP_SIGNALS.flatMap((s) => [local(s, 'minute'), local(s, 'hour')]));
  for (const signal of ROLLUP_SIGNALS) {
    const minute = parts.get(local(signal, 'minute'))!.filter((p) => p <= lastDay);
    const hour = parts.get(local(signal, 'hour'))!.filter((p) => p <= lastDay.slice(0, 6));
    const months = [...new Set(minute.map((p) => p.slice(0, 6)))].sort();
    // A year of the day level is built from hour partitions that exist now or will once the months are built.
    const years = [...new Set([...months, ...hour].map((p) => p.slice(0, 4)))].sort();
    for (const [level, ids] of [['hour', months], ['day', years]] as const) {
      const table = levelTable(signal, level);
      for (const partition of ids) if (!done.has(`${table}/${partition}`)) pending.push({ signal, level, table, partition });
    }
  }
  // Hour partitions first, then day partitions; within a level, by signal then time.
  pending.sort((a, b) => (a.level === b.level ? 0 : a.level === 'hour' ? -1 : 1));
  return { at, shard, pending };
}

/**
 * The partitions of the hour and day levels still to build from data stored before migration
 * 0012, on this node. Empty when that migration is not applied (no levels yet) or all is built.
 */
export async function pendingBackfill(store: Store, opts: { cluster?: string } = {}): Promise<PendingPartition[]> {
  return (await plan(store, opts.cluster ?? ''))?.pending ?? [];
}

interface TableShape {
  columns: string[];
  /** The view's SELECT that feeds this table from the level below. */
  select: string;
  engine: string;
}

/** Columns, feeding SELECT and engine clause of a level table, read from the server. */
async function shapeOf(store: Store, table: string, source: string, cluster: string): Promise<TableShape> {
  const local = localTable(table, cluster);
  const cols = await store.query<{ name: string }>(
    `SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position`,
    { db: store.database, t: local },
  );
  const meta = await store.query<{ name: string; as_select: string; engine_full: string }>(
    `SELECT name, as_select, engine_full FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}`,
    { db: store.database, names: [local, `${table}_mv`] },
  );
  const view = meta.find((m) => m.name === `${table}_mv`);
  const target = meta.find((m) => m.name === local);
  const from = ` FROM ${store.database}.${localTable(source, cluster)} `;
  if (!view || !target || cols.length === 0 || view.as_select.split(from).length !== 2) {
    throw new MwError('MW_ERR_BACKFILL_FAILED', `${table}: its table or view (${table}_mv reading ${source}) is missing or not as migration 0012 creates it`);
  }
  // A staging copy must not be a replica of the target: on a cluster the engine loses Replicated and its path.
  const engine = target.engine_full.replace(/^Replicated(\w*MergeTree)\('[^']*',\s*'[^']*'(?:,\s*)?/, '$1(');
  return { columns: cols.map((c) => ident(c.name)), select: view.as_select, engine };
}

/** The view's SELECT over the source rows whose time lies in [from, to). */
function feedingSelect(store: Store, shape: TableShape, source: string, sourceLevel: Level, cluster: string): string {
  const src = `${store.database}.${localTable(source, cluster)}`;
  const col = LEVEL_TABLE[sourceLevel].column;
  const filtered = ` FROM (SELECT * FROM ${src} WHERE ${col} >= {from:DateTime('UTC')} AND ${col} < {to:DateTime('UTC')}) `;
  const list = shape.columns.join(', ');
  return `SELECT ${list} FROM (${shape.select.replace(` FROM ${src} `, filtered)})`;
}

// Inserts of rebuilt rows must never be taken for a retry of an earlier insert (the level tables
// keep a deduplication window, and a rerun writes the same rows again on purpose).
const INSERT_SETTINGS = { insert_deduplicate: 0, insert_deduplication_token: '' } as const;

/**
 * Builds the hour and day levels for data stored before migration 0012 (see the file comment).
 * Idempotent; a rerun after it finished does nothing.
 */
export async function backfill(store: Store, opts: BackfillOptions & { cluster?: string } = {}): Promise<BackfillResult> {
  const cluster = opts.cluster ?? '';
  const p = await plan(store, cluster);
  const result: BackfillResult = { built: [], waiting: [] };
  if (!p || p.pending.length === 0) return result;
  const live = opts.liveWriters ?? store.mode === 'server';
  const now = +(opts.now ?? new Date());
  const blockedYears = new Set<string>();
  for (const [i, part] of p.pending.entries()) {
    const { signal, level, table, partition } = part;
    if (level === 'day' && blockedYears.has(`${signal}/${partition}`)) {
      result.waiting.push({ ...part, until: result.waiting.find((w) => w.signal === signal && w.partition.startsWith(partition))!.until });
      continue;
    }
    const range = partitionRange(level, partition);
    let how: BackfillStep['how'] = 'replaced';
    let to = range.to;
    if (live && now >= range.from && now < range.to) {
      // The partition is being written: rebuild only the buckets up to the end of the one in which the migration ran.
      to = Math.floor(+p.at / LEVEL_MS[level]) * LEVEL_MS[level] + LEVEL_MS[level];
      how = 'range';
      if (now < to + CLOSE_MARGIN_MS) {
        result.waiting.push({ ...part, until: new Date(to + CLOSE_MARGIN_MS) });
        if (level === 'hour') blockedYears.add(`${signal}/${partition.slice(0, 4)}`);
        continue;
      }
    }
    opts.start?.({ ...part, index: i + 1, total: p.pending.length });
    let rows: number;
    try {
      rows = how === 'replaced' ? await replacePartition(store, part, range, cluster) : await rebuildRange(store, part, range.from, to, cluster);
      await store.insert('rollup_backfill', [{ level_table: table, partition, shard: p.shard, rows }]);
    } catch (err) {
      if (err instanceof MwError) throw err;
      throw new MwError('MW_ERR_BACKFILL_FAILED', `${table} partition ${partition}: ${(err as Error).message}`, { table, partition }, { cause: err });
    }
    const step: BackfillStep = { ...part, index: i + 1, total: p.pending.length, rows, how };
    result.built.push(step);
    opts.progress?.(step);
  }
  return result;
}

function sourceOf(part: PendingPartition): { source: string; sourceLevel: Level } {
  const sourceLevel = BUILT.find((b) => b.level === part.level)!.from;
  return { source: levelTable(part.signal, sourceLevel), sourceLevel };
}

/** Recomputes a whole partition into `<table>_backfill` and swaps it in; returns its row count. */
async function replacePartition(store: Store, part: PendingPartition, range: { from: number; to: number }, cluster: string): Promise<number> {
  const { source, sourceLevel } = sourceOf(part);
  const shape = await shapeOf(store, part.table, source, cluster);
  const target = `${store.database}.${ident(localTable(part.table, cluster))}`;
  const staging = `${store.database}.${ident(`${localTable(part.table, cluster)}_backfill`)}`;
  const id = partitionOf(part.level, range.from);
  // A staging table left by a run that was killed may hold part of a build: start from empty.
  await store.command(`DROP TABLE IF EXISTS ${staging} SYNC`);
  await store.command(`CREATE TABLE ${staging} AS ${target} ENGINE = ${shape.engine}`);
  try {
    await store.command(
      `INSERT INTO ${staging} (${shape.columns.join(', ')}) ${feedingSelect(store, shape, source, sourceLevel, cluster)}`,
      { from: chDateTime(range.from), to: chDateTime(range.to) },
      INSERT_SETTINGS,
    );
    const [{ n }] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${staging}`);
    // An empty build (the source rows are past the level's TTL) empties the partition: REPLACE refuses an empty source.
    await store.command(Number(n) > 0 ? `ALTER TABLE ${target} REPLACE PARTITION ID '${id}' FROM ${staging}` : `ALTER TABLE ${target} DROP PARTITION ID '${id}'`);
    return Number(n);
  } finally {
    await store.command(`DROP TABLE IF EXISTS ${staging} SYNC`);
  }
}

/** Rebuilds [from, to) of a live partition in place: its rows there deleted, then inserted again from the source. */
async function rebuildRange(store: Store, part: PendingPartition, from: number, to: number, cluster: string): Promise<number> {
  const { source, sourceLevel } = sourceOf(part);
  const shape = await shapeOf(store, part.table, source, cluster);
  const target = `${store.database}.${ident(localTable(part.table, cluster))}`;
  const col = LEVEL_TABLE[part.level].column;
  const params = { from: chDateTime(from), to: chDateTime(to) };
  // Killed between the two, a rerun deletes and inserts the range again: the pair is idempotent.
  await store.command(`DELETE FROM ${target} WHERE ${col} >= {from:DateTime('UTC')} AND ${col} < {to:DateTime('UTC')}`, params);
  await store.command(`INSERT INTO ${target} (${shape.columns.join(', ')}) ${feedingSelect(store, shape, source, sourceLevel, cluster)}`, params, INSERT_SETTINGS);
  const [{ n }] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${target} WHERE ${col} >= {from:DateTime('UTC')} AND ${col} < {to:DateTime('UTC')}`, params);
  return Number(n);
}
