/** GPUs: utilization, memory, idle GPUs, GPU cost per prediction, power and temperature. */
import { dashboard, sql, stat, table, timeseries, type Dashboard } from './builders.ts';
import { levelRows, SERIES_COARSEST } from './levels-sql.ts';
import { commonVariables, hostScope, tbl, versionScope } from './scope.ts';

const RESULTS = tbl('analysis_results');
const SERIES = '${__field.labels.gpu}';

/** The GPU rollup's rows of the GPUs in scope over the range (`where`: a condition on its columns); `series`: no level coarser than the panel's points. */
function gpuRows(where: string, series: boolean): string {
  return levelRows('gpu', { where: `${where}\n  AND ${hostScope()}`, coarsest: series ? SERIES_COARSEST : undefined });
}

/** A per-GPU time series of one hw.gpu.* metric from the rollup: mean (sum / samples) or max. */
function gpuMetricSql(metric: string, agg: 'mean' | 'max', column: string): string {
  const value = agg === 'mean' ? 'sum(sum) / sum(samples)' : 'toFloat64(max(max))';
  return sql`
    SELECT $__timeInterval(period) AS time, concat(host, '/', gpu_id) AS gpu, ${value} AS ${column}
    FROM ${gpuRows(`metric = '${metric}'`, true)}
    GROUP BY time, gpu
    ORDER BY time, gpu`;
}

/** The GPU dashboard. */
export function gpuDashboard(): Dashboard {
  const latestGpu = `analyzer = 'gpu' AND subject != '__all__' AND $__timeFilter(window_end)\n  AND ${hostScope("JSONExtractString(details, 'host')")}`;
  return dashboard({
    uid: 'modelwatch-gpu',
    title: 'modelwatch / GPUs',
    description: 'GPU utilization, memory, idle GPUs, GPU-seconds per 1,000 predictions, power and temperature (hw.gpu.* metrics). A model, version or environment selection keeps the hosts that served it.',
    tags: ['gpu'],
    variables: commonVariables(),
    sections: [
      {
        title: 'Fleet',
        panels: [
          stat({
            title: 'GPUs reporting', description: 'GPUs that sent hw.gpu.* samples in the time range.', unit: 'short',
            sql: sql`SELECT uniqExact(host, gpu_id) AS gpus FROM ${gpuRows('1', false)}`,
          }),
          stat({
            title: 'Idle GPUs', description: 'GPUs the GPU analyzer marked idle in its latest window: utilization below 5% while holding more than 1 GiB of memory.',
            unit: 'short', thresholds: [[1, 'orange']],
            sql: sql`
              SELECT countIf(idle = 1) AS idle_gpus
              FROM (
                SELECT subject, argMax(value, (window_end, computed_at)) AS idle
                FROM ${RESULTS}
                WHERE metric = 'idle' AND status != 'nodata' AND ${latestGpu}
                GROUP BY subject
              )`,
          }),
          stat({
            title: 'Mean utilization', description: 'Mean utilization over all reporting GPUs in the time range.', unit: 'percentunit', decimals: 1,
            sql: sql`SELECT sum(sum) / greatest(sum(samples), 1) AS utilization FROM ${gpuRows("metric = 'hw.gpu.utilization'", false)}`,
          }),
          stat({
            title: 'GPU-seconds per 1,000 predictions', description: 'The GPU analyzer\'s latest figure over all GPUs and models: busy GPU time (utilization x time) per 1,000 predictions.',
            unit: 's', decimals: 2,
            sql: sql`
              SELECT argMax(value, (window_end, computed_at)) AS gpu_seconds_per_1k
              FROM ${RESULTS}
              WHERE analyzer = 'gpu' AND subject = '__all__' AND metric = 'gpu_seconds_per_1k_predictions' AND status != 'nodata'
                AND $__timeFilter(window_end)`,
          }),
        ],
      },
      {
        title: 'Utilization and memory',
        panels: [
          timeseries({
            title: 'Utilization per GPU', description: 'Mean hw.gpu.utilization per GPU (host/GPU id).', unit: 'percentunit', min: 0, max: 1, interval: '1m', displayName: SERIES,
            sql: gpuMetricSql('hw.gpu.utilization', 'mean', 'utilization'),
          }),
          timeseries({
            title: 'Memory used per GPU', description: 'Mean hw.gpu.memory.usage per GPU.', unit: 'bytes', min: 0, interval: '1m', displayName: SERIES,
            sql: gpuMetricSql('hw.gpu.memory.usage', 'mean', 'memory_used'),
          }),
          timeseries({
            title: 'Memory used / limit', description: 'hw.gpu.memory.usage over hw.gpu.memory.limit per GPU; near 1 means memory pressure.',
            unit: 'percentunit', min: 0, max: 1, interval: '1m', displayName: SERIES, thresholds: [[0.95, 'red']],
            sql: sql`
              SELECT time, gpu, used / memory_limit AS memory_used_ratio
              FROM (
                SELECT $__timeInterval(period) AS time, concat(host, '/', gpu_id) AS gpu,
                       sumIf(sum, metric = 'hw.gpu.memory.usage') / sumIf(samples, metric = 'hw.gpu.memory.usage') AS used,
                       maxIf(max, metric = 'hw.gpu.memory.limit') AS memory_limit
                FROM ${gpuRows("metric IN ('hw.gpu.memory.usage', 'hw.gpu.memory.limit')", true)}
                GROUP BY time, gpu
              )
              WHERE memory_limit > 0 AND isFinite(used)
              ORDER BY time, gpu`,
          }),
          timeseries({
            title: 'GPU-seconds per 1,000 predictions',
            description: 'A: busy GPU time (mean utilization x length of each rollup bucket a GPU reported in, minutes or whole hours and days, summed over the GPUs in scope) per 1,000 predictions of the selected model versions. B: the GPU analyzer\'s figure per window (all GPUs, all models).',
            unit: 's', interval: '1m',
            sql: [sql`
              SELECT g.time AS time, g.gpu_seconds * 1000 / p.predictions AS gpu_seconds_per_1k
              FROM (
                SELECT $__timeInterval(period) AS time, sum(utilization * bucket_s) AS gpu_seconds
                FROM (
                  SELECT period, bucket_s, host, gpu_id, sum(sum) / sum(samples) AS utilization
                  FROM ${gpuRows("metric = 'hw.gpu.utilization'", true)}
                  GROUP BY period, bucket_s, host, gpu_id
                )
                GROUP BY time
              ) AS g
              INNER JOIN (
                SELECT $__timeInterval(period) AS time, sum(predictions) AS predictions
                FROM ${levelRows('latency', { where: versionScope(), coarsest: SERIES_COARSEST })}
                GROUP BY time
              ) AS p ON g.time = p.time
              WHERE p.predictions > 0
              ORDER BY time`, sql`
              SELECT window_end AS time, argMax(value, computed_at) AS analyzer_all_models
              FROM ${RESULTS}
              WHERE analyzer = 'gpu' AND subject = '__all__' AND metric = 'gpu_seconds_per_1k_predictions' AND status != 'nodata'
                AND $__timeFilter(window_end)
              GROUP BY time
              ORDER BY time`],
          }),
        ],
      },
      {
        title: 'Idle GPUs',
        panels: [
          table({
            title: 'GPUs, latest analyzer window', description: 'Per GPU, the GPU analyzer\'s latest window: idle verdict, utilization, memory pressure, throttling, temperature and power. Idle GPUs first.',
            overrides: [
              { matcher: { id: 'byRegexp', options: '^(utilization_mean|utilization_p95|memory_used_ratio|throttled_share)$' }, properties: [{ id: 'unit', value: 'percentunit' }] },
              { matcher: { id: 'byName', options: 'temperature_max' }, properties: [{ id: 'unit', value: 'celsius' }] },
              { matcher: { id: 'byName', options: 'power_mean' }, properties: [{ id: 'unit', value: 'watt' }] },
            ],
            sql: sql`
              SELECT subject AS gpu, any(JSONExtractString(details, 'gpu_name')) AS gpu_name,
                     argMaxIf(value, (window_end, computed_at), metric = 'idle') AS idle,
                     argMaxIf(value, (window_end, computed_at), metric = 'utilization_mean') AS utilization_mean,
                     argMaxIf(value, (window_end, computed_at), metric = 'utilization_p95') AS utilization_p95,
                     argMaxIf(value, (window_end, computed_at), metric = 'memory_pressure') AS memory_used_ratio,
                     argMaxIf(value, (window_end, computed_at), metric = 'throttled_share') AS throttled_share,
                     argMaxIf(value, (window_end, computed_at), metric = 'temperature_max') AS temperature_max,
                     argMaxIf(value, (window_end, computed_at), metric = 'power_mean') AS power_mean,
                     max(window_end) AS latest_window
              FROM ${RESULTS}
              WHERE status != 'nodata' AND ${latestGpu}
              GROUP BY subject
              ORDER BY idle DESC, gpu`,
          }),
        ],
      },
      {
        title: 'Power and temperature',
        panels: [
          timeseries({
            title: 'Power draw per GPU', description: 'Mean hw.gpu.power.draw per GPU.', unit: 'watt', min: 0, interval: '1m', displayName: SERIES,
            sql: gpuMetricSql('hw.gpu.power.draw', 'mean', 'power'),
          }),
          timeseries({
            title: 'Temperature per GPU', description: 'Highest hw.gpu.temperature per GPU and interval.', unit: 'celsius', interval: '1m', displayName: SERIES,
            thresholds: [[85, 'red']],
            sql: gpuMetricSql('hw.gpu.temperature', 'max', 'temperature'),
          }),
        ],
      },
    ],
  });
}
