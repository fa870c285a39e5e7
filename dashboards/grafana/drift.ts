/** Drift and data quality: the drift analyzer's results, per-feature rollups and the quality checks. */
import { barchart, dashboard, heatmap, queryVariable, sql, stat, table, timeseries, type Dashboard } from './builders.ts';
import { levelRows, SERIES_COARSEST } from './levels-sql.ts';
import { commonVariables, inVar, tbl, versionScope } from './scope.ts';

const RESULTS = tbl('analysis_results');

/**
 * Drift score of one result row, comparable across methods: 1 is the method's threshold, above 1
 * drifts. Distances drift at or above the threshold (value / threshold); p-value tests drift below it
 * (threshold / p-value). Capped at 5 so one extreme p-value does not flatten the colour scale.
 */
const SCORE = 'least(if(p_value IS NULL, value / threshold, threshold / greatest(p_value, 1e-12)), 5)';

/** The window before the dashboard's range, of the same length: the reference of the distribution panel. */
const REFERENCE_START = "subtractSeconds($__fromTime, dateDiff('second', $__fromTime, $__toTime))";

/**
 * Rows of a per-feature rollup for the distribution panel: the reference window and the current
 * range, each read over its own levels (whole days and hours of each from the coarser levels),
 * `in_reference` telling them apart.
 */
function referenceAndCurrent(signal: 'feature_num' | 'feature_cat', where: string): string {
  return sql`
    (
      SELECT *, 1 AS in_reference FROM ${levelRows(signal, { where, from: REFERENCE_START, to: '$__fromTime' })}
      UNION ALL
      SELECT *, 0 AS in_reference FROM ${levelRows(signal, { where })}
    )`;
}

/** The selected feature of the selected model versions, on a per-feature rollup. */
const FEATURE = `feature = \${feature:sqlstring}\n  AND ${versionScope()}`;

/** The drift dashboard. */
export function driftDashboard(): Dashboard {
  const results = (extra: string) => `${extra}\n  AND $__timeFilter(window_end)\n  AND ${versionScope()}`;
  return dashboard({
    uid: 'modelwatch-drift',
    title: 'modelwatch / Drift and data quality',
    description: 'Dataset and per-feature drift from the drift analyzer, reference against current distributions, and data quality checks.',
    tags: ['drift'],
    variables: [
      ...commonVariables(),
      queryVariable({
        name: 'feature', label: 'Feature', multi: false, description: 'Feature shown in the reference against current panel.',
        sql: sql`
          SELECT DISTINCT feature FROM (
            SELECT feature FROM ${levelRows('feature_num', { where: `${inVar('model', 'model')} AND ${inVar('version', 'version')}` })}
            UNION ALL
            SELECT feature FROM ${levelRows('feature_cat', { where: `${inVar('model', 'model')} AND ${inVar('version', 'version')}` })}
          )
          ORDER BY feature`,
      }),
    ],
    sections: [
      {
        title: 'Dataset drift',
        panels: [
          stat({
            title: 'Drift share, latest', description: 'Highest share of drifted features among the selected model versions, in their latest analyzed window.',
            unit: 'percentunit', thresholds: [[0.3, 'orange'], [0.5, 'red']], w: 6,
            sql: sql`
              SELECT max(share) AS drift_share
              FROM (
                SELECT model, version, argMax(value, (window_end, computed_at)) AS share
                FROM ${RESULTS}
                WHERE ${results("analyzer = 'drift' AND subject = '__dataset__' AND metric = 'drift_share' AND segment = '' AND status != 'nodata'")}
                GROUP BY model, version
              )`,
          }),
          stat({
            title: 'Drifting features, latest', description: 'Features whose latest drift verdict is drift, over the selected model versions.',
            unit: 'short', thresholds: [[1, 'orange']], w: 6,
            sql: sql`
              SELECT countIf(verdict = 'drift') AS drifting_features
              FROM (
                SELECT model, version, subject, argMax(status, (window_end, computed_at)) AS verdict
                FROM ${RESULTS}
                WHERE ${results("analyzer = 'drift' AND metric = 'drift' AND segment = '' AND subject != '__prediction__'")}
                GROUP BY model, version, subject
              )`,
          }),
          stat({
            title: 'Null-rate rises, latest', description: 'Features whose null rate rose beyond the threshold against the reference, in the latest analyzed window.',
            unit: 'short', thresholds: [[1, 'orange']], w: 6,
            sql: sql`
              SELECT countIf(verdict = 'drift') AS null_rate_rises
              FROM (
                SELECT model, version, subject, argMax(status, (window_end, computed_at)) AS verdict
                FROM ${RESULTS}
                WHERE ${results("analyzer = 'drift' AND metric = 'null_rate' AND segment = ''")}
                GROUP BY model, version, subject
              )`,
          }),
          stat({
            title: 'Quality warnings, latest', description: 'Quality checks in warning in the latest analyzed window: type violations, out-of-range values, unseen categories, schema changes.',
            unit: 'short', thresholds: [[1, 'orange']], w: 6,
            sql: sql`
              SELECT countIf(verdict = 'warn') AS quality_warnings
              FROM (
                SELECT model, version, subject, metric, argMax(status, (window_end, computed_at)) AS verdict
                FROM ${RESULTS}
                WHERE ${results("analyzer = 'quality' AND segment = ''")}
                GROUP BY model, version, subject, metric
              )`,
          }),
          timeseries({
            title: 'Drift share over time', description: 'Share of drifted features per analyzed window (at window end); the dataset drifts at the configured share (default 0.5).',
            unit: 'percentunit', min: 0, max: 1, thresholds: [[0.5, 'red']], displayName: '${__field.labels.model_version}', w: 24,
            sql: sql`
              SELECT window_end AS time, concat(model, ' ', version) AS model_version, argMax(value, computed_at) AS drift_share
              FROM ${RESULTS}
              WHERE ${results("analyzer = 'drift' AND subject = '__dataset__' AND metric = 'drift_share' AND segment = '' AND status != 'nodata'")}
              GROUP BY time, model_version
              ORDER BY time, model_version`,
          }),
          heatmap({
            title: 'Drift score per feature',
            description: 'Per feature and window: the drift statistic relative to its threshold (1 = at the threshold, above drifts; p-value tests as threshold / p-value; capped at 5). Highest among the selected model versions.',
            unit: 'none',
            sql: sql`
              SELECT $__timeInterval(window_end) AS time, subject AS feature, max(score) AS drift_score
              FROM (
                SELECT model, version, window_end, subject, argMax(${SCORE}, computed_at) AS score
                FROM ${RESULTS}
                WHERE ${results("analyzer = 'drift' AND metric = 'drift' AND segment = '' AND status != 'nodata' AND threshold > 0")}
                GROUP BY model, version, window_end, subject
              )
              GROUP BY time, feature
              ORDER BY time, feature`,
          }),
          table({
            title: 'Features, latest verdict', description: 'Latest drift result per feature: method, statistic, p-value, threshold and the reference it was compared with. Drifting features first.',
            overrides: [{ matcher: { id: 'byName', options: 'verdict' }, properties: [{ id: 'custom.cellOptions', value: { type: 'color-text' } }, { id: 'mappings', value: [{ type: 'value', options: { drift: { color: 'red', index: 0 }, ok: { color: 'green', index: 1 } } }] }] }],
            sql: sql`
              SELECT model, version, subject AS feature, argMax(status, (window_end, computed_at)) AS verdict,
                     argMax(method, (window_end, computed_at)) AS drift_method, argMax(value, (window_end, computed_at)) AS statistic,
                     argMax(p_value, (window_end, computed_at)) AS pvalue, argMax(threshold, (window_end, computed_at)) AS drift_threshold,
                     argMax(analysis_results.reference, (window_end, computed_at)) AS compared_with, max(window_end) AS latest_window
              FROM ${RESULTS} AS analysis_results
              WHERE ${results("analyzer = 'drift' AND metric = 'drift' AND segment = ''")}
              GROUP BY model, version, subject
              ORDER BY verdict = 'drift' DESC, model, version, feature`,
          }),
        ],
      },
      {
        title: 'Reference against current: $feature',
        panels: [
          barchart({
            title: 'Distribution of $feature',
            description: 'Reference = the window of the same length just before the time range (the analyzer\'s default previous-window reference); current = the time range; each read from the rollups, whole days and hours from their own levels. Numeric features: quantiles (p5 to p95) on each side, from the t-digest rollups. Categorical features: share of each category.',
            xField: 'bucket', w: 24,
            sql: sql`
              SELECT bucket, reference, current
              FROM (
                SELECT 0 AS kind, q AS ord, concat('p', toString(q)) AS bucket, r AS reference, c AS current
                FROM (
                  SELECT quantilesTDigestMergeIf(0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)(digest, in_reference = 1) AS ref_q,
                         quantilesTDigestMergeIf(0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)(digest, in_reference = 0) AS cur_q,
                         sumIf(count, in_reference = 1) AS ref_n, sumIf(count, in_reference = 0) AS cur_n
                  FROM ${referenceAndCurrent('feature_num', FEATURE)}
                  GROUP BY feature
                  HAVING ref_n > 0 AND cur_n > 0
                )
                ARRAY JOIN [5, 10, 25, 50, 75, 90, 95] AS q, ref_q AS r, cur_q AS c
                UNION ALL
                SELECT 1 AS kind, -(ref_share + cur_share) AS ord, category AS bucket, ref_share AS reference, cur_share AS current
                FROM (
                  SELECT category, ref / greatest(sum(ref) OVER (), 1) AS ref_share, cur / greatest(sum(cur) OVER (), 1) AS cur_share
                  FROM (
                    SELECT category, sumIf(count, in_reference = 1) AS ref, sumIf(count, in_reference = 0) AS cur
                    FROM ${referenceAndCurrent('feature_cat', FEATURE)}
                    GROUP BY category
                  )
                )
              )
              ORDER BY kind, ord, bucket
              LIMIT 50`,
          }),
        ],
      },
      {
        title: 'Data quality',
        panels: [
          timeseries({
            title: 'Null rate per feature', description: 'Share of predictions where the feature was null (rollups, whole hours and days from their levels when the interval allows); highest among the selected model versions.',
            unit: 'percentunit', interval: '1m', min: 0, displayName: '${__field.labels.feature}',
            sql: sql`
              SELECT time, feature, max(nulls / predictions) AS null_rate
              FROM (
                SELECT $__timeInterval(period) AS time, model, version, feature, sum(nulls) AS nulls
                FROM ${levelRows('feature_null', { where: versionScope(), coarsest: SERIES_COARSEST })}
                GROUP BY time, model, version, feature
              ) AS n
              INNER JOIN (
                SELECT $__timeInterval(period) AS time, model, version, sum(predictions) AS predictions
                FROM ${levelRows('latency', { where: versionScope(), coarsest: SERIES_COARSEST })}
                GROUP BY time, model, version
              ) AS p USING (time, model, version)
              WHERE predictions > 0
              GROUP BY time, feature
              ORDER BY time, feature`,
          }),
          table({
            title: 'Quality checks, latest window', description: 'The quality analyzer\'s latest checks per feature: type violations, values out of the reference range, unseen categories, schema changes. Warnings first.',
            w: 12,
            sql: sql`
              SELECT model, version, subject AS feature, metric AS quality_check, argMax(status, (window_end, computed_at)) AS verdict,
                     argMax(value, (window_end, computed_at)) AS latest, argMax(details, (window_end, computed_at)) AS detail, max(window_end) AS latest_window
              FROM ${RESULTS}
              WHERE ${results("analyzer = 'quality' AND metric != 'null_rate' AND segment = ''")}
              GROUP BY model, version, subject, metric
              ORDER BY verdict = 'warn' DESC, model, version, feature, quality_check`,
          }),
        ],
      },
    ],
  });
}
