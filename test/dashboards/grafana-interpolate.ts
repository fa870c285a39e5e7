/**
 * What Grafana and the ClickHouse data source plugin do to a panel's rawSql before ClickHouse sees it,
 * re-implemented for tests, in the same three steps and order:
 *
 * 1. `$__conditionalAll(condition, $var)`: the plugin's frontend (src/data/CHDatasource.ts,
 *    applyConditionalAll) scans from the last occurrence backwards, splits the two arguments on the
 *    comma at bracket depth 1, and replaces the call with `1=1` when the variable's current value is
 *    '' or '$__all', else with the condition. It uses String.prototype.replace with a string pattern,
 *    as here.
 * 2. Dashboard variables: Grafana's template service (`$var`, `${var}`, `${var:format}`). With no format,
 *    the plugin's own formatter applies (arrays become 'a','b'; single values are left raw). A variable at
 *    All (no custom all value) stands for every option value. Formats follow Grafana's docs
 *    (sqlstring: quote each value, double its quotes; singlequote: quote, escape quotes with \; csv; raw).
 *    Unknown names (the plugin's macros, `$__interval_s`) are left alone.
 * 3. The plugin's backend macros (pkg/macros/macros.go), expanded by grafana-plugin-sdk-go
 *    data/sqlutil Interpolate: longest macro name first, `\$__name\b` then an optional bracketed argument
 *    list (nested brackets kept, split on depth-1 commas, trimmed); every occurrence of the same text is
 *    replaced. Times are epoch seconds (toDateTime) or milliseconds (fromUnixTimestamp64Milli); the
 *    interval is the panel's query interval in seconds, at least 1.
 */

/** The state of one dashboard variable as Grafana holds it. */
export interface VarState {
  /** Current value: a string, a list (multi-value), or '$__all' / ['$__all'] for All. */
  value: string | string[];
  /** The variable's options (used when the value is All). */
  options?: string[];
}

/** What a query is interpolated against. */
export interface QueryContext {
  from: Date;
  to: Date;
  /** The panel's query interval in milliseconds. */
  intervalMs: number;
  vars: Record<string, VarState>;
}

const ALL = '$__all';

function isAll(v: VarState): boolean {
  return Array.isArray(v.value) ? v.value.length === 1 && v.value[0] === ALL : v.value === ALL;
}

/** Splits `(a, b(c, d), e)` at `start` (the opening bracket) into its depth-1 arguments, untrimmed. */
function bracketArgs(text: string, start: number): { args: string[]; end: number } | null {
  let depth = 0;
  let argStart = start + 1;
  const args: string[] = [];
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(argStart, i));
        return { args, end: i + 1 };
      }
    } else if (ch === ',' && depth === 1) {
      args.push(text.slice(argStart, i));
      argStart = i + 1;
    }
  }
  return null;
}

/** Step 1: the plugin's `$__conditionalAll(condition, $var)`. */
export function applyConditionalAll(sql: string, vars: Record<string, VarState>): string {
  const macro = '$__conditionalAll(';
  let at = sql.lastIndexOf(macro);
  while (at !== -1) {
    const parsed = bracketArgs(sql, at + macro.length - 1);
    if (!parsed || parsed.args.length !== 2) return sql;
    const [condition, varParam] = parsed.args;
    const name = /(?<=\$\{)\w+(?=\})|(?<=\$)\w+/.exec(varParam.trim())?.[0];
    let phrase = condition;
    const v = name === undefined ? undefined : vars[name];
    if (v !== undefined) {
      const current = Array.isArray(v.value) ? v.value.join(',') : v.value;
      if (current === '' || current === ALL) phrase = '1=1';
    }
    sql = sql.replace(`${macro}${condition},${varParam})`, phrase);
    at = sql.lastIndexOf(macro);
  }
  return sql;
}

function formatValue(value: string | string[], format: string | undefined): string {
  const list = Array.isArray(value) ? value : [value];
  switch (format) {
    case undefined: // the plugin's default formatter
      return Array.isArray(value) ? `'${value.join("','")}'` : value;
    case 'sqlstring':
      return list.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    case 'singlequote':
      return list.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'csv':
    case 'raw':
      return list.join(',');
    default:
      throw new Error(`variable format ${format} is not emulated`);
  }
}

/** Step 2: Grafana's template variables. */
export function interpolateVariables(sql: string, vars: Record<string, VarState>): string {
  return sql.replace(/\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g, (whole, bare, bracketName, bracketFmt, braced, bracedFmt) => {
    const name: string = bare ?? bracketName ?? braced;
    const v = vars[name];
    if (v === undefined) return whole;
    const value = isAll(v) ? (v.options ?? []) : v.value;
    return formatValue(value, bracketFmt ?? bracedFmt);
  });
}

const toDateTime = (d: Date): string => `toDateTime(${Math.floor(d.getTime() / 1000)})`;
const toDateTime64 = (d: Date): string => `fromUnixTimestamp64Milli(${d.getTime()})`;
const toDate = (d: Date): string => `toDate('${d.toISOString().slice(0, 10)}')`;

type Macro = (args: string[], ctx: QueryContext) => string;

function oneArg(name: string, f: (col: string, ctx: QueryContext) => string): Macro {
  return (args, ctx) => {
    if (args.length !== 1) throw new Error(`$__${name} expects 1 argument, got ${args.length}`);
    return f(args[0], ctx);
  };
}

/** The plugin's macros. */
const MACROS: Record<string, Macro> = {
  fromTime: (_a, c) => toDateTime(c.from),
  toTime: (_a, c) => toDateTime(c.to),
  fromTime_ms: (_a, c) => toDateTime64(c.from),
  toTime_ms: (_a, c) => toDateTime64(c.to),
  timeFilter: oneArg('timeFilter', (col, c) => `${col} >= ${toDateTime(c.from)} AND ${col} <= ${toDateTime(c.to)}`),
  timeFilter_ms: oneArg('timeFilter_ms', (col, c) => `${col} >= ${toDateTime64(c.from)} AND ${col} <= ${toDateTime64(c.to)}`),
  dateFilter: oneArg('dateFilter', (col, c) => `${col} >= ${toDate(c.from)} AND ${col} <= ${toDate(c.to)}`),
  timeInterval: oneArg('timeInterval', (col, c) => `toStartOfInterval(toDateTime(${col}), INTERVAL ${Math.max(Math.floor(c.intervalMs / 1000), 1)} second)`),
  timeInterval_ms: oneArg('timeInterval_ms', (col, c) => `toStartOfInterval(toDateTime64(${col}, 3), INTERVAL ${Math.max(Math.floor(c.intervalMs), 1)} millisecond)`),
  interval_s: (_a, c) => String(Math.max(Math.floor(c.intervalMs / 1000), 1)),
};

/** Step 3: the plugin's backend macros. */
export function expandMacros(sql: string, ctx: QueryContext): string {
  const names = Object.keys(MACROS).sort((a, b) => b.length - a.length);
  for (const name of names) {
    const re = new RegExp(`\\$__${name}\\b`, 'g');
    const matches: { full: string; args: string[] }[] = [];
    for (let m = re.exec(sql); m !== null; m = re.exec(sql)) {
      const end = m.index + m[0].length;
      if (sql[end] === '(') {
        const parsed = bracketArgs(sql, end);
        if (!parsed) throw new Error(`$__${name}: missing closing bracket`);
        matches.push({ full: sql.slice(m.index, parsed.end), args: parsed.args.map((a) => a.trim()) });
      } else {
        matches.push({ full: m[0], args: [] });
      }
    }
    for (const m of matches) sql = sql.split(m.full).join(MACROS[name](m.args, ctx));
  }
  return sql;
}

/** The SQL ClickHouse receives for a panel query, after the three steps. */
export function interpolateQuery(rawSql: string, ctx: QueryContext): string {
  return expandMacros(interpolateVariables(applyConditionalAll(rawSql, ctx.vars), ctx.vars), ctx);
}
