import { describe, expect, it } from 'vitest';
import { gpuRows, IDLE_MEMORY_BYTES, isIdleGpu, summarizeGpus, type GpuRollupRow } from './gpu.ts';

const GiB = 1024 ** 3;
const W = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-01T01:00:00Z') };

function row(id: string, p: Partial<GpuRollupRow>): GpuRollupRow {
  return {
    host: 'h', gpu_id: id, gpu_name: 'H100', u_n: 0, u_mean: 0, u_p95: 0, m_n: 0, m_mean: 0, l_n: 0, l_max: 0,
    t_n: 0, t_mean: 0, temp_n: 0, temp_max: 0, p_n: 0, p_mean: 0, ...p,
  };
}

describe('idle GPU rule', () => {
  it('idle = utilization below 5% while holding more than 1 GiB', () => {
    expect(isIdleGpu(0.01, 4 * GiB)).toBe(true);
    expect(isIdleGpu(0.05, 4 * GiB)).toBe(false);
    expect(isIdleGpu(0.01, IDLE_MEMORY_BYTES)).toBe(false);
    expect(isIdleGpu(null, 4 * GiB)).toBe(false);
    expect(isIdleGpu(0, null)).toBe(false);
  });
});

describe('summarizeGpus', () => {
  const rows = [
    row('g0', { u_n: 360, u_mean: 0.5, u_p95: 0.7, m_n: 360, m_mean: 30 * GiB, l_n: 360, l_max: 80 * GiB, t_n: '360', t_mean: 0.1, temp_n: 10, temp_max: 81, p_n: 5, p_mean: 300 }),
    row('g1', { u_n: 360, u_mean: 0.01, u_p95: 0.2, m_n: 360, m_mean: 4 * GiB }),
    row('g2', { m_n: 10, m_mean: 2 * GiB }),
  ];
  const r = summarizeGpus(rows, 36000, 3600);

  it('flags only the GPU that holds memory without work', () => {
    expect(r.gpus.map((g) => [g.gpuId, g.idle])).toEqual([['g0', false], ['g1', true], ['g2', false]]);
  });
  it('computes memory pressure, throttling, temperature and power where samples exist', () => {
    const g0 = r.gpus[0];
    expect(g0).toMatchObject({ utilizationMean: 0.5, utilizationP95: 0.7, throttledShare: 0.1, temperatureMax: 81, powerMean: 300 });
    expect(g0.memoryPressure).toBeCloseTo(30 / 80, 12);
    expect(r.gpus[2]).toMatchObject({ utilizationMean: null, memoryPressure: null, throttledShare: null });
  });
  it('GPU-seconds per 1,000 predictions = sum of utilization x window / predictions x 1000', () => {
    expect(r.gpuSeconds).toBeCloseTo((0.5 + 0.01) * 3600, 9);
    expect(r.gpuSecondsPer1k).toBeCloseTo(((0.51 * 3600) / 36000) * 1000, 9);
    expect(summarizeGpus(rows, 0, 3600).gpuSecondsPer1k).toBeNull();
  });
  it('rows: idle warns, nodata where a GPU reported nothing, and one fleet row', () => {
    const out = gpuRows(W, r);
    const idle = out.filter((x) => x.metric === 'idle');
    expect(idle.map((x) => [x.subject, x.value, x.status])).toEqual([['h/g0', 0, 'ok'], ['h/g1', 1, 'warn'], ['h/g2', 0, 'nodata']]);
    expect(out.find((x) => x.subject === 'h/g0' && x.metric === 'throttled_share')!.status).toBe('warn');
    expect(out.filter((x) => x.subject === '__all__').map((x) => x.metric)).toEqual(['gpu_seconds_per_1k_predictions']);
  });
});
