import type { ModelScope } from './scope.ts';

/** Rows bound for one table. */
export type TableRows = [table: string, rows: readonly object[]];

/** Rows a key may write, and what it may not. */
export interface ScopedWrite {
  tables: TableRows[];
  /** Records refused, not counting GPU samples (copies of metric points counted already). */
  refused: number;
  /** Rows kept, all tables. */
  kept: number;
  /** One message per out-of-scope model (at most 5), for partial_success or the 403. */
  errors: string[];
}

const MAX_ERRORS = 5;

type Row = { model?: unknown; attributes?: Record<string, string>; resource_attributes?: Record<string, string> };

/** The model a row is attributed to; '' when it names none. */
export function rowModel(row: object): string {
  const r = row as Row;
  if (typeof r.model === 'string' && r.model) return r.model;
  return r.attributes?.['ml.model.name'] ?? r.resource_attributes?.['ml.model.name'] ?? '';
}

/**
 * Keeps the rows a restricted key may write. A row attributed to a model outside the scope is
 * refused. Rows that name no model (plain logs, spans, metrics, GPU samples) are kept: they are not
 * any tenant's model data, and restricted keys cannot read them back. Ground truth must name its
 * model: otherwise a key could attach labels to another tenant's prediction ids.
 */
export function applyWriteScope(tables: TableRows[], scope: ModelScope, keyId = 'unknown'): ScopedWrite {
  const out: ScopedWrite = { tables: [], refused: 0, kept: 0, errors: [] };
  const seen = new Set<string>();
  const note = (msg: string) => {
    if (!seen.has(msg) && out.errors.length < MAX_ERRORS) out.errors.push(msg);
    seen.add(msg);
  };
  for (const [table, rows] of tables) {
    const kept: object[] = [];
    for (const row of rows) {
      const model = rowModel(row);
      let ok: boolean;
      if (model === '') {
        ok = table !== 'ground_truth';
        if (!ok) note(`ground truth without ml.model.name is refused for key "${keyId}", which is limited to some models`);
      } else {
        ok = scope.allows(model);
        if (!ok) note(`model ${JSON.stringify(model)} is outside the scope of key "${keyId}"`);
      }
      if (ok) kept.push(row);
      else if (table !== 'gpu_samples') out.refused++;
    }
    out.kept += kept.length;
    out.tables.push([table, kept]);
  }
  return out;
}
