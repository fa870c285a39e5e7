import type { Store } from '../storage/client.ts';
import { rollupSource } from '../storage/levels.ts';
import type { ResultRow } from './results.ts';
import { windowSeconds, type Window } from './window.ts';

/** Utilization mean below this ratio with memory above IDLE_MEMORY_BYTES marks an idle GPU. */
export const IDLE_UTILIZATION = 0.05;
/** 1 GiB: memory held by a GPU that does no work. */
export const IDLE_MEMORY_BYTES = 1024 ** 3;

/** Per-GPU figures over a window. */
export interface GpuStats {
  host: string;
  gpuId: string;
  gpuName: string;
  utilizationMean: number | null;
  utilizationP95: number | null;
  memoryUsedMean: number | null;
  memoryLimit: number | null;
  memoryPressure: number | null;
  throttledShare: number | null;
  temperatureMax: number | null;
  powerMean: number | null;
  idle: boolean;
}

/** The GPU report: per GPU, plus GPU-seconds per 1,000 predictions over all GPUs. */
export interface GpuReport {
  gpus: GpuStats[];
  predictions: number;
  gpuSeconds: number;
  gpuSecondsPer1k: number | null;
}

/** One GPU's aggregates over a window, as the rollup query returns them (counts as numbers or text). */
export interface GpuRollupRow {
  host: string; gpu_id: string; gpu_name: string;
  u_n: string | number; u_mean: number; u_p95: number; m_n: string | number; m_mean: number; l_n: string | number; l_max: number;
  t_n: string | number; t_mean: number; temp_n: string | number; temp_max: number; p_n: string | number; p_mean: number;
}

/** Aggregates the GPU rollups (minute, hour and day levels) over a window, per GPU and host. */
export async function computeGpu(store: Store, w: Window): Promise<GpuReport> {
  const gpu = rollupSource(store, 'gpu', w);
  const rows = await store.query<GpuRollupRow>(
    `SELECT host, gpu_id, any(gpu_name) AS gpu_name,
       sumIf(samples, metric = 'hw.gpu.utilization') AS u_n,
       sumIf(sum, metric = 'hw.gpu.utilization') / u_n AS u_mean,
       quantilesTDigestMergeIf(0.95)(digest, metric = 'hw.gpu.utilization')[1] AS u_p95,
       sumIf(samples, metric = 'hw.gpu.memory.usage') AS m_n,
       sumIf(sum, metric = 'hw.gpu.memory.usage') / m_n AS m_mean,
       sumIf(samples, metric = 'hw.gpu.memory.limit') AS l_n,
       maxIf(max, metric = 'hw.gpu.memory.limit') AS l_max,
       sumIf(samples, metric = 'hw.gpu.throttled') AS t_n,
       sumIf(sum, metric = 'hw.gpu.throttled') / t_n AS t_mean,
       sumIf(samples, metric = 'hw.gpu.temperature') AS temp_n,
       maxIf(max, metric = 'hw.gpu.temperature') AS temp_max,
       sumIf(samples, metric = 'hw.gpu.power.draw') AS p_n,
       sumIf(sum, metric = 'hw.gpu.power.draw') / p_n AS p_mean
     FROM ${gpu.sql}
     GROUP BY host, gpu_id ORDER BY host, gpu_id`,
    gpu.params,
  );
  const lat = rollupSource(store, 'latency', w);
  const [pred] = await store.query<{ n: string }>(`SELECT sum(predictions) AS n FROM ${lat.sql}`, lat.params);
  return summarizeGpus(rows, Number(pred?.n ?? 0), windowSeconds(w));
}

/** True for a GPU that holds memory but does no work: mean utilization below 5% with more than 1 GiB in use. */
export function isIdleGpu(utilizationMean: number | null, memoryUsedMean: number | null): boolean {
  return utilizationMean !== null && memoryUsedMean !== null && utilizationMean < IDLE_UTILIZATION && memoryUsedMean > IDLE_MEMORY_BYTES;
}

/** Per-GPU figures from the aggregated rollup rows, and GPU-seconds per 1,000 predictions over `secs` seconds. */
export function summarizeGpus(rows: readonly GpuRollupRow[], predictions: number, secs: number): GpuReport {
  const has = (n: string | number) => Number(n) > 0;
  const gpus = rows.map((r): GpuStats => {
    const util = has(r.u_n) ? Number(r.u_mean) : null;
    const mem = has(r.m_n) ? Number(r.m_mean) : null;
    const limit = has(r.l_n) ? Number(r.l_max) : null;
    return {
      host: r.host, gpuId: r.gpu_id, gpuName: r.gpu_name,
      utilizationMean: util, utilizationP95: has(r.u_n) ? Number(r.u_p95) : null,
      memoryUsedMean: mem, memoryLimit: limit, memoryPressure: mem !== null && limit ? mem / limit : null,
      throttledShare: has(r.t_n) ? Number(r.t_mean) : null,
      temperatureMax: has(r.temp_n) ? Number(r.temp_max) : null,
      powerMean: has(r.p_n) ? Number(r.p_mean) : null,
      idle: isIdleGpu(util, mem),
    };
  });
  // Busy GPU time: mean utilization times the window length, summed over the GPUs.
  const gpuSeconds = gpus.reduce((s, g) => s + (g.utilizationMean ?? 0) * secs, 0);
  return { gpus, predictions, gpuSeconds, gpuSecondsPer1k: predictions > 0 ? (gpuSeconds / predictions) * 1000 : null };
}

/** Result rows of the GPU job: model '' (GPUs are per host), subject `<host>/<gpu id>`. */
export function gpuRows(w: Window, r: GpuReport): ResultRow[] {
  const rows: ResultRow[] = [];
  const base = { analyzer: 'gpu', window: w, model: '', version: '', segment: '', threshold: null, p_value: null, reference: '' };
  for (const g of r.gpus) {
    const subject = `${g.host}/${g.gpuId}`;
    const details = { host: g.host, gpu_id: g.gpuId, gpu_name: g.gpuName };
    const add = (metric: string, value: number | null, method: string, status?: ResultRow['status'], threshold: number | null = null) =>
      rows.push({ ...base, subject, metric, value: value ?? 0, method, threshold, status: value === null ? 'nodata' : status ?? 'ok', details });
    add('utilization_mean', g.utilizationMean, 'mean');
    add('utilization_p95', g.utilizationP95, 'tdigest');
    add('idle', g.utilizationMean === null ? null : g.idle ? 1 : 0, 'rule', g.idle ? 'warn' : 'ok', IDLE_UTILIZATION);
    add('memory_pressure', g.memoryPressure, 'ratio', g.memoryPressure !== null && g.memoryPressure > 0.95 ? 'warn' : 'ok');
    add('throttled_share', g.throttledShare, 'mean', g.throttledShare !== null && g.throttledShare > 0 ? 'warn' : 'ok');
    add('temperature_max', g.temperatureMax, 'max');
    add('power_mean', g.powerMean, 'mean');
  }
  rows.push({
    ...base, subject: '__all__', metric: 'gpu_seconds_per_1k_predictions', value: r.gpuSecondsPer1k ?? 0, method: 'ratio',
    status: r.gpuSecondsPer1k === null ? 'nodata' : 'ok', details: { gpu_seconds: r.gpuSeconds, predictions: r.predictions, gpus: r.gpus.length },
  });
  return rows;
}

/** Runs the GPU job over a window. */
export async function runGpu(store: Store, w: Window): Promise<ResultRow[]> {
  const r = await computeGpu(store, w);
  return r.gpus.length === 0 ? [] : gpuRows(w, r);
}
