/**
 * Rollup reads for panels. Every rolled-up signal is kept at minute, hour and day level, and a read
 * over a range takes each bucket from the coarsest level that holds it whole (storage/levels.ts).
 * A panel's range is only known when the plugin runs its query, so the choice is made per row by
 * `levelRowPredicate`, the SQL form of the same rule: the three level tables are unioned, each
 * keeping the rows it answers for, with the time column named `period` and its bucket length in
 * seconds as `bucket_s`.
 *
 * Time series may not use a level coarser than their points: `SERIES_COARSEST` allows the
 * coarsest level whose bucket length divides the panel interval (the plugin's `$__interval_s`, the
 * same interval `$__timeInterval` buckets by, aligned to multiples of it), so no stored bucket
 * straddles two points. Whole-range stats and tables allow every level.
 */
import { LEVEL_MS, LEVELS, levelRowPredicate, levelTable, periodColumns, type RollupSignal } from '../../storage/levels.ts';
import { tbl } from './scope.ts';

/** The coarsest bucket length (s) dividing the panel interval: 86400, 3600 or 60. */
export const SERIES_COARSEST = 'multiIf($__interval_s % 86400 = 0, 86400, $__interval_s % 3600 = 0, 3600, 60)';

/** Options of `levelRows`. */
export interface LevelRowsOptions {
  /** Condition on the level tables' own columns, applied in every branch. */
  where?: string;
  /** Window start, a DateTime expression (default the panel's `$__fromTime`). */
  from?: string;
  /** Window end, exclusive (default the panel's `$__toTime`). */
  to?: string;
  /** Coarsest allowed bucket length in seconds, as SQL (`SERIES_COARSEST` for time series); every level when absent. */
  coarsest?: string;
}

/**
 * A parenthesized UNION ALL of `signal`'s level tables over a window, each bucket once, from the
 * coarsest level that holds it whole: the tables' columns, `period` (bucket start) and `bucket_s`.
 */
export function levelRows(signal: RollupSignal, o: LevelRowsOptions = {}): string {
  const from = o.from ?? '$__fromTime';
  const to = o.to ?? '$__toTime';
  const branches = LEVELS.map((level) => {
    const where = [levelRowPredicate(level, from, to, o.coarsest), ...(o.where ? [o.where] : [])];
    return [
      `SELECT ${periodColumns(level)}, ${LEVEL_MS[level] / 1000} AS bucket_s`,
      `FROM ${tbl(levelTable(signal, level))}`,
      `WHERE ${where.join('\n  AND ')}`,
    ].join('\n');
  });
  return `(\n${branches.map((b) => b.replace(/^/gm, '  ')).join('\n  UNION ALL\n')}\n)`;
}
