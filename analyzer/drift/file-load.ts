/**
 * Loads a data file into a typed ClickHouse table once (one parse), so that profiles, exact values
 * and value counts of every column read the table instead of parsing the file again per column.
 */
import crypto from 'node:crypto';
import { MwError } from '../../core/errors.ts';
import type { Store } from '../../storage/client.ts';
import { clickhouseMessage, fileReader, tokenParams, type FileScan, type ScannedColumn } from './file-scan.ts';
import type { ColumnKind, PlannedColumn } from './file-plan.ts';

/** One column of a loaded file: its name in the file and its column in the table. */
export interface LoadedColumn {
  name: string;
  /** Column of the loaded table (`m0`, `m1`, ...): never a name taken from the file. */
  col: string;
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

/** Numeric value of a column: null tokens and NaN are null, infinities kept (and later counted apart). */
function numericExpr(s: ScannedColumn, v: string): string {
  if (s.text) {
    return `multiIf(${v} IS NULL OR ${v} IN {nullTokens:Array(String)}, NULL, lower(${v}) IN {infTokens:Array(String)}, `
      + `if(startsWith(${v}, '-'), -inf, inf), toFloat64OrNull(${v}))`;
  }
  return `if(isNaN(toFloat64(${v})), NULL, toFloat64(${v}))`;
}

/** Category text of a column: booleans as true/false, numbers in their shortest form, null tokens as null. */
function categoricalExpr(s: ScannedColumn, p: PlannedColumn, v: string): string {
  if (p.type === 'Float64') return `toString(${numericExpr(s, v)})`;
  if (p.type === 'Bool') {
    if (!s.text) return `if(${v}, 'true', 'false')`;
    return `multiIf(${v} IN {trueTokens:Array(String)}, 'true', ${v} IN {falseTokens:Array(String)}, 'false', NULL)`;
  }
  // Untyped files (CSV, TSV): the same null texts as pandas; typed files keep every string they stored.
  return s.untyped ? `if(${v} IN {nullTokens:Array(String)}, NULL, ${v})` : `toString(${v})`;
}

/**
 * Loads the planned columns of one side into a new table of `store` (MergeTree, so that a large file
 * lives on disk, not in Node). `side` picks the scanned column of each plan entry.
 */
export async function loadFile(store: Store, scan: FileScan, plan: PlannedColumn[], side: 'ref' | 'cur'): Promise<LoadedFile> {
  const reader = fileReader(scan.file, scan.columns.length);
  const table = store.t(`drift_file_${crypto.randomBytes(6).toString('hex')}`);
  const exprs: string[] = [];
  const columns: LoadedColumn[] = [];
  plan.forEach((p, k) => {
    const s = side === 'ref' ? p.ref : p.cur;
    if (!s) return;
    const v = reader.column(s.index);
    const col = `m${k}`;
    exprs.push(p.kind === 'numeric'
      ? `CAST(${numericExpr(s, v)} AS Nullable(Float64)) AS ${col}`
      : `CAST(${categoricalExpr(s, p, v)} AS Nullable(String)) AS ${col}`);
    columns.push({ name: p.name, col, kind: p.kind, nonFinite: p.kind === 'numeric' ? s.nonFinite : 0 });
  });
  const select = exprs.length ? exprs.join(', ') : 'toUInt8(0) AS __none';
  try {
    // The drift command runs on a fresh engine with no schema; a server store has its database already.
    await store.command(`CREATE DATABASE IF NOT EXISTS ${store.database}`);
    await store.command(
      `CREATE TABLE ${table} ENGINE = MergeTree ORDER BY tuple() AS SELECT ${select} FROM ${reader.from}`,
      { ...reader.params, ...tokenParams() }, reader.settings,
    );
  } catch (err) {
    throw new MwError('MW_ERR_REFERENCE_UNREADABLE', `${scan.file.path}: ${clickhouseMessage(err)}`, { path: scan.file.path }, { cause: err });
  }
  return { path: scan.file.path, table, rows: scan.rows, columns };
}

/** Drops a loaded file's table. */
export async function dropLoaded(store: Store, f: LoadedFile): Promise<void> {
  await store.command(`DROP TABLE IF EXISTS ${f.table}`);
}
