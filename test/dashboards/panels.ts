/** Walks the generated dashboards and checks a query result against what its panel type needs. */
import type { Dashboard, Panel, Target } from '../../dashboards/grafana/builders.ts';

/** One query of a dashboard with where it comes from. */
export interface QueryRef {
  dashboard: string;
  /** Panel title, 'variable <name>' or 'annotation <name>'. */
  where: string;
  /** Panel type, 'variable' or 'annotation'. */
  kind: Panel['type'] | 'variable' | 'annotation';
  target: Pick<Target, 'rawSql' | 'format' | 'refId'>;
  panel?: Panel;
}

/** Every query of a dashboard: variables, annotations and panel targets. */
export function queriesOf(name: string, d: Dashboard): QueryRef[] {
  const out: QueryRef[] = [];
  for (const v of d.templating.list) {
    if (v.type === 'query') out.push({ dashboard: name, where: `variable ${v.name}`, kind: 'variable', target: v.query as Target });
  }
  for (const a of d.annotations.list) {
    if (a.target) out.push({ dashboard: name, where: `annotation ${String(a.name)}`, kind: 'annotation', target: a.target as Target });
  }
  for (const p of d.panels) {
    for (const t of p.targets ?? []) out.push({ dashboard: name, where: `${p.title} [${t.refId}]`, kind: p.type, target: t, panel: p });
  }
  return out;
}

/** A query result with ClickHouse's column types (FORMAT JSON). */
export interface Result {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
}

const bare = (t: string): string => t.replace(/^(Nullable|LowCardinality)\((.*)\)$/, '$2').replace(/^(Nullable|LowCardinality)\((.*)\)$/, '$2');
/** A DateTime or DateTime64 column, the time field Grafana needs. */
export const isTime = (t: string): boolean => /^DateTime(64)?(\(|$)/.test(bare(t));
/** A column Grafana reads as a number. */
export const isNumeric = (t: string): boolean => /^(U?Int(8|16|32|64|128|256)|Float(32|64)|Decimal)/.test(bare(t));
/** A column Grafana reads as text (series labels, bar chart categories). */
export const isText = (t: string): boolean => /^(String|FixedString)/.test(bare(t));

/** Problems of a result for its panel kind; empty when the panel can draw it. */
export function checkResult(q: QueryRef, r: Result): string[] {
  const problems: string[] = [];
  const cols = r.meta;
  if (r.data.length === 0) problems.push('no rows');
  const numeric = cols.filter((c) => isNumeric(c.type));
  // Aggregate-state types are ClickHouse internals a data source plugin need not decode: finalize them in SQL.
  for (const c of cols) if (/AggregateFunction/.test(c.type)) problems.push(`column ${c.name} has type ${c.type}`);
  switch (q.kind) {
    case 'timeseries':
    case 'heatmap': {
      if (q.target.format !== 0) problems.push(`format ${q.target.format}, expected 0 (time series)`);
      if (!cols[0] || !isTime(cols[0].type)) problems.push(`first column ${cols[0]?.name}:${cols[0]?.type} is not a time`);
      if (numeric.length === 0) problems.push('no numeric column');
      const labels = cols.slice(1).filter((c) => !isNumeric(c.type));
      for (const c of labels) if (!isText(c.type)) problems.push(`column ${c.name}:${c.type} is neither a number nor a label`);
      // The plugin pivots long rows to wide frames; that needs ascending time and one row per time and label set.
      const keys = r.data.map((row) => [row[cols[0].name], ...labels.map((c) => row[c.name])].map(String).join('\u0000'));
      const times = r.data.map((row) => String(row[cols[0].name]));
      if (times.some((t, i) => i > 0 && t < times[i - 1])) problems.push('time is not ascending');
      if (new Set(keys).size !== keys.length) problems.push('duplicate (time, labels) rows');
      break;
    }
    case 'stat': {
      if (q.target.format !== 1) problems.push(`format ${q.target.format}, expected 1 (table)`);
      if (numeric.length === 0) problems.push('no numeric column');
      const v = r.data[0]?.[numeric[0]?.name];
      if (v === null || v === undefined || !Number.isFinite(Number(v))) problems.push(`stat value ${String(v)} is not a finite number`);
      break;
    }
    case 'barchart': {
      if (q.target.format !== 1) problems.push(`format ${q.target.format}, expected 1 (table)`);
      const x = q.panel?.options?.xField as string | undefined;
      const xCol = cols.find((c) => c.name === x);
      if (!xCol || !isText(xCol.type)) problems.push(`x field ${x} is not a text column`);
      if (numeric.length === 0) problems.push('no numeric column');
      break;
    }
    case 'variable':
      if (cols.length < 1 || cols.length > 2) problems.push(`variable query returns ${cols.length} columns`);
      break;
    case 'annotation':
      if (!cols.some((c) => c.name === 'time' && isTime(c.type))) problems.push('annotation has no time column');
      if (!cols.some((c) => c.name === 'text')) problems.push('annotation has no text column');
      break;
    default:
      if (q.target.format !== 1) problems.push(`format ${q.target.format}, expected 1 (table)`);
  }
  return problems;
}
