/**
 * The variables every modelwatch dashboard shares, and the SQL fragments that apply them.
 *
 * Filters are wrapped in the plugin's `$__conditionalAll(condition, $var)`: when a variable is at All
 * the plugin replaces the whole call with `1=1`, so All never expands into a long IN list and also
 * covers values that appeared after the variable's options were loaded. Values are interpolated
 * with `${var:sqlstring}` (each value single-quoted, quotes doubled), whatever the selection size.
 */
import { datasourceVariable, queryVariable, textboxVariable, type Variable } from './builders.ts';

/** A table of the modelwatch database chosen by the `database` variable. */
export const tbl = (name: string): string => `\${database}.${name}`;

/** `col IN (selected values of var)`, or 1=1 when the variable is at All. */
export function inVar(col: string, variable: string): string {
  return `$__conditionalAll(${col} IN (\${${variable}:sqlstring}), $${variable})`;
}

/** Model, version and environment filters on the raw predictions table. */
export function predictionScope(): string {
  return [inVar('model', 'model'), inVar('version', 'version'), inVar('environment', 'environment')].join('\n  AND ');
}

/**
 * Model and version filters on a table keyed by model and version (the rollups, analysis_results).
 * Those tables carry no environment: an environment selection keeps the model versions that served
 * predictions in that environment during the dashboard's time range.
 */
export function versionScope(m = 'model', v = 'version'): string {
  const env = `$__conditionalAll((${m}, ${v}) IN (SELECT model, version FROM ${tbl('predictions')} WHERE $__timeFilter(ts) AND environment IN (\${environment:sqlstring})), $environment)`;
  return [inVar(m, 'model'), inVar(v, 'version'), env].join('\n  AND ');
}

/**
 * GPU filters: GPUs carry no model, so a model, version or environment selection keeps the hosts
 * that served the selected predictions during the dashboard's time range. With all three at All the
 * right-hand side becomes `(1=1 AND 1=1 AND 1=1)` and every GPU stays, including GPUs on hosts
 * without traffic (the idle ones matter most).
 */
export function hostScope(hostExpr = 'host'): string {
  const vars = ['model', 'version', 'environment'] as const;
  const served = `SELECT host FROM ${tbl('predictions')} WHERE $__timeFilter(ts) AND ${vars.map((v) => inVar(v, v)).join(' AND ')}`;
  const allAtAll = vars.map((v) => `$__conditionalAll(0, $${v})`).join(' AND ');
  return `(${hostExpr} IN (${served}) OR (${allAtAll}))`;
}

/**
 * Alert filters on a label map: alerts whose `model` / `version` / `environment` label matches the
 * selection, plus alerts that carry no such label (GPU alerts, custom queries), which concern every model.
 */
export function labelScope(labels: string): string {
  return (['model', 'version', 'environment'] as const)
    .map((v) => `$__conditionalAll((${labels}['${v}'] = '' OR ${labels}['${v}'] IN (\${${v}:sqlstring})), $${v})`)
    .join('\n  AND ');
}

/** The variables of every dashboard: data source, database, model, version, environment. */
export function commonVariables(): Variable[] {
  const predictions = tbl('predictions');
  return [
    datasourceVariable(),
    textboxVariable('database', 'Database', 'modelwatch', 'ClickHouse database holding the modelwatch tables (storage.database).'),
    queryVariable({
      name: 'model', label: 'Model', multi: true, description: 'Models with predictions in the time range.',
      sql: `SELECT DISTINCT model FROM ${predictions} WHERE $__timeFilter(ts) ORDER BY model`,
    }),
    queryVariable({
      name: 'version', label: 'Version', multi: true, description: 'Versions of the selected models with predictions in the time range.',
      sql: `SELECT DISTINCT version FROM ${predictions} WHERE $__timeFilter(ts) AND ${inVar('model', 'model')} ORDER BY version`,
    }),
    queryVariable({
      name: 'environment', label: 'Environment', multi: true, description: 'Deployment environments of the selected models in the time range.',
      sql: `SELECT DISTINCT environment FROM ${predictions} WHERE $__timeFilter(ts) AND ${inVar('model', 'model')} AND ${inVar('version', 'version')} ORDER BY environment`,
    }),
  ];
}
