/**
 * Small typed builders for Grafana dashboard JSON (schemaVersion 42) whose queries run on the official
 * ClickHouse data source plugin (`grafana-clickhouse-datasource`, v4 query model: `editorType: 'sql'`,
 * `rawSql`, `format` 0 = time series / 1 = table, `queryType`). Everything is derived from the inputs:
 * panel ids follow panel order and grid positions follow the layout, so the output is deterministic.
 */

/** Data source plugin id, also its `type` in panel and target JSON. */
export const PLUGIN_ID = 'grafana-clickhouse-datasource';
/** Dashboard schema version written (the last one of Grafana's v1 dashboard API). */
export const SCHEMA_VERSION = 42;
/**
 * Plugin version stamped on targets. The plugin migrates queries without a v4 `pluginVersion` as v3
 * queries; stamping one keeps our targets as written.
 */
export const PLUGIN_VERSION = '4.0.0';
/** uid of the data source in provisioning/datasources/modelwatch.yaml (the variable's default). */
export const DEFAULT_DATASOURCE_UID = 'modelwatch-clickhouse';

/** Every panel and target points at the dashboard's data source variable. */
export const DATASOURCE = { type: PLUGIN_ID, uid: '${datasource}' } as const;

/** How the plugin shapes the result: 0 = time series (long rows pivoted to wide), 1 = table. */
export type Format = 0 | 1;
/** The plugin's query type matching each format. */
export type QueryType = 'timeseries' | 'table';

/** One query of a panel, in the plugin's v4 SQL-editor shape. */
export interface Target {
  refId: string;
  datasource: typeof DATASOURCE;
  editorType: 'sql';
  pluginVersion: string;
  format: Format;
  queryType: QueryType;
  rawSql: string;
}

/** Panel types the dashboards use. */
export type PanelType = 'timeseries' | 'stat' | 'table' | 'heatmap' | 'barchart' | 'row';

/** Position on the 24-column grid. */
export interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}

/** A panel as written to the dashboard JSON. */
export interface Panel {
  id: number;
  type: PanelType;
  title: string;
  description?: string;
  gridPos: GridPos;
  datasource?: typeof DATASOURCE;
  /** Minimum query interval (rollup panels: one minute, the rollup's resolution). */
  interval?: string;
  targets?: Target[];
  fieldConfig?: { defaults: Record<string, unknown>; overrides: Record<string, unknown>[] };
  options?: Record<string, unknown>;
  collapsed?: boolean;
  panels?: Panel[];
}

/** A panel before layout: the builders fill in everything but its id and position. */
export type PanelDraft = Omit<Panel, 'id' | 'gridPos'> & { w: number; h: number };

/** A templating variable as written to the dashboard JSON. */
export type Variable = Record<string, unknown> & { name: string; type: 'datasource' | 'query' | 'textbox' };

/** The dashboard JSON. */
export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  editable: boolean;
  graphTooltip: number;
  fiscalYearStartMonth: number;
  liveNow: boolean;
  refresh: string;
  schemaVersion: number;
  version: number;
  time: { from: string; to: string };
  timepicker: Record<string, unknown>;
  timezone: string;
  links: Record<string, unknown>[];
  annotations: { list: Record<string, unknown>[] };
  templating: { list: Variable[] };
  panels: Panel[];
}

/** Removes the common leading indentation and surrounding blank lines, so SQL in the JSON reads well. */
export function dedent(text: string): string {
  const lines = text.replace(/^\s*\n/, '').replace(/\s+$/, '').split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n');
}

/**
 * Template tag for SQL: a multi-line value continues at the indentation of the line it is inserted
 * in, and the whole text is dedented, so nested fragments keep the query's layout.
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0];
  values.forEach((v, i) => {
    const indent = /[^\n]*$/.exec(out)![0].match(/^ */)![0];
    out += String(v).split('\n').join(`\n${indent}`) + strings[i + 1];
  });
  return dedent(out);
}

/** A SQL target; `format` follows the panel kind (time series or table). */
export function target(rawSql: string, format: Format, refId = 'A'): Target {
  return {
    refId,
    datasource: DATASOURCE,
    editorType: 'sql',
    pluginVersion: PLUGIN_VERSION,
    format,
    queryType: format === 0 ? 'timeseries' : 'table',
    rawSql: dedent(rawSql),
  };
}

/** Options shared by the panel builders. */
export interface PanelOptions {
  title: string;
  description: string;
  /** One query, or several (refIds A, B, ...). */
  sql: string | string[];
  w?: number;
  h?: number;
  unit?: string;
  /** Display name template for series (e.g. '${__field.labels.model_version}'). */
  displayName?: string;
  /** Minimum query interval, e.g. '1m' for panels over the rollups (their finest level is per minute). */
  interval?: string;
  decimals?: number;
  min?: number;
  max?: number;
  /** Threshold steps above the base colour: [value, colour]. */
  thresholds?: [number, string][];
}

function targets(sql: string | string[], format: Format): Target[] {
  return (Array.isArray(sql) ? sql : [sql]).map((s, i) => target(s, format, String.fromCharCode(65 + i)));
}

function defaults(o: PanelOptions, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const d: Record<string, unknown> = { ...extra };
  if (o.unit !== undefined) d.unit = o.unit;
  if (o.displayName !== undefined) d.displayName = o.displayName;
  if (o.decimals !== undefined) d.decimals = o.decimals;
  if (o.min !== undefined) d.min = o.min;
  if (o.max !== undefined) d.max = o.max;
  if (o.thresholds) {
    d.thresholds = { mode: 'absolute', steps: [{ color: 'green', value: null }, ...o.thresholds.map(([value, color]) => ({ color, value }))] };
  }
  return d;
}

function base(type: PanelType, o: PanelOptions, format: Format, w: number, h: number): PanelDraft {
  const p: PanelDraft = { type, title: o.title, description: o.description, w: o.w ?? w, h: o.h ?? h, datasource: DATASOURCE, targets: targets(o.sql, format) };
  if (o.interval !== undefined) p.interval = o.interval;
  return p;
}

/** A time series panel; its queries return a time column, optional string label columns, and numbers. */
export function timeseries(o: PanelOptions & { bars?: boolean; stack?: boolean }): PanelDraft {
  const custom: Record<string, unknown> = {
    drawStyle: o.bars ? 'bars' : 'line', lineWidth: 1, fillOpacity: o.bars ? 80 : 10, showPoints: 'never', spanNulls: false,
  };
  if (o.stack) custom.stacking = { mode: 'normal', group: 'A' };
  if (o.thresholds) custom.thresholdsStyle = { mode: 'line' };
  return {
    ...base('timeseries', o, 0, 12, 8),
    fieldConfig: { defaults: defaults(o, { custom, color: { mode: 'palette-classic' } }), overrides: [] },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
  };
}

/** A stat panel; its query returns one row of numbers. */
export function stat(o: PanelOptions & { colorMode?: 'value' | 'background' }): PanelDraft {
  return {
    ...base('stat', o, 1, 6, 4),
    fieldConfig: { defaults: defaults(o, { color: { mode: 'thresholds' } }), overrides: [] },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: o.colorMode ?? 'value', graphMode: 'none', justifyMode: 'auto', textMode: 'auto', orientation: 'auto',
    },
  };
}

/** A table panel. */
export function table(o: PanelOptions & { overrides?: Record<string, unknown>[] }): PanelDraft {
  return {
    ...base('table', o, 1, 24, 8),
    fieldConfig: { defaults: defaults(o, { custom: { align: 'auto', filterable: true } }), overrides: o.overrides ?? [] },
    options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], countRows: false } },
  };
}

/**
 * A heatmap of pre-computed cells: the query returns time, a label column (one heatmap row per
 * label after the plugin pivots long rows to wide) and the cell value.
 */
export function heatmap(o: PanelOptions & { scheme?: string }): PanelDraft {
  return {
    ...base('heatmap', o, 0, 24, 9),
    fieldConfig: { defaults: defaults(o, { custom: { hideFrom: { legend: false, tooltip: false, viz: false }, scaleDistribution: { type: 'linear' } } }), overrides: [] },
    options: {
      calculate: false,
      cellGap: 1,
      color: { mode: 'scheme', scheme: o.scheme ?? 'Oranges', steps: 64, exponent: 0.5, fill: 'dark-orange', reverse: false, scale: 'exponential', min: 0 },
      yAxis: { axisPlacement: 'left', reverse: false },
      rowsFrame: { layout: 'auto' },
      tooltip: { mode: 'single', yHistogram: false, showColorScale: true },
      legend: { show: true },
      cellValues: { unit: o.unit ?? 'none' },
      exemplars: { color: 'rgba(255,0,255,0.7)' },
    },
  };
}

/** A bar chart; its query returns a string column (the x axis) and numeric columns (one bar group each). */
export function barchart(o: PanelOptions & { xField: string }): PanelDraft {
  return {
    ...base('barchart', o, 1, 12, 9),
    fieldConfig: { defaults: defaults(o, { color: { mode: 'palette-classic' }, custom: { fillOpacity: 80, lineWidth: 1, gradientMode: 'none' } }), overrides: [] },
    options: {
      xField: o.xField, orientation: 'auto', groupWidth: 0.7, barWidth: 0.9, showValue: 'never', stacking: 'none', xTickLabelRotation: -30,
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'none' },
    },
  };
}

/** A section of a dashboard: a row header and the panels under it, laid out left to right. */
export interface Section {
  title: string;
  panels: PanelDraft[];
}

/** Assigns ids (in order, from 1) and grid positions: rows of panels, wrapping at 24 columns. */
export function layout(sections: Section[]): Panel[] {
  const out: Panel[] = [];
  let id = 0;
  let y = 0;
  for (const s of sections) {
    out.push({ id: ++id, type: 'row', title: s.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const d of s.panels) {
      if (d.w > 24) throw new Error(`panel "${d.title}" is wider than the grid`);
      if (x + d.w > 24) {
        y += lineHeight;
        x = 0;
        lineHeight = 0;
      }
      const { w, h, ...rest } = d;
      out.push({ id: ++id, ...rest, gridPos: { h, w, x, y } });
      x += w;
      lineHeight = Math.max(lineHeight, h);
    }
    y += lineHeight;
  }
  return out;
}

/** The data source variable: every panel queries `${datasource}`. */
export function datasourceVariable(): Variable {
  return {
    name: 'datasource', label: 'Data source', type: 'datasource', query: PLUGIN_ID,
    current: { selected: false, text: 'modelwatch ClickHouse', value: DEFAULT_DATASOURCE_UID },
    hide: 0, includeAll: false, multi: false, options: [], refresh: 1, regex: '', skipUrlSync: false,
  };
}

/** A free-text variable with a default value (the ClickHouse database holding modelwatch's tables). */
export function textboxVariable(name: string, label: string, value: string, description: string): Variable {
  return {
    name, label, type: 'textbox', description, query: value,
    current: { selected: false, text: value, value }, options: [{ selected: true, text: value, value }], hide: 0, skipUrlSync: false,
  };
}

/** A query variable on the data source; multi-value ones start at All. */
export function queryVariable(o: { name: string; label: string; sql: string; multi: boolean; description: string }): Variable {
  const rawSql = dedent(o.sql);
  return {
    name: o.name, label: o.label, type: 'query', description: o.description,
    datasource: DATASOURCE,
    definition: rawSql,
    query: { refId: `${o.name}-variable`, editorType: 'sql', pluginVersion: PLUGIN_VERSION, format: 1, queryType: 'table', rawSql },
    multi: o.multi, includeAll: o.multi,
    current: o.multi ? { selected: true, text: ['All'], value: ['$__all'] } : {},
    options: [], refresh: 2, regex: '', sort: 1, hide: 0, skipUrlSync: false,
  };
}

/** Grafana's own annotation (alerts and manual annotations), present on every dashboard. */
const BUILTIN_ANNOTATION = {
  builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true,
  iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard',
};

/** An annotation from a SQL query returning `time`, `text` and `tags`. */
export function sqlAnnotation(name: string, sql: string, iconColor: string): Record<string, unknown> {
  return { name, datasource: DATASOURCE, enable: true, hide: false, iconColor, target: target(sql, 1, 'annotation') };
}

/** A whole dashboard: fixed uid, links to the other modelwatch dashboards, variables, laid-out panels. */
export function dashboard(o: {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables: Variable[];
  sections: Section[];
  annotations?: Record<string, unknown>[];
}): Dashboard {
  return {
    uid: o.uid,
    title: o.title,
    description: o.description,
    tags: ['modelwatch', ...o.tags],
    editable: true,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: '1m',
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: '',
    links: [{ title: 'modelwatch', type: 'dashboards', tags: ['modelwatch'], asDropdown: true, includeVars: true, keepTime: true, icon: 'external link', targetBlank: false }],
    annotations: { list: [BUILTIN_ANNOTATION, ...(o.annotations ?? [])] },
    templating: { list: o.variables },
    panels: layout(o.sections),
  };
}
