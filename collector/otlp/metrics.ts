import { readResource } from './resource.ts';
import { attributesToStringMap, int64ToNumber, nanosToMillis, nanosToSeconds, nanosToString } from './values.ts';

/** A gauge or sum data point row (`metric_points`). */
export interface MetricPointRow {
  ts: string;
  start_ts: string;
  name: string;
  kind: 'gauge' | 'sum';
  unit: string;
  service: string;
  is_monotonic: number;
  temporality: number;
  value: number;
  resource_attributes: Record<string, string>;
  attributes: Record<string, string>;
}

/** A histogram data point row (`metric_histograms`). */
export interface HistogramRow {
  ts: string;
  start_ts: string;
  name: string;
  unit: string;
  service: string;
  temporality: number;
  count: number;
  sum: number | null;
  min: number | null;
  max: number | null;
  bounds: number[];
  bucket_counts: number[];
  resource_attributes: Record<string, string>;
  attributes: Record<string, string>;
}

/** A GPU sample row (`gpu_samples`), one per hw.gpu.* data point. */
export interface GpuSampleRow {
  ts: number;
  host: string;
  gpu_id: string;
  gpu_name: string;
  service: string;
  metric: string;
  value: number;
  attributes: Record<string, string>;
}

/** Rows from one metrics export request. */
export interface MetricsBatch {
  points: MetricPointRow[];
  histograms: HistogramRow[];
  gpu: GpuSampleRow[];
  rejected: number;
  errors: string[];
}

const hasOwn = Object.prototype.hasOwnProperty;
const MAX_ERRORS = 5;

function pointValue(dp: any): number {
  if (hasOwn.call(dp, 'asDouble')) return Number(dp.asDouble);
  if (hasOwn.call(dp, 'asInt')) return int64ToNumber(dp.asInt);
  return NaN;
}

function optNum(dp: any, key: string): number | null {
  return hasOwn.call(dp, key) && dp[key] !== null ? Number(dp[key]) : null;
}

/** Converts a decoded ExportMetricsServiceRequest into rows; hw.gpu.* points also become GPU samples. */
export function transformMetrics(req: any, now = Date.now()): MetricsBatch {
  const out: MetricsBatch = { points: [], histograms: [], gpu: [], rejected: 0, errors: [] };
  const nowNs = String(now) + '000000';
  for (const rm of req?.resourceMetrics ?? []) {
    const res = readResource(rm?.resource);
    for (const sm of rm?.scopeMetrics ?? []) {
      for (const m of sm?.metrics ?? []) {
        const name: string = typeof m?.name === 'string' ? m.name : '';
        const reject = (n: number, why: string) => {
          out.rejected += n;
          if (out.errors.length < MAX_ERRORS) out.errors.push(`metric ${JSON.stringify(name)}: ${why}`);
        };
        if (!name) { reject(1, 'metric without a name'); continue; }
        const unit: string = m.unit ?? '';
        if (m.gauge || m.sum) {
          const kind = m.gauge ? 'gauge' : 'sum';
          const body = m.gauge ?? m.sum;
          for (const dp of body.dataPoints ?? []) {
            const value = pointValue(dp);
            const tsNs = nanosToString(dp.timeUnixNano);
            if (!Number.isFinite(value)) { reject(1, 'data point without a finite value'); continue; }
            if (tsNs === 'NaN') { reject(1, 'timestamp cannot be parsed'); continue; }
            const ts = tsNs === '0' ? nowNs : tsNs;
            const startNs = nanosToString(dp.startTimeUnixNano);
            const attributes = attributesToStringMap(dp.attributes);
            out.points.push({
              ts: nanosToSeconds(ts),
              start_ts: nanosToSeconds(startNs === 'NaN' || startNs === '0' ? ts : startNs),
              name, kind, unit, service: res.service,
              is_monotonic: m.sum?.isMonotonic ? 1 : 0,
              temporality: Number(m.sum?.aggregationTemporality ?? 0) || 0,
              value,
              resource_attributes: res.attributes,
              attributes,
            });
            if (name.startsWith('hw.gpu.')) {
              out.gpu.push({
                ts: nanosToMillis(ts),
                host: attributes['host.name'] ?? res.host,
                gpu_id: attributes['hw.id'] ?? '',
                gpu_name: attributes['hw.name'] ?? '',
                service: res.service,
                metric: name,
                value,
                attributes,
              });
            }
          }
        } else if (m.histogram) {
          for (const dp of m.histogram.dataPoints ?? []) {
            const tsNs = nanosToString(dp.timeUnixNano);
            if (tsNs === 'NaN') { reject(1, 'timestamp cannot be parsed'); continue; }
            const ts = tsNs === '0' ? nowNs : tsNs;
            const startNs = nanosToString(dp.startTimeUnixNano);
            const counts: number[] = (dp.bucketCounts ?? []).map(int64ToNumber);
            const bounds: number[] = (dp.explicitBounds ?? []).map(Number);
            if (counts.length > 0 && counts.length !== bounds.length + 1) { reject(1, `bucket_counts has ${counts.length} entries for ${bounds.length} bounds`); continue; }
            out.histograms.push({
              ts: nanosToSeconds(ts),
              start_ts: nanosToSeconds(startNs === 'NaN' || startNs === '0' ? ts : startNs),
              name, unit, service: res.service,
              temporality: Number(m.histogram.aggregationTemporality ?? 0) || 0,
              count: int64ToNumber(dp.count ?? 0) || 0,
              sum: optNum(dp, 'sum'),
              min: optNum(dp, 'min'),
              max: optNum(dp, 'max'),
              bounds,
              bucket_counts: counts,
              resource_attributes: res.attributes,
              attributes: attributesToStringMap(dp.attributes),
            });
          }
        } else if (m.exponentialHistogram || m.summary) {
          reject(Math.max(1, (m.exponentialHistogram ?? m.summary)?.dataPoints?.length ?? 1), 'exponential histograms and summaries are not stored');
        } else {
          reject(1, 'metric without data');
        }
      }
    }
  }
  return out;
}
