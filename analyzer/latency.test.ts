import { describe, expect, it } from 'vitest';
import { LATENCY_QUANTILES, latencyRows, latencyStatsFromRow } from './latency.ts';

const W = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-01T01:00:00Z') };

describe('latency stats from a merged rollup row', () => {
  it('derives mean, throughput and error rate; quantiles pass through', () => {
    const s = latencyStatsFromRow({ model: 'm', version: 'v1', n: '7200', e: 72, wl: '7000', s: 70000, mx: 950, q: [10, 20, 30, 40, 50] }, 3600);
    expect(s).toMatchObject({ predictions: 7200, errors: 72, withLatency: 7000, mean: 10, max: 950, throughputPerSec: 2, errorRate: 0.01 });
    expect(Object.keys(s.quantiles)).toEqual(LATENCY_QUANTILES.map(([, n]) => n));
    expect(s.quantiles.latency_p999).toBe(50);
  });

  it('reports no latency figures (null) when no prediction carried a latency', () => {
    const s = latencyStatsFromRow({ model: 'm', version: 'v1', n: 10, e: 0, wl: 0, s: 0, mx: 0, q: [NaN, NaN, NaN, NaN, NaN] }, 60);
    expect(s.mean).toBeNull();
    expect(s.max).toBeNull();
    expect(Object.values(s.quantiles)).toEqual([null, null, null, null, null]);
    const rows = latencyRows(W, [s]);
    expect(rows.find((r) => r.metric === 'latency_p50')!.status).toBe('nodata');
    expect(rows.find((r) => r.metric === 'throughput')!.status).toBe('ok');
  });

  it('writes one row per percentile plus mean, max, throughput and error rate', () => {
    const s = latencyStatsFromRow({ model: 'm', version: 'v1', n: 100, e: 5, wl: 100, s: 1000, mx: 99, q: [1, 2, 3, 4, 5] }, 100);
    const rows = latencyRows(W, [s]);
    expect(rows.map((r) => r.metric)).toEqual(['latency_p50', 'latency_p90', 'latency_p95', 'latency_p99', 'latency_p999', 'latency_mean', 'latency_max', 'throughput', 'error_rate']);
    expect(rows.every((r) => r.analyzer === 'latency' && r.subject === 'latency' && r.model === 'm')).toBe(true);
    expect(rows.find((r) => r.metric === 'error_rate')!.value).toBeCloseTo(0.05, 12);
    expect(rows[0].details).toEqual({ relative_accuracy: 0.01 });
  });
});
