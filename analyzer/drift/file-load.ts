/**
 * A scanned file as a drift side: each compared column as an expression over the table the file
 * was loaded into (file-scan.ts), so that profiles, exact values and value counts read that table
 * and never parse the file again.
 */
import type { Store } from '../../storage/client.ts';
import type { FileScan, ScannedColumn } from './file-scan.ts';
import type { ColumnKind, PlannedColumn } from './file-plan.ts';

/** One column of a loaded file: its name in the file and how to read it from the table. */
export interface LoadedColumn {
  name: string;
  /** SQL over the loaded table's own columns (`n3`, `t3`): never a name taken from the file. */
  expr: string;
  kind: ColumnKind;
  nonFinite: number;
}

/** A file loaded into a table: numeric columns as Nullable(Float64) (NaN as null, +-inf kept), the rest as Nullable(String). */
export interface LoadedFile {
  path: string;
  table: string;
  rows: number;
  columns: LoadedColumn[];
}

/** Category text of a column: booleans as true/false, pandas' null texts as null in untyped files. */
function categoricalExpr(s: ScannedColumn, p: PlannedColumn): string {
  const t = s.txt ?? 'CAST(NULL AS Nullable(String))';
  // A numeric column declared categorical: its numbers in their shortest form (1.0 and 1 are one category).
  if (p.type === 'Float64' || !s.txt) return `toString(${s.num ?? 'CAST(NULL AS Nullable(Float64))'})`;
  if (p.type === 'Bool') {
    if (!s.text) return t;
    return `multiIf(${t} IN {trueTokens:Array(String)}, 'true', ${t} IN {falseTokens:Array(String)}, 'false', NULL)`;
  }
  // Typed files keep every string they stored; untyped files read pandas' null texts as null.
  return s.untyped ? `if(${t} IN {nullTokens:Array(String)}, NULL, ${t})` : t;
}

/** The planned columns of one side as expressions over its loaded table. */
export function loadedFile(scan: FileScan, plan: PlannedColumn[], side: 'ref' | 'cur'): LoadedFile {
  const columns: LoadedColumn[] = [];
  for (const p of plan) {
    const s = side === 'ref' ? p.ref : p.cur;
    if (!s) continue;
    const expr = p.kind === 'numeric' ? s.num! : categoricalExpr(s, p);
    columns.push({ name: p.name, expr, kind: p.kind, nonFinite: p.kind === 'numeric' ? s.nonFinite : 0 });
  }
  return { path: scan.file.path, table: scan.table, rows: scan.rows, columns };
}

/** Drops a loaded file's table. */
export async function dropLoaded(store: Store, f: { table: string }): Promise<void> {
  await store.command(`DROP TABLE IF EXISTS ${f.table}`);
}
