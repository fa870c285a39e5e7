/**
 * Two questions readers ask of the rollup levels beyond "what happened in [from, to)", which
 * storage/levels.ts answers:
 *
 * - `levelForStep`: the coarsest level a bucketed series may read, so that no stored bucket
 *   straddles two series buckets (an hourly series never reads day states);
 * - `seenEdges` / `seenFrom`: when a key was first and last seen. Each level keeps its own history
 *   (minutes 30 days, hours 400 days, days 5 years), so an edge is taken from the finest level that
 *   still holds it: the last prediction stays minute-accurate while minutes are kept, and a first
 *   prediction older than the minutes is still found, to the hour or the day.
 */
import type { Params, Store } from './client.ts';
import { chDateTime } from './datetime.ts';
import { LEVEL_MS, LEVEL_TABLE, LEVELS, levelTable, type Level, type RollupSignal } from './levels.ts';

/** The coarsest level whose bucket length divides `stepSeconds` (series buckets are aligned to multiples of the step). */
export function levelForStep(stepSeconds: number): Level {
  let out: Level = 'minute';
  for (const level of LEVELS) if ((stepSeconds * 1000) % LEVEL_MS[level] === 0) out = level;
  return out;
}

/** The first and last bucket start (epoch ms) of one key at one level. */
export interface LevelEdge {
  level: Level;
  first: number;
  last: number;
}

/** When a key was seen: `first` the start of its earliest bucket, `last` the end (exclusive) of its latest one, in epoch ms. */
export interface Seen {
  first: number;
  last: number;
}

/**
 * First and last seen from the edges of one key at each level. Going from day to minute, a finer
 * level refines an edge when its own edge lies in (or beyond) the coarser level's edge bucket; a
 * finer level whose history no longer reaches that bucket (expired) leaves the coarser edge. Null
 * without edges.
 */
export function seenFrom(edges: readonly LevelEdge[]): Seen | null {
  let first: { at: number; len: number } | null = null;
  let last: { end: number; len: number } | null = null;
  for (const level of [...LEVELS].reverse()) {
    const e = edges.find((x) => x.level === level);
    if (!e) continue;
    const len = LEVEL_MS[level];
    if (!first || e.first < first.at + first.len) first = { at: e.first, len };
    if (!last || e.last + len > last.end - last.len) last = { end: e.last + len, len };
  }
  return first && last ? { first: first.at, last: last.end } : null;
}

/**
 * A query for the edges of each key of `signal` at every level: rows of the `keys` columns, `level`,
 * `first` and `last` (bucket starts, epoch seconds). `where` filters rows (bound by the caller's
 * parameters, merged with the returned ones). `window` keeps the buckets that start in [from, to):
 * minutes, as readers always counted them (the minute in progress at `to` included), and hours and
 * days only when they lie whole inside it, so that a coarse bucket never reports traffic from
 * outside the window; the minutes cover the edges.
 */
export function seenEdges(
  store: Pick<Store, 't'>,
  signal: RollupSignal,
  o: { keys: readonly string[]; where?: string; window?: { from?: Date | number; to?: Date | number } },
): { sql: string; params: Params } {
  const params: Params = {};
  const keys = o.keys.join(', ');
  const branches = LEVELS.map((level) => {
    const col = LEVEL_TABLE[level].column;
    const where = o.where ? [o.where] : [];
    if (o.window?.from !== undefined) {
      params[`seen_${level}_from`] = chDateTime(o.window.from);
      where.push(`${col} >= {seen_${level}_from:DateTime('UTC')}`);
    }
    if (o.window?.to !== undefined) {
      // Minutes starting before `to`; coarser buckets ending by it.
      params[`seen_${level}_to`] = chDateTime(+o.window.to - (level === 'minute' ? 0 : LEVEL_MS[level]));
      where.push(`${col} ${level === 'minute' ? '<' : '<='} {seen_${level}_to:DateTime('UTC')}`);
    }
    return `SELECT ${keys}, '${level}' AS level, toUnixTimestamp(min(${col})) AS first, toUnixTimestamp(max(${col})) AS last
       FROM ${store.t(levelTable(signal, level))}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} GROUP BY ${keys}`;
  });
  return { sql: branches.join('\n       UNION ALL '), params };
}

/** Groups the rows of a `seenEdges` query by key (`keyOf` of a row) into first and last seen. */
export function seenByKey<R extends { level: string; first: number | string; last: number | string }>(rows: readonly R[], keyOf: (r: R) => string): Map<string, Seen> {
  const edges = new Map<string, LevelEdge[]>();
  for (const r of rows) {
    const k = keyOf(r);
    if (!edges.has(k)) edges.set(k, []);
    edges.get(k)!.push({ level: r.level as Level, first: Number(r.first) * 1000, last: Number(r.last) * 1000 });
  }
  const out = new Map<string, Seen>();
  for (const [k, e] of edges) {
    const s = seenFrom(e);
    if (s) out.set(k, s);
  }
  return out;
}
