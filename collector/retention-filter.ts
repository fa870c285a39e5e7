/**
 * Rows older than the retention period would be accepted by ClickHouse and then vanish with their
 * part's TTL: the sender would be told "stored" for data that is not. They are rejected here instead,
 * with a message the sender can act on.
 */

/** A row's time in milliseconds: numbers are milliseconds, strings are (fractional) Unix seconds. */
export function rowTimeMs(ts: unknown): number {
  if (typeof ts === 'number') return ts;
  if (typeof ts === 'string') return Number(ts) * 1000;
  return NaN;
}

/** Splits rows into those inside the retention window and a count of those older than `minTsMs`. */
export function dropExpired<T extends object>(rows: readonly T[], minTsMs: number): { kept: readonly T[]; expired: number; oldestMs: number } {
  let expired = 0;
  let oldestMs = Infinity;
  for (const r of rows) {
    const ms = rowTimeMs((r as { ts?: unknown }).ts);
    if (ms < minTsMs) {
      expired++;
      if (ms < oldestMs) oldestMs = ms;
    }
  }
  if (expired === 0) return { kept: rows, expired: 0, oldestMs };
  return { kept: rows.filter((r) => !(rowTimeMs((r as { ts?: unknown }).ts) < minTsMs)), expired, oldestMs };
}

/** The partial_success text for rows refused as too old. */
export function expiredMessage(table: string, expired: number, oldestMs: number, retentionDays: number): string {
  const when = Number.isFinite(oldestMs) ? new Date(oldestMs).toISOString() : 'unknown';
  return `${expired} ${table} record(s) older than the retention period (${retentionDays} days; oldest at ${when}) not stored`;
}
