import { MwError } from '../core/errors.ts';
import { toPayload, type Payload } from '../storage/payload.ts';
import type { ModelScope } from './auth/scope.ts';
import { applyWriteScope } from './auth/write-scope.ts';
import type { DecodedRecords } from './ingest-body.ts';
import { redactRows } from './privacy/apply.ts';
import type { PrivacyPolicy } from './privacy/policy.ts';
import { dropExpired, expiredMessage } from './retention-filter.ts';

/** What every write of a collector goes through before the writer: retention and privacy. */
export interface PrepareSettings {
  retentionDays: number;
  privacy: PrivacyPolicy | null;
}

/** A request's rows ready for the writer: encoded per table, with the counts of the answer. */
export interface PreparedWrite {
  signal: string;
  /** Non-empty payloads only. */
  tables: [table: string, payload: Payload][];
  /** Rows in `tables`, all tables (what the writer's queue must take). */
  rows: number;
  accepted: number;
  rejected: number;
  errors: string[];
}

/**
 * Applies the retention window, the caller's model scope and the privacy rules to decoded rows,
 * then encodes them as the writer queues them (storage/payload.ts). No I/O: it runs on the event
 * loop or in a decode thread (collector/decode/). Throws MW_ERR_FORBIDDEN when the scope refuses
 * every row.
 */
export function prepareWrite(d: DecodedRecords, s: PrepareSettings, scope?: ModelScope & { keyId?: string }, nowMs = Date.now()): PreparedWrite {
  let { tables, rejected, errors, accepted } = d;
  if (s.retentionDays > 0) {
    const minTsMs = nowMs - s.retentionDays * 86_400_000;
    tables = tables.map((entry) => {
      const { kept, expired, oldestMs } = dropExpired(entry[1], minTsMs);
      if (expired === 0) return entry;
      // GPU samples are copies of metric points, already refused with them.
      if (entry[0] !== 'gpu_samples') {
        rejected += expired;
        if (accepted !== undefined) accepted -= expired;
        errors = [...errors, expiredMessage(entry[0], expired, oldestMs, s.retentionDays)];
      }
      return [entry[0], kept];
    });
  }
  if (scope && !scope.unrestricted) {
    const scoped = applyWriteScope(tables, scope, scope.keyId);
    if (scoped.refused > 0 && scoped.kept === 0) throw new MwError('MW_ERR_FORBIDDEN', scoped.errors.join('; '));
    tables = scoped.tables;
    rejected += scoped.refused;
    if (accepted !== undefined) accepted -= scoped.refused;
    errors = [...errors, ...scoped.errors];
  }
  // Before the writer: a redacted value reaches neither ClickHouse, nor the spool, nor a dead letter.
  if (s.privacy) for (const [table, rows] of tables) redactRows(s.privacy, table, rows);
  let rows = 0;
  const encoded: PreparedWrite['tables'] = [];
  for (const [table, list] of tables) {
    if (list.length === 0) continue;
    rows += list.length;
    encoded.push([table, toPayload(table, list)]);
  }
  return { signal: d.signal, tables: encoded, rows, accepted: accepted ?? rows, rejected, errors };
}
