import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore } from '../helpers/store.ts';
import type { Store } from '../../storage/client.ts';
import { computeLatency } from '../../analyzer/latency.ts';
import { computeGpu } from '../../analyzer/gpu.ts';
import { computePerformance } from '../../analyzer/performance.ts';
import { computeQuality } from '../../analyzer/quality.ts';
import { startAnalyzer } from '../../analyzer/scheduler.ts';
import { readResults } from '../../analyzer/results.ts';
import { loadConfig } from '../../core/config/load.ts';
import { HOUR, T0, normal, predictionRow, prng, ts } from './seed.ts';

let store: Store;
let cleanup: () => Promise<void>;
const W = { from: new Date(T0), to: new Date(T0 + HOUR) };
const latencies: number[] = [];
const cls: { id: string; pred: string; score: number; label?: string }[] = [];
const reg: { id: string; pred: number; y?: number }[] = [];

beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
  const rand = prng(7);
  const z = normal(rand);
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < 20000; i++) {
    const lat = Math.exp(3 + 0.8 * z());
    latencies.push(lat);
    const y = rand() < 0.4 ? '1' : '0';
    const score = Math.min(1, Math.max(0, (y === '1' ? 0.62 : 0.4) + 0.2 * z()));
    const pred = score > 0.5 ? '1' : '0';
    const id = `c${i}`;
    cls.push({ id, pred, score, label: rand() < 0.8 ? y : undefined });
    rows.push(predictionRow({ ms: T0 + Math.floor((i / 20000) * HOUR), model: 'clf', id, label: pred, score, latency: lat, error: i % 50 === 0 ? 'Timeout' : '', num: { a: z() }, cat: { k: i % 3 === 0 ? 'x' : 'y' } }));
  }
  for (let i = 0; i < 5000; i++) {
    const y = 10 + 3 * z();
    const id = `r${i}`;
    reg.push({ id, pred: y + z(), y: rand() < 0.7 ? y : undefined });
    rows.push(predictionRow({ ms: T0 + Math.floor((i / 5000) * HOUR), model: 'reg', id, value: reg[i].pred, latency: 1 }));
  }
  await store.insert('predictions', rows);
  // Labels arrive late: a day after the predictions; one label is corrected later (the latest wins).
  const late = T0 + 24 * HOUR;
  const gt = [
    ...cls.filter((c) => c.label !== undefined).map((c) => ({ ts: ts(late), model: 'clf', prediction_id: c.id, label: c.id === 'c1' ? 'wrong' : c.label, label_num: null, service: 's' })),
    ...reg.filter((r) => r.y !== undefined).map((r) => ({ ts: ts(late), model: 'reg', prediction_id: r.id, label: String(r.y), label_num: r.y, service: 's' })),
  ];
  if (cls[1].label !== undefined) gt.push({ ts: ts(late + 1000), model: 'clf', prediction_id: 'c1', label: cls[1].label, label_num: null, service: 's' });
  await store.insert('ground_truth', gt);
  // GPUs: g0 busy, g1 idle with 4 GiB held, g2 nearly idle but holding almost no memory.
  const gpu: Record<string, unknown>[] = [];
  for (let s = 0; s < 360; s++) {
    const t = ts(T0 + s * 10_000);
    const add = (id: string, metric: string, value: number) => gpu.push({ ts: t, host: 'node1', gpu_id: id, gpu_name: 'H100', service: 'svc', metric, value, attributes: {} });
    add('g0', 'hw.gpu.utilization', 0.5 + 0.2 * Math.sin(s));
    add('g0', 'hw.gpu.memory.usage', 30 * 1024 ** 3);
    add('g0', 'hw.gpu.memory.limit', 80 * 1024 ** 3);
    add('g0', 'hw.gpu.throttled', s % 10 === 0 ? 1 : 0);
    add('g1', 'hw.gpu.utilization', s % 20 === 0 ? 0.2 : 0);
    add('g1', 'hw.gpu.memory.usage', 4 * 1024 ** 3);
    add('g1', 'hw.gpu.memory.limit', 80 * 1024 ** 3);
    add('g2', 'hw.gpu.utilization', 0.01);
    add('g2', 'hw.gpu.memory.usage', 0.5 * 1024 ** 3);
  }
  await store.insert('gpu_samples', gpu);
});

afterAll(async () => {
  await cleanup?.();
});

describe('latency', () => {
  it('merged quantilesDD percentiles are within 1% of the exact quantiles', async () => {
    const [s] = await computeLatency(store, W, { model: 'clf' });
    const sorted = [...latencies].sort((a, b) => a - b);
    const n = sorted.length;
    for (const [p, name] of [[0.5, 'latency_p50'], [0.9, 'latency_p90'], [0.95, 'latency_p95'], [0.99, 'latency_p99'], [0.999, 'latency_p999']] as const) {
      // Any value between the two order statistics around rank p(n-1) is an exact quantile; the sketch adds 1% relative error.
      const lo = sorted[Math.floor(p * (n - 1))];
      const hi = sorted[Math.ceil(p * (n - 1))];
      const got = s.quantiles[name]!;
      expect(got).toBeGreaterThanOrEqual(lo * 0.99);
      expect(got).toBeLessThanOrEqual(hi * 1.01);
    }
    expect(s.max).toBeCloseTo(sorted[n - 1], 6);
    expect(s.predictions).toBe(20000);
    expect(s.errorRate).toBeCloseTo(400 / 20000, 10);
    expect(s.throughputPerSec).toBeCloseTo(20000 / 3600, 10);
  });
});

describe('gpu', () => {
  it('flags the idle GPU holding memory, and computes GPU-seconds per 1,000 predictions', async () => {
    const r = await computeGpu(store, W);
    const by = new Map(r.gpus.map((g) => [g.gpuId, g]));
    expect(r.gpus.filter((g) => g.idle).map((g) => g.gpuId)).toEqual(['g1']);
    expect(by.get('g0')!.memoryPressure).toBeCloseTo(30 / 80, 10);
    expect(by.get('g0')!.throttledShare).toBeCloseTo(0.1, 10);
    expect(by.get('g0')!.utilizationP95!).toBeGreaterThan(0.6);
    const utilSum = [...by.values()].reduce((s, g) => s + g.utilizationMean!, 0);
    expect(r.gpuSecondsPer1k!).toBeCloseTo(((utilSum * 3600) / 25000) * 1000, 6);
  });
});

describe('performance with late ground truth', () => {
  it('classification metrics match sklearn-style formulas', async () => {
    const r = await computePerformance(store, { model: 'clf', version: 'v1' }, W);
    const lab = cls.filter((c) => c.label !== undefined);
    const tp = lab.filter((c) => c.pred === '1' && c.label === '1').length;
    const fp = lab.filter((c) => c.pred === '1' && c.label !== '1').length;
    const fn = lab.filter((c) => c.pred !== '1' && c.label === '1').length;
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    // ROC-AUC as the Mann-Whitney statistic (ties count half), which is what roc_auc_score computes.
    const pos = lab.filter((c) => c.label === '1').map((c) => c.score).sort((a, b) => a - b);
    const neg = lab.filter((c) => c.label !== '1').map((c) => c.score).sort((a, b) => a - b);
    let wins = 0;
    let j = 0;
    for (const s of pos) {
      while (j < neg.length && neg[j] < s) j++;
      let k = j;
      while (k < neg.length && neg[k] === s) k++;
      wins += j + (k - j) / 2;
    }
    expect(r.task).toBe('classification');
    expect(r.positiveClass).toBe('1');
    expect(r.labeled).toBe(lab.length);
    expect(r.coverage).toBeCloseTo(lab.length / cls.length, 12);
    expect(r.accuracy!).toBeCloseTo(lab.filter((c) => c.pred === c.label).length / lab.length, 12);
    expect(r.precision!).toBeCloseTo(precision, 12);
    expect(r.recall!).toBeCloseTo(recall, 12);
    expect(r.f1!).toBeCloseTo((2 * precision * recall) / (precision + recall), 12);
    expect(r.rocAuc!).toBeCloseTo(wins / (pos.length * neg.length), 6);
  });

  it('regression metrics match MAE, RMSE and MAPE computed here', async () => {
    const r = await computePerformance(store, { model: 'reg', version: 'v1' }, W);
    const lab = reg.filter((x) => x.y !== undefined);
    const mae = lab.reduce((s, x) => s + Math.abs(x.pred - x.y!), 0) / lab.length;
    const rmse = Math.sqrt(lab.reduce((s, x) => s + (x.pred - x.y!) ** 2, 0) / lab.length);
    const mape = lab.reduce((s, x) => s + Math.abs(x.y! - x.pred) / Math.max(Math.abs(x.y!), 2.220446049250313e-16), 0) / lab.length;
    expect(r.task).toBe('regression');
    expect(r.labeled).toBe(lab.length);
    expect(r.mae!).toBeCloseTo(mae, 9);
    expect(r.rmse!).toBeCloseTo(rmse, 9);
    expect(r.mape!).toBeCloseTo(mape, 9);
  });
});

describe('quality and scheduler', () => {
  it('reports schema changes and type violations against the previous window', async () => {
    const next = { from: W.to, to: new Date(W.to.getTime() + HOUR) };
    await store.insert('predictions', [
      predictionRow({ ms: next.from.getTime() + 1000, model: 'clf', num: { a: 100, b: 1 }, cat: { a: 'oops', k: 'new' } }),
    ]);
    const q = await computeQuality(store, { model: 'clf', version: 'v1' }, next, W);
    expect(q.appeared).toEqual(['b']);
    expect(q.typeViolations).toEqual(['a']);
    expect(q.outOfRange.find((o) => o.feature === 'a')!.count).toBe(1);
    expect(q.unseenCategories.find((u) => u.feature === 'k')!.categories).toEqual(['new']);
  });

  it('runOnce writes rows for every job; a failing job is logged, not fatal', async () => {
    const config = loadConfig({ overrides: { 'analyzer.enabled': false, 'analyzer.windowMinutes': 60, 'analyzer.segmentBy': ['k'] } });
    const errors: unknown[] = [];
    const log = { info: () => {}, warn: () => {}, error: (o: object) => errors.push(o) };
    const a = startAnalyzer({ store, config, log });
    const s = await a.runOnce(new Date(T0 + HOUR + 30_000));
    await a.stop();
    expect(s.failed).toEqual([]);
    for (const analyzer of ['latency', 'gpu', 'drift', 'quality', 'performance']) {
      const rows = await readResults(store, { analyzer, window: W });
      expect(rows.length, analyzer).toBeGreaterThan(0);
    }
    const seg = await readResults(store, { analyzer: 'drift', window: W, model: 'clf', segment: 'k=x' });
    expect(seg.length).toBeGreaterThan(0);
  });
});
