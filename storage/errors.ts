import { isMwError } from '../core/errors.ts';

/** What to do about a failed insert. */
export type InsertErrorClass = 'retry' | 'split' | 'fail';

// ClickHouse error codes where the same insert may succeed later (load, limits, connectivity).
const RETRYABLE = new Set([3, 159, 164, 202, 209, 210, 241, 242, 252, 319, 394, 425, 999, 1000]);
// Codes that mean some row in the batch is bad: split the batch to isolate it.
const BAD_DATA = new Set([6, 26, 27, 32, 38, 41, 53, 69, 70, 72, 117, 130, 131, 321, 349, 366, 403, 628]);

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
