/**
 * Which columns of two scanned files are compared, as what, and which are skipped and why: a pure
 * decision over both sides together, so that a column typed differently by each file is resolved
 * where it can be (integer vs float, number vs numeric text) and reported where it cannot.
 */
import type { ScannedColumn, ScanType } from './file-scan.ts';

/** How a compared column is read. */
export type ColumnKind = 'numeric' | 'categorical';

/** A column that is compared, with the scanned column of each side. */
export interface PlannedColumn {
  name: string;
  kind: ColumnKind;
  /** The type both sides are read as (Float64 for every numeric column, String or Bool otherwise). */
  type: ScanType;
  ref?: ScannedColumn;
  cur?: ScannedColumn;
  /** A resolved type conflict, said in the report. */
  note?: string;
}

/** A column of either file that is not compared, with its reason. */
export interface SkippedColumn {
  column: string;
  reason: string;
}

/** Index columns as pandas and pyarrow write them (`to_csv` with the default index, `to_parquet`). */
export function isIndexColumn(c: ScannedColumn): boolean {
  return (c.index === 0 && (c.name === '' || /^Unnamed: 0$/.test(c.name))) || /^__index_level_\d+__$/.test(c.name);
}

const NUMERIC: ReadonlySet<ScanType> = new Set(['Int64', 'Float64']);

/** How one side's type is named in a reason: the scanned type, or the native type when unsupported. */
function shown(c: ScannedColumn): string {
  return c.type === 'Unsupported' ? c.native : c.type;
}

/** The plan of one column present on both sides (or on the one side given). */
function planOne(name: string, r: ScannedColumn | undefined, c: ScannedColumn | undefined, forceCategorical: boolean): PlannedColumn | SkippedColumn {
  const sides = [r, c].filter((x): x is ScannedColumn => x !== undefined);
  for (const s of sides) if (s.type === 'Unsupported') return { column: name, reason: `unsupported type ${s.native}` };
  if (sides.every((s) => s.type === 'Null')) return { column: name, reason: sides.length === 2 ? 'all null' : `all null in ${r ? 'reference' : 'current'}` };
  if (r && c && r.type === 'Null') return { column: name, reason: 'all null in reference' };
  if (r && c && c.type === 'Null') return { column: name, reason: 'all null in current' };
  if (sides.some((s) => s.type === 'DateTime')) {
    return sides.every((s) => s.type === 'DateTime')
      ? { column: name, reason: 'date/time column (time moves between reference and current; not compared)' }
      : { column: name, reason: `types differ: ${r ? shown(r) : '-'} vs ${c ? shown(c) : '-'}` };
  }
  const types = sides.map((s) => s.type);
  let type: ScanType | undefined;
  let note: string | undefined;
  if (types.every((t) => NUMERIC.has(t))) {
    type = 'Float64';
    if (new Set(types).size > 1) note = `integer vs float: compared as Float64`;
  } else if (types.every((t) => NUMERIC.has(t) || t === 'String') && sides.every((s) => NUMERIC.has(s.type) || s.numericText)) {
    // A string column of numbers against a numeric one (Parquet text vs CSV numbers, say).
    type = 'Float64';
    note = `number vs numeric text: compared as numbers`;
  } else if (types.every((t) => t === 'Bool')) {
    type = 'Bool';
  } else if (types.every((t) => t === 'String')) {
    type = 'String';
  }
  if (!type) return { column: name, reason: `types differ: ${shown(r!)} vs ${shown(c!)}` };
  const kind: ColumnKind = type === 'Float64' && !forceCategorical ? 'numeric' : 'categorical';
  return { name, kind, type, ref: r, cur: c, ...(note ? { note } : {}) };
}

/** Options of a plan: columns the user declared categorical, and a filter on names. */
export interface PlanOptions {
  categorical?: ReadonlySet<string>;
  columns?: ReadonlySet<string>;
}

/**
 * Plans the comparison of two files (or of one, `cur` undefined): every column of either file ends
 * up either compared or skipped with its reason. Nothing vanishes.
 */
export function planColumns(ref: ScannedColumn[], cur: ScannedColumn[] | undefined, opts: PlanOptions = {}): { columns: PlannedColumn[]; skipped: SkippedColumn[] } {
  const columns: PlannedColumn[] = [];
  const skipped: SkippedColumn[] = [];
  const byName = (cols: ScannedColumn[]) => {
    const m = new Map<string, ScannedColumn>();
    for (const c of cols) {
      if (isIndexColumn(c)) {
        if (!skipped.some((s) => s.column === c.name && s.reason.startsWith('index'))) skipped.push({ column: c.name, reason: 'index column (as pandas writes it)' });
      } else if (m.has(c.name)) {
        skipped.push({ column: c.name, reason: `duplicate column name (position ${c.index + 1})` });
      } else m.set(c.name, c);
    }
    return m;
  };
  const r = byName(ref);
  const c = cur ? byName(cur) : undefined;
  const names = [...new Set([...r.keys(), ...(c?.keys() ?? [])])];
  for (const name of names) {
    if (opts.columns && !opts.columns.has(name)) continue;
    const rc = r.get(name);
    const cc = c?.get(name);
    if (c && !rc) { skipped.push({ column: name, reason: 'only in current' }); continue; }
    if (c && !cc) { skipped.push({ column: name, reason: 'only in reference' }); continue; }
    const p = planOne(name, rc, cc, opts.categorical?.has(name) ?? false);
    if ('reason' in p) skipped.push(p);
    else columns.push(p);
  }
  return { columns, skipped };
}
