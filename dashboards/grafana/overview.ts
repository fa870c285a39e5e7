/** Model overview: traffic, errors and latency per model version, from the latency rollup (minute, hour and day levels). */
import { dashboard, sql, sqlAnnotation, stat, table, timeseries, type Dashboard } from './builders.ts';
import { levelRows, SERIES_COARSEST } from './levels-sql.ts';
import { commonVariables, labelScope, predictionScope, tbl, versionScope } from './scope.ts';

const SERIES = '${__field.labels.model_version}';

/** The model overview dashboard. */
export function overviewDashboard(): Dashboard {
  // The selected versions' rollup rows over the range: whole days and hours from their levels.
  const latency = levelRows('latency', { where: versionScope() });
  // The same for a time series: no level coarser than its points.
  const latencySeries = levelRows('latency', { where: versionScope(), coarsest: SERIES_COARSEST });
  return dashboard({
    uid: 'modelwatch-overview',
    title: 'modelwatch / Model overview',
    description: 'Throughput, errors and latency per model version (rollups: minutes, whole hours and days from their own levels), with the analyzers\' model performance.',
    tags: ['overview'],
    variables: commonVariables(),
    annotations: [
      sqlAnnotation('Alerts firing', sql`
        SELECT ts AS time, concat(rule, ' firing', if(value IS NULL, '', concat(' (value ', toString(round(assumeNotNull(value), 4)), ')'))) AS text,
               arrayStringConcat(arrayFilter(x -> x != '', [labels['model'], labels['version'], labels['severity']]), ',') AS tags
        FROM ${tbl('alert_history')}
        WHERE $__timeFilter(ts) AND to_state = 'firing'
          AND ${labelScope('labels')}
        ORDER BY ts`, 'red'),
    ],
    sections: [
      {
        title: 'Now',
        panels: [
          stat({
            title: 'Predictions', description: 'Predictions of the selected model versions in the time range.', unit: 'short',
            sql: sql`SELECT sum(predictions) AS predictions FROM ${latency}`,
          }),
          stat({
            title: 'Error rate', description: 'Share of predictions that carried an error.type.', unit: 'percentunit', decimals: 2,
            thresholds: [[0.01, 'orange'], [0.05, 'red']],
            sql: sql`SELECT sum(errors) / greatest(sum(predictions), 1) AS error_rate FROM ${latency}`,
          }),
          stat({
            title: 'Latency p99', description: 'p99 of ml.inference.duration_ms over the time range (quantilesDD sketches, 1% relative accuracy).', unit: 'ms',
            sql: sql`SELECT quantilesDDMerge(0.01, 0.99)(latency_sketch)[1] AS p99_ms FROM ${latency} WHERE with_latency > 0`,
          }),
          stat({
            title: 'Model versions', description: 'Model versions with predictions in the time range.', unit: 'short',
            sql: sql`SELECT uniqExact(model, version) AS model_versions FROM ${latency}`,
          }),
        ],
      },
      {
        title: 'Traffic and errors',
        panels: [
          timeseries({
            title: 'Throughput by version', description: 'Predictions per second, per model version.', unit: 'reqps', interval: '1m', displayName: SERIES,
            sql: sql`
              SELECT $__timeInterval(period) AS time, concat(model, ' ', version) AS model_version, sum(predictions) / $__interval_s AS predictions_per_s
              FROM ${latencySeries}
              GROUP BY time, model_version
              ORDER BY time, model_version`,
          }),
          timeseries({
            title: 'Error rate by version', description: 'Share of predictions with an error, per model version.', unit: 'percentunit', interval: '1m', displayName: SERIES,
            min: 0, thresholds: [[0.05, 'red']],
            sql: sql`
              SELECT $__timeInterval(period) AS time, concat(model, ' ', version) AS model_version, sum(errors) / sum(predictions) AS error_rate
              FROM ${latencySeries}
              GROUP BY time, model_version
              HAVING sum(predictions) > 0
              ORDER BY time, model_version`,
          }),
          timeseries({
            title: 'Throughput by environment', description: 'Predictions per second per deployment environment (raw predictions: the rollups carry no environment).',
            unit: 'reqps', displayName: '${__field.labels.environment}',
            sql: sql`
              SELECT $__timeInterval(ts) AS time, environment, count() / $__interval_s AS predictions_per_s
              FROM ${tbl('predictions')}
              WHERE $__timeFilter(ts)
                AND ${predictionScope()}
              GROUP BY time, environment
              ORDER BY time, environment`,
          }),
          timeseries({
            title: 'Errors by type', description: 'Failed predictions per interval, by error.type (raw predictions).', unit: 'short', bars: true, stack: true,
            displayName: '${__field.labels.error_type}',
            sql: sql`
              SELECT $__timeInterval(ts) AS time, error_type, count() AS errors
              FROM ${tbl('predictions')}
              WHERE $__timeFilter(ts) AND error_type != ''
                AND ${predictionScope()}
              GROUP BY time, error_type
              ORDER BY time, error_type`,
          }),
        ],
      },
      {
        title: 'Latency',
        panels: [
          timeseries({
            title: 'Latency p50 / p95 / p99 by version', description: 'Inference latency quantiles per model version, merged from the rollups\' quantilesDD sketches.',
            unit: 'ms', interval: '1m', w: 24, h: 9, displayName: '${__field.labels.model_version} ${__field.name}',
            sql: sql`
              SELECT time, model_version, q[1] AS p50, q[2] AS p95, q[3] AS p99
              FROM (
                SELECT $__timeInterval(period) AS time, concat(model, ' ', version) AS model_version,
                       quantilesDDMerge(0.01, 0.5, 0.95, 0.99)(latency_sketch) AS q
                FROM ${latencySeries}
                WHERE with_latency > 0
                GROUP BY time, model_version
              )
              ORDER BY time, model_version`,
          }),
          table({
            title: 'Model versions', description: 'Per model version over the time range: traffic, errors and latency; first and last rollup bucket with traffic (minutes at the edges of the range, whole hours or days inside it).',
            overrides: [
              { matcher: { id: 'byName', options: 'error_rate' }, properties: [{ id: 'unit', value: 'percentunit' }] },
              { matcher: { id: 'byRegexp', options: '^(mean|p50|p95|p99|max)_ms$' }, properties: [{ id: 'unit', value: 'ms' }] },
            ],
            sql: sql`
              SELECT model, version, predictions, errors / predictions AS error_rate, mean_ms, q[1] AS p50_ms, q[2] AS p95_ms, q[3] AS p99_ms, max_ms, first_bucket, last_bucket
              FROM (
                SELECT model, version, sum(predictions) AS predictions, sum(errors) AS errors,
                       sum(latency_sum) / nullIf(sum(with_latency), 0) AS mean_ms,
                       quantilesDDMerge(0.01, 0.5, 0.95, 0.99)(latency_sketch) AS q,
                       if(sum(with_latency) > 0, toFloat64(max(latency_max)), NULL) AS max_ms,
                       min(period) AS first_bucket, max(period) AS last_bucket
                FROM ${latency}
                GROUP BY model, version
              )
              WHERE predictions > 0
              ORDER BY model, version`,
          }),
        ],
      },
      {
        title: 'Model performance (ground truth)',
        panels: [
          table({
            title: 'Performance, latest window', description: 'The performance analyzer\'s latest figures per model version (accuracy, F1, ROC AUC or MAE, RMSE, MAPE; label coverage).',
            sql: sql`
              SELECT model, version, metric, argMax(value, (window_end, computed_at)) AS latest, max(window_end) AS latest_window
              FROM ${tbl('analysis_results')}
              WHERE analyzer = 'performance' AND status != 'nodata' AND segment = ''
                AND $__timeFilter(window_end)
                AND ${versionScope()}
              GROUP BY model, version, metric
              ORDER BY model, version, metric`,
          }),
        ],
      },
    ],
  });
}
