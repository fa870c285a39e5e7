/**
 * Reading data files as the tools that write them do (pandas, Polars, Spark, Arrow): the column
 * names, and a type per column decided from every row. ClickHouse's own schema inference looks at
 * the first rows and misses exponent floats (`-7.6e-05` makes a column text), so text formats are
 * read as strings. Each file is parsed once, into a table holding per column its number as
 * ClickHouse parses it (`n<k>`) and its text (`t<k>`); every value is then classified from that
 * table in one aggregate pass.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { MwError } from '../../core/errors.ts';
import type { Params, Store } from '../../storage/client.ts';
import type { FileSource } from './reference.ts';

/** What one side says a column holds. */
export type ScanType = 'Int64' | 'Float64' | 'Bool' | 'String' | 'DateTime' | 'Null' | 'Unsupported';

/** One column of a scanned file, with its value classes counted over all rows. */
export interface ScannedColumn {
  /** Its number in the loaded table (an expression over `n<k>`, NaN as null), where the column has one. */
  num?: string;
  /** Its text in the loaded table (`t<k>`, Nullable(String)), for text and boolean columns. */
  txt?: string;
  name: string;
  /** Position of the column in the file (0-based). */
  index: number;
  /** The type ClickHouse reads (for text formats always Nullable(String)). */
  native: string;
  /** Values read as text and classified here (CSV, TSV, and string columns of typed formats). */
  text: boolean;
  /** The file has no types of its own (CSV, TSV): every column was read as text. */
  untyped: boolean;
  type: ScanType;
  /** For a String column whose non-null values are all numbers (resolvable against a numeric side). */
  numericText: boolean;
  nulls: number;
  /** +-inf values (numeric columns): counted, never compared. */
  nonFinite: number;
}

/** A scanned file: its rows and columns in file order, and the table it was loaded into. */
export interface FileScan {
  file: FileSource;
  table: string;
  rows: number;
  columns: ScannedColumn[];
}

/**
 * Texts read as null, as pandas' `read_csv` reads them by default (its `na_values`), plus what
 * Spark and R write. NaN is a null here as it is in pandas.
 */
export const NULL_TOKENS = [
  '', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None',
  'n/a', 'nan', 'null', 'NAN', '\\N',
];
/** Boolean texts: Python's True/False, JSON's and Java's true/false, upper case from some writers. */
export const TRUE_TOKENS = ['True', 'true', 'TRUE'];
export const FALSE_TOKENS = ['False', 'false', 'FALSE'];
/** ISO-like dates and timestamps as pandas and Spark write them. */
const DATE_RE = '^\\d{4}-\\d{2}-\\d{2}([ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?(Z|[+-]\\d{2}:?\\d{2}| UTC)?$';

/** Bound parameters every scan and load query shares. */
export function tokenParams(): Params {
  return { nullTokens: NULL_TOKENS, trueTokens: TRUE_TOKENS, falseTokens: FALSE_TOKENS };
}

/** True for text formats, whose columns are read as strings and typed here. */
export function isTextFormat(f: FileSource): boolean {
  return f.format === 'CSVWithNames' || f.format === 'TSVWithNames';
}

/**
 * ClickHouse settings for reading a file as the writers mean it. Every key is always given: chDB
 * keeps a setting for the rest of its session, so one file's settings must not leak into the next
 * read. The schema cache is off, because a cached schema of the same path can be stale.
 */
export function readSettings(f: FileSource, opts: { headerOnly?: boolean } = {}): Record<string, string | number> {
  const tsv = f.format === 'TSVWithNames';
  return {
    schema_inference_use_cache_for_file: 0,
    // Typed formats (NDJSON) infer from every row, not the first thousand; a header needs one row.
    input_format_max_rows_to_read_for_schema_inference: opts.headerOnly ? '1' : '1000000000000',
    input_format_max_bytes_to_read_for_schema_inference: '1000000000000',
    input_format_json_infer_incomplete_types_as_strings: 1,
    // Text columns are ours (c0, c1, ...) by position; the header row is read separately.
    input_format_with_names_use_header: 0,
    // pandas, Polars and Spark write TSV as CSV with a tab (quotes, not backslash escapes), which
    // ClickHouse reads as CustomSeparated with CSV escaping.
    format_custom_escaping_rule: tsv ? 'CSV' : 'Escaped',
    format_custom_field_delimiter: '\t',
  };
}

/** The ClickHouse format of a text file's rows, with (`names`) or without its header line. */
function textFormat(f: FileSource, names: boolean): string {
  const base = f.format === 'TSVWithNames' ? 'CustomSeparated' : 'CSV';
  return names ? `${base}WithNames` : base;
}

/** The structure of a text file's columns: ours by position, every one read as text. */
function textStructure(columns: number): string {
  return Array.from({ length: columns }, (_, i) => `c${i} Nullable(String)`).join(', ');
}

/** SQL pieces to read a file's columns by position: the FROM clause and each column's expression. */
export interface FileReader {
  from: string;
  params: Params;
  settings: Record<string, string | number>;
  column(index: number): string;
}

/** Reads columns by position, so that no name from the file ever becomes part of the SQL. */
export function fileReader(f: FileSource, columns: number): FileReader {
  const settings = readSettings(f);
  if (isTextFormat(f)) {
    const structure = textStructure(columns);
    return { from: `file({path:String}, '${textFormat(f, true)}', {structure:String})`, params: { path: f.path, structure }, settings, column: (i) => `c${i}` };
  }
  return {
    from: `(SELECT tuple(*) AS __t FROM file({path:String}, '${f.format}'))`,
    params: { path: f.path },
    settings,
    column: (i) => `tupleElement(__t, ${i + 1})`,
  };
}

/** ClickHouse's message without the query it quotes: what went wrong, short enough for a terminal. */
export function clickhouseMessage(err: unknown): string {
  const m = (err as Error).message.split('\n')[0].replace(/:? In scope [\s\S]*$/, '');
  return m.length > 400 ? `${m.slice(0, 400)}...` : m;
}

function unreadable(f: FileSource, err: unknown): MwError {
  return new MwError('MW_ERR_REFERENCE_UNREADABLE', `${f.path}: ${clickhouseMessage(err)}`, { path: f.path }, { cause: err });
}

/** Column names and native types, in file order. */
async function header(store: Store, f: FileSource): Promise<{ name: string; native: string }[]> {
  try {
    if (isTextFormat(f)) {
      const desc = await store.query<{ name: string }>(
        `DESCRIBE file({path:String}, '${textFormat(f, false)}')`, { path: f.path }, readSettings(f, { headerOnly: true }),
      );
      const structure = textStructure(desc.length);
      const [row] = await store.query<Record<string, string | null>>(
        `SELECT * FROM file({path:String}, '${textFormat(f, false)}', {structure:String}) LIMIT 1`, { path: f.path, structure }, readSettings(f),
      );
      // A UTF-8 byte order mark (pandas' encoding='utf-8-sig', Excel) is not part of the first name.
      return desc.map((_, i) => ({ name: (row?.[`c${i}`] ?? '').replace(i === 0 ? /^\uFEFF/ : /^$/, ''), native: 'Nullable(String)' }));
    }
    const desc = await store.query<{ name: string; type: string }>(`DESCRIBE file({path:String}, '${f.format}')`, { path: f.path }, readSettings(f));
    // Nested types come back on several lines: one line in reports.
    return desc.map((d) => ({ name: d.name, native: d.type.replace(/\s+/g, ' ').replace(/\( /g, '(') }));
  } catch (err) {
    throw unreadable(f, err);
  }
}

/** The native type without Nullable / LowCardinality wrappers. */
export function baseType(native: string): string {
  let t = native;
  for (;;) {
    const m = /^(Nullable|LowCardinality)\((.*)\)$/.exec(t);
    if (!m) return t;
    t = m[2];
  }
}

type NativeKind = 'int' | 'float' | 'bool' | 'text' | 'date' | 'nothing' | 'unsupported';

/** How a native ClickHouse type is read. */
export function nativeKind(native: string): NativeKind {
  const t = baseType(native);
  if (/^U?Int\d+$/.test(t)) return 'int';
  if (/^(Float\d+|BFloat16|Decimal.*)$/.test(t)) return 'float';
  if (t === 'Bool') return 'bool';
  if (/^(String|FixedString\(\d+\)|Enum.*|UUID)$/.test(t)) return 'text';
  if (/^(Date|Date32|DateTime.*)$/.test(t)) return 'date';
  if (t === 'Nothing') return 'nothing';
  return 'unsupported';
}

/**
 * What the raw load keeps of one column, by its native kind: its number as ClickHouse parses it
 * (`inf`, `-inf`, `Infinity`, `nan` included; NaN is turned into null when read) and, for text, the
 * text itself. Parsing once and keeping the text costs less than deciding anything per value here.
 */
function loadExprs(kind: NativeKind, v: string, k: number): string[] {
  if (kind === 'text') return [`toFloat64OrNull(${v}) AS n${k}`, `CAST(${v} AS Nullable(String)) AS t${k}`];
  if (kind === 'int' || kind === 'float') return [`CAST(toFloat64(${v}) AS Nullable(Float64)) AS n${k}`];
  // A null boolean stays null (if() would read it as false).
  if (kind === 'bool') return [`CAST(multiIf(${v} IS NULL, NULL, ${v}, 'true', 'false') AS Nullable(String)) AS t${k}`];
  return [];
}

/** A loaded column's number with NaN as null: what every numeric read uses. */
export function numberExpr(k: number): string {
  return `if(isNaN(ifNull(n${k}, 0)), NULL, n${k})`;
}

/** Aggregates that classify the loaded values of one column (k is its position). */
function classifyExprs(kind: NativeKind, k: number): string[] {
  const n = `n${k}`;
  const noNumber = `(${n} IS NULL OR isNaN(${n}))`;
  if (kind === 'text') {
    const t = `t${k}`;
    // The text tests run only where the value is not a number (AND short-circuits).
    return [
      `countIf(${noNumber} AND (${t} IS NULL OR ${t} IN {nullTokens:Array(String)})) AS z${k}`,
      `countIf(isInfinite(ifNull(${n}, 0))) AS inf${k}`,
      `countIf(isFinite(ifNull(${n}, nan))) AS num${k}`,
      `countIf(isFinite(ifNull(${n}, nan)) AND ${n} = floor(${n})) AS int${k}`,
      `countIf(${noNumber} AND (${t} IN {trueTokens:Array(String)} OR ${t} IN {falseTokens:Array(String)})) AS b${k}`,
      `countIf(${noNumber} AND ${t} IS NOT NULL AND match(${t}, '${DATE_RE}')) AS d${k}`,
    ];
  }
  if (kind === 'int' || kind === 'float') return [`countIf(${noNumber}) AS z${k}`, `countIf(isInfinite(ifNull(${n}, 0))) AS inf${k}`];
  if (kind === 'bool') return [`countIf(t${k} IS NULL) AS z${k}`];
  return [];
}

/**
 * Files up to this size are loaded into memory (fast: the drift command's tables live for one
 * comparison); larger ones into a MergeTree table on disk.
 */
export const MEMORY_TABLE_BYTES = 2 * 2 ** 30;

/** Decides a text column's type from its value classes. */
export function textType(c: { rows: number; nulls: number; inf: number; num: number; int: number; bools: number; dates: number }): ScanType {
  const nonNull = c.rows - c.nulls;
  if (nonNull === 0) return 'Null';
  if (c.num + c.inf === nonNull) return c.int === c.num && c.inf === 0 ? 'Int64' : 'Float64';
  if (c.bools === nonNull) return 'Bool';
  if (c.dates === nonNull) return 'DateTime';
  return 'String';
}

/**
 * Scans a file: names and types from every row (one pass inside ClickHouse). CSV and TSV columns
 * are typed by their values; typed formats (Parquet, NDJSON) keep their types, except that string
 * columns are classified too, so numeric text can be matched against a numeric column later.
 */
export async function scanFile(store: Store, f: FileSource, opts: { memoryBytes?: number } = {}): Promise<FileScan> {
  const st = fs.statSync(f.path, { throwIfNoEntry: false });
  if (!st) throw new MwError('MW_ERR_REFERENCE_UNREADABLE', `${f.path}: no such file`, { path: f.path });
  if (!st.isFile()) throw new MwError('MW_ERR_REFERENCE_UNREADABLE', `${f.path}: not a file`, { path: f.path });
  const cols = await header(store, f);
  const reader = fileReader(f, cols.length);
  const kinds = cols.map((c) => nativeKind(c.native));
  const table = store.t(`drift_file_${crypto.randomBytes(6).toString('hex')}`);
  const loaded = cols.flatMap((_, k) => loadExprs(kinds[k], reader.column(k), k));
  const engine = st.size <= (opts.memoryBytes ?? MEMORY_TABLE_BYTES) ? 'Memory' : 'MergeTree ORDER BY tuple()';
  let row: Record<string, number | string>;
  try {
    // The drift command runs on a fresh engine with no schema; a server store has its database already.
    await store.command(`CREATE DATABASE IF NOT EXISTS ${store.database}`);
    await store.command(
      `CREATE TABLE ${table} ENGINE = ${engine} AS SELECT ${loaded.length ? loaded.join(', ') : 'toUInt8(0) AS __none'} FROM ${reader.from}`,
      { ...reader.params, ...tokenParams() }, reader.settings,
    );
    const exprs = ['count() AS __rows', ...cols.flatMap((_, k) => classifyExprs(kinds[k], k))];
    [row] = await store.query<Record<string, number | string>>(`SELECT ${exprs.join(', ')} FROM ${table}`, tokenParams());
  } catch (err) {
    await store.command(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    throw unreadable(f, err);
  }
  const rows = Number(row.__rows);
  const columns = cols.map((c, k): ScannedColumn => {
    const kind = kinds[k];
    const nulls = Number(row[`z${k}`] ?? 0);
    const base = {
      name: c.name, index: k, native: c.native, text: kind === 'text', untyped: isTextFormat(f), numericText: false, nulls, nonFinite: 0,
      ...(kind === 'text' || kind === 'int' || kind === 'float' ? { num: numberExpr(k) } : {}),
      ...(kind === 'text' || kind === 'bool' ? { txt: `t${k}` } : {}),
    };
    if (kind === 'text') {
      const counts = {
        rows, nulls, inf: Number(row[`inf${k}`]), num: Number(row[`num${k}`]), int: Number(row[`int${k}`]), bools: Number(row[`b${k}`]), dates: Number(row[`d${k}`]),
      };
      const t = textType(counts);
      const numeric = t === 'Int64' || t === 'Float64';
      if (isTextFormat(f) || t === 'Null') return { ...base, type: t, nonFinite: numeric ? counts.inf : 0 };
      // A string column of a typed file stays a string; numbers in it can still match a numeric side.
      return { ...base, type: 'String', numericText: numeric, nonFinite: numeric ? counts.inf : 0 };
    }
    if (kind === 'unsupported') return { ...base, type: 'Unsupported' };
    if (nulls === rows) return { ...base, type: 'Null' };
    if (kind === 'float') return { ...base, type: 'Float64', nonFinite: Number(row[`inf${k}`]) };
    const type: Record<string, ScanType> = { int: 'Int64', bool: 'Bool', date: 'DateTime', nothing: 'Null' };
    return { ...base, type: type[kind] };
  });
  return { file: f, table, rows, columns };
}
