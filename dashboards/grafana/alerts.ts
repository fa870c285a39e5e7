/** Alerts: what fires now, the history of state changes, and notification deliveries. */
import { dashboard, sql, stat, table, timeseries, type Dashboard } from './builders.ts';
import { commonVariables, labelScope, tbl } from './scope.ts';

/**
 * The live alert series: the latest write of each (rule, fingerprint), without deleted ones. The state
 * store rewrites a series on every change (ReplacingMergeTree on `ver`), so the latest `ver` wins.
 */
const LIVE_SERIES = sql`
    SELECT rule, fingerprint, argMax(state, ver) AS series_state, argMax(labels, ver) AS lbls,
           argMax(since, ver) AS since_at, argMax(value, ver) AS last_value, argMax(deleted, ver) AS is_deleted
    FROM ${tbl('alert_series')}
    GROUP BY rule, fingerprint
    HAVING is_deleted = 0`;

/** States in which a series notifies (Grafana's Alerting, NoData and Error). */
const ALERTING = "('firing', 'nodata', 'error')";

/** The alerts dashboard. */
export function alertsDashboard(): Dashboard {
  const history = tbl('alert_history');
  return dashboard({
    uid: 'modelwatch-alerts',
    title: 'modelwatch / Alerts',
    description: 'Alerts firing now, their history and notification deliveries. Model, version and environment filters keep the alerts labelled with them, and alerts with no such label (GPU alerts, custom queries).',
    tags: ['alerts'],
    variables: commonVariables(),
    sections: [
      {
        title: 'Now',
        panels: [
          stat({
            title: 'Firing now', description: 'Alert series in an alerting state (firing, no data, error).', unit: 'short', thresholds: [[1, 'red']], colorMode: 'background',
            sql: sql`
              SELECT countIf(series_state IN ${ALERTING}) AS firing
              FROM (
                ${LIVE_SERIES}
              )
              WHERE ${labelScope('lbls')}`,
          }),
          stat({
            title: 'Pending now', description: 'Alert series whose condition holds but whose `for` has not elapsed yet.', unit: 'short', thresholds: [[1, 'orange']],
            sql: sql`
              SELECT countIf(series_state = 'pending') AS pending
              FROM (
                ${LIVE_SERIES}
              )
              WHERE ${labelScope('lbls')}`,
          }),
          stat({
            title: 'Fired in range', description: 'Transitions to firing in the time range.', unit: 'short',
            sql: sql`SELECT count() AS fired FROM ${history} WHERE $__timeFilter(ts) AND to_state = 'firing'\n  AND ${labelScope('labels')}`,
          }),
          stat({
            title: 'Failed deliveries in range', description: 'Notification attempts that failed or will be retried, in the time range.', unit: 'short', thresholds: [[1, 'orange']],
            sql: sql`SELECT countIf(status != 'ok') AS failed_deliveries FROM ${tbl('alert_deliveries')} WHERE $__timeFilter(ts)`,
          }),
          table({
            title: 'Firing and pending', description: 'Live alert series that are not inactive: state, since when, last value and labels. Alerting states first.',
            overrides: [{ matcher: { id: 'byName', options: 'state' }, properties: [{ id: 'custom.cellOptions', value: { type: 'color-text' } }, { id: 'mappings', value: [{ type: 'value', options: { firing: { color: 'red', index: 0 }, pending: { color: 'orange', index: 1 }, nodata: { color: 'purple', index: 2 }, error: { color: 'dark-red', index: 3 } } }] }] }],
            sql: sql`
              SELECT rule, series_state AS state, since_at AS since, last_value AS value,
                     lbls['severity'] AS severity, lbls['model'] AS model, lbls['version'] AS version, lbls['feature'] AS feature, lbls['gpu'] AS gpu,
                     toString(lbls) AS labels
              FROM (
                ${LIVE_SERIES}
              )
              WHERE series_state IN ('firing', 'pending', 'nodata', 'error')
                AND ${labelScope('lbls')}
              ORDER BY series_state = 'pending', since_at DESC`,
          }),
        ],
      },
      {
        title: 'History',
        panels: [
          timeseries({
            title: 'State changes', description: 'Alert state changes per interval, by the state entered.', unit: 'short', bars: true, stack: true, w: 24,
            displayName: '${__field.labels.state}',
            sql: sql`
              SELECT $__timeInterval(ts) AS time, to_state AS state, count() AS changes
              FROM ${history}
              WHERE $__timeFilter(ts)
                AND ${labelScope('labels')}
              GROUP BY time, state
              ORDER BY time, state`,
          }),
          table({
            title: 'History', description: 'Every state change in the time range, newest first, with whether the alert was silenced or inhibited at the time.', h: 10,
            sql: sql`
              SELECT ts AS time, rule, from_state, to_state, value, labels['severity'] AS severity, labels['model'] AS model, labels['version'] AS version,
                     toString(labels) AS all_labels, silenced, inhibited
              FROM ${history}
              WHERE $__timeFilter(ts)
                AND ${labelScope('labels')}
              ORDER BY ts DESC
              LIMIT 1000`,
          }),
          table({
            title: 'Notification deliveries', description: 'Every delivery attempt to Slack, webhooks and Alertmanager in the time range, newest first (deliveries carry no model labels).', h: 8,
            sql: sql`
              SELECT ts AS time, receiver, receiver_type, status, http_status, attempt, alerts, firing, resolved, duration_ms, error
              FROM ${tbl('alert_deliveries')}
              WHERE $__timeFilter(ts)
              ORDER BY ts DESC, attempt DESC
              LIMIT 500`,
          }),
        ],
      },
    ],
  });
}
