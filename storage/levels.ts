/**
 * Rollup resolution: every rolled-up signal is kept at minute, hour and day level
 * (migrations 0002 and 0012), and a read over [from, to) takes each period from the coarsest
 * level that holds it whole. One rule decides it, in two forms that are tested to agree:
 *
 * - `planLevels`: the window as ranges per level (whole days, whole hours at the edges, minutes
 *   for the rest), for readers that know the window when they build their SQL;
 * - `levelRowPredicate`: the same rule as a condition on one stored row, for SQL whose window is
 *   only known when it runs (Grafana panels, where the plugin fills in the time range).
 *
 * A bucket is read at level L when it lies whole inside the window and the bucket of the next
 * coarser level containing it does not (or that level is not allowed). Windows are first rounded
 * up to whole minutes at both ends, which is what "minute >= from AND minute < to" always meant.
 */
import type { Params } from './client.ts';
import type { Store } from './client.ts';
import { chDateTime } from './datetime.ts';

/** A rollup resolution, finest first in LEVELS. */
export type Level = 'minute' | 'hour' | 'day';
/** Levels from finest to coarsest. */
export const LEVELS: readonly Level[] = ['minute', 'hour', 'day'];
/** Length of one bucket of each level, in milliseconds. */
export const LEVEL_MS: Readonly<Record<Level, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** Suffix of each level's table, and the name of its time column. */
export const LEVEL_TABLE: Readonly<Record<Level, { suffix: string; column: string }>> = {
  minute: { suffix: '1m', column: 'minute' },
  hour: { suffix: '1h', column: 'hour' },
  day: { suffix: '1d', column: 'day' },
};

/** The rolled-up signals; each has a `<name>_1m`, `<name>_1h` and `<name>_1d` table. */
export type RollupSignal = 'latency' | 'feature_num' | 'feature_cat' | 'feature_null' | 'gpu';
/** Every rolled-up signal. */
export const ROLLUP_SIGNALS: readonly RollupSignal[] = ['latency', 'feature_num', 'feature_cat', 'feature_null', 'gpu'];

/** Table name of a signal at a level. */
export function levelTable(signal: RollupSignal, level: Level): string {
  return `${signal}_${LEVEL_TABLE[level].suffix}`;
}

/** One stretch of a window read at one level: [from, to) in epoch ms, aligned to the level's buckets. */
export interface LevelRange {
  level: Level;
  from: number;
  to: number;
}

const ceilTo = (t: number, step: number) => Math.ceil(t / step) * step;
const floorTo = (t: number, step: number) => Math.floor(t / step) * step;

/**
 * Splits [from, to) into ranges read at the coarsest level that holds each part whole, no level
 * coarser than `coarsest` (a series with hourly points may not use day states). Ranges are in
 * time order and cover the minute-rounded window exactly once.
 */
export function planLevels(from: Date | number, to: Date | number, coarsest: Level = 'day'): LevelRange[] {
  const f = ceilTo(+from, LEVEL_MS.minute);
  const t = ceilTo(+to, LEVEL_MS.minute);
  const split = (i: number, a: number, b: number): LevelRange[] => {
    if (a >= b) return [];
    const level = LEVELS[i];
    if (i === 0) return [{ level, from: a, to: b }];
    const lo = ceilTo(a, LEVEL_MS[level]);
    const hi = floorTo(b, LEVEL_MS[level]);
    if (lo >= hi) return split(i - 1, a, b);
    return [...split(i - 1, a, lo), { level, from: lo, to: hi }, ...split(i - 1, hi, b)];
  };
  return split(LEVELS.indexOf(coarsest), f, t);
}

/** True when the bucket of `level` starting at `start` (epoch ms) is read at that level for [from, to): the rule itself, in plain form. */
export function bucketIsRead(level: Level, start: number, from: number, to: number, coarsest: Level = 'day'): boolean {
  const f = ceilTo(from, LEVEL_MS.minute);
  const t = ceilTo(to, LEVEL_MS.minute);
  const whole = (l: Level, s: number) => s >= f && s + LEVEL_MS[l] <= t;
  const i = LEVELS.indexOf(level);
  if (i > LEVELS.indexOf(coarsest) || !whole(level, start)) return false;
  if (i + 1 > LEVELS.indexOf(coarsest)) return true;
  const up = LEVELS[i + 1];
  return !whole(up, floorTo(start, LEVEL_MS[up]));
}

const TRUNC_SQL: Readonly<Record<Level, string>> = { minute: 'toStartOfMinute', hour: 'toStartOfHour', day: 'toStartOfDay' };

/**
 * The rule of `bucketIsRead` as a SQL condition on a row of `level`'s table. `fromSql` and `toSql`
 * are DateTime expressions (Grafana: `$__fromTime`, `$__toTime`); `coarsestSql`, when given, is
 * an expression for the coarsest allowed bucket length in seconds (60, 3600 or 86400).
 */
export function levelRowPredicate(level: Level, fromSql: string, toSql: string, coarsestSql?: string): string {
  const f = `toDateTime(intDiv(toUInt32(${fromSql}) + 59, 60) * 60, 'UTC')`;
  const t = `toDateTime(intDiv(toUInt32(${toSql}) + 59, 60) * 60, 'UTC')`;
  const secs = (l: Level) => LEVEL_MS[l] / 1000;
  const whole = (l: Level, start: string) => `(${start} >= ${f} AND ${start} + ${secs(l)} <= ${t})`;
  const col = LEVEL_TABLE[level].column;
  const i = LEVELS.indexOf(level);
  const allowed = (l: Level) => (coarsestSql ? `(${coarsestSql}) >= ${secs(l)}` : '1');
  const parts = [allowed(level), whole(level, col)];
  if (i + 1 < LEVELS.length) {
    const up = LEVELS[i + 1];
    parts.push(`NOT (${allowed(up)} AND ${whole(up, `${TRUNC_SQL[up]}(${col})`)})`);
  }
  return parts.join(' AND ');
}

// Stores whose hour and day levels do not yet hold the data stored before they existed (backfill
// pending): the instant migration 0012 created them. Kept per store object, set at start-up.
const incompleteBefore = new WeakMap<object, number>();

/**
 * Records that `store`'s hour and day levels lack the data stored before `ms` (the backfill has not
 * run yet), or, with undefined, that they are complete. Until then windows read minute states up
 * to the first whole day after `ms`: a coarse state that misses old rows would undercount.
 */
export function setLevelsIncompleteBefore(store: object, ms: number | undefined): void {
  if (ms === undefined) incompleteBefore.delete(store);
  else incompleteBefore.set(store, ms);
}

/** Like planLevels, but only minute states before `completeFrom` (rounded up to a whole day). */
export function planLevelsFrom(from: number, to: number, coarsest: Level, completeFrom: number | undefined): LevelRange[] {
  if (completeFrom === undefined || coarsest === 'minute') return planLevels(from, to, coarsest);
  const cut = Math.min(Math.max(ceilTo(completeFrom, LEVEL_MS.day), ceilTo(from, LEVEL_MS.minute)), ceilTo(to, LEVEL_MS.minute));
  const before = planLevels(from, cut, 'minute');
  const after = planLevels(cut, to, coarsest);
  // Two minute ranges meeting at the cut are one range.
  if (before.length && after.length && after[0].level === 'minute') return [{ level: 'minute', from: before[0].from, to: after[0].to }, ...after.slice(1)];
  return [...before, ...after];
}

/** The select list of one level table in a union over the levels: its columns, the time column renamed `period`. */
export function periodColumns(level: Level): string {
  const col = LEVEL_TABLE[level].column;
  return `* EXCEPT (${col}), ${col} AS period`;
}

/** A table expression and its bound parameters. */
export interface RollupSource {
  /** `(SELECT ... UNION ALL ...)`: the level tables' rows for the window, time column `period`. */
  sql: string;
  params: Params;
  ranges: LevelRange[];
}

/**
 * The rows of `signal`'s rollups covering [from, to), each bucket read once from the coarsest
 * level that holds it whole: a subquery with the level tables' columns, the time column renamed
 * `period` (its bucket start). Parameters are named `<prefix>L<i>f`/`t` so that two windows can
 * share one query.
 */
export function rollupSource(store: Pick<Store, 't'>, signal: RollupSignal, window: { from: Date; to: Date }, opts: { coarsest?: Level; prefix?: string } = {}): RollupSource {
  const ranges = planLevelsFrom(+window.from, +window.to, opts.coarsest ?? 'day', incompleteBefore.get(store));
  const prefix = opts.prefix ?? '';
  const params: Params = {};
  const branch = (level: Level, where: string) => `SELECT ${periodColumns(level)} FROM ${store.t(levelTable(signal, level))} WHERE ${where}`;
  const branches = ranges.map((r, i) => {
    const col = LEVEL_TABLE[r.level].column;
    params[`${prefix}L${i}f`] = chDateTime(r.from);
    params[`${prefix}L${i}t`] = chDateTime(r.to);
    return branch(r.level, `${col} >= {${prefix}L${i}f:DateTime('UTC')} AND ${col} < {${prefix}L${i}t:DateTime('UTC')}`);
  });
  // An empty window still yields a well-typed, empty table.
  if (branches.length === 0) branches.push(branch('minute', '0'));
  return { sql: `(${branches.join(' UNION ALL ')})`, params, ranges };
}
