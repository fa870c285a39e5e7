import { isMwError } from '../core/errors.ts';

/** What to do about a failed insert. */
export type InsertErrorClass = 'retry' | 'split' | 'fail';

// ClickHouse error codes where the same insert may succeed later (load, limits, connectivity).
const RETRYABLE = new Set([3, 159, 164, 202, 209, 210, 241, 242, 252, 319, 394, 425, 999, 1000]);
// Codes that mean some row in the batch is bad: split the batch to isolate it.
// Parse and range errors of one value found by fuzzing the ingest routes, e.g. 25 (a lone UTF-16
// surrogate, which JSON.stringify writes as \ud800), 407 (a timestamp beyond DateTime64) and 36
// (BAD_ARGUMENTS: a rollup view's function refusing a value such as a latency of 1.8e308). Left as
// 'fail', one such row would fail every batch it shares with other senders' rows.
const BAD_DATA = new Set([6, 25, 26, 27, 32, 33, 36, 38, 41, 53, 69, 70, 72, 117, 128, 130, 131, 190, 321, 346, 349, 366, 376, 403, 407, 441, 467, 628, 632, 675, 676, 691]);

/** Classifies an insert error: retry the same batch, split it to find a bad row, or give up. */
export function classifyInsertError(err: unknown): InsertErrorClass {
  if (isMwError(err, 'MW_ERR_CLICKHOUSE_UNAVAILABLE')) return 'retry';
  // chDB errors carry the ClickHouse code in `clickhouseCode`; server errors in `code`.
  const e = err as { code?: unknown; clickhouseCode?: unknown };
  const code = Number(e?.clickhouseCode ?? e?.code);
  if (!Number.isFinite(code)) return 'retry'; // network and client errors carry no ClickHouse code
  if (RETRYABLE.has(code)) return 'retry';
  if (BAD_DATA.has(code)) return 'split';
  return 'fail';
}
