/**
 * Hour and day rollup levels, as the readers use them: over windows that start and end mid-hour
 * and mid-day, the figures read through the levels equal those read from minute states only
 * (counts exactly, latency quantiles exactly since quantilesDD merges without loss, KS from the
 * t-digests within the documented sketch bound); and once raw rows and minute states have
 * expired, a 90-day window is still answered from the hour and day levels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareSources } from '../../analyzer/drift/compute.ts';
import { readProfile } from '../../analyzer/drift/profile.ts';
import { computeGpu } from '../../analyzer/gpu.ts';
import { computeLatency } from '../../analyzer/latency.ts';
import { computeQuality } from '../../analyzer/quality.ts';
import type { Store } from '../../storage/client.ts';
import { planLevels, ROLLUP_SIGNALS } from '../../storage/levels.ts';
import { createTestStore } from '../helpers/store.ts';
import { normal, predictionRow, prng, ts } from './seed.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** The KS bound of the sketch path documented in docs/drift.md. */
const SKETCH_KS_BOUND = 0.01;

let env: Awaited<ReturnType<typeof createTestStore>>;
let store: Store;
// Ten days ago: within the 30-day retention of raw rows and minute states while the first tests run.
const day0 = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
let firstSeed = 0;

/** Rows every 20 s from `from` to `to`: two numeric features, one categorical, a null now and then, latency. */
async function seed(from: number, to: number, seedNo: number, shift = 0): Promise<number> {
  const rand = prng(seedNo);
  const z = normal(rand);
  const rows: Record<string, unknown>[] = [];
  let n = 0;
  const flush = async () => {
    if (rows.length) await store.insert('predictions', rows.splice(0));
  };
  for (let t = from; t < to; t += 20_000) {
    rows.push(predictionRow({
      ms: t, id: `p${seedNo}-${t}`, latency: 2 + 40 * rand() ** 3, error: rand() < 0.02 ? 'timeout' : '',
      num: { a: z() + shift, b: 10 * rand() }, cat: { c: ['x', 'y', 'z'][Math.floor(rand() * 3)] }, nulls: rand() < 0.05 ? ['d'] : [],
    }));
    n++;
    if (rows.length >= 20_000) await flush();
  }
  await flush();
  return n;
}

beforeAll(async () => {
  env = await createTestStore();
  store = env.store;
  // Three and a half days of traffic, and GPU samples every 30 s over the same span.
  firstSeed = await seed(day0 + 20 * HOUR, day0 + 3 * DAY + 12 * HOUR, 1);
  const gpu: Record<string, unknown>[] = [];
  for (let t = day0 + 20 * HOUR; t < day0 + 3 * DAY + 12 * HOUR; t += 30_000) {
    gpu.push({ ts: ts(t), host: 'h1', gpu_id: '0', gpu_name: 'H200', metric: 'hw.gpu.utilization', value: 0.5 + 0.4 * Math.sin(t / HOUR) });
  }
  await store.insert('gpu_samples', gpu);
});

afterAll(async () => {
  await env?.cleanup();
});

describe('hour and day levels', () => {
  // Starts mid-hour on the first day, ends mid-hour two days later: minutes, hours and days all take part.
  const w = { from: new Date(day0 + 22 * HOUR + 17 * MIN), to: new Date(day0 + 2 * DAY + 3 * HOUR + 41 * MIN) };
  const minuteSql = "minute >= {f:DateTime('UTC')} AND minute < {t:DateTime('UTC')}";
  const mp = { f: ts(+w.from).slice(0, 19), t: ts(+w.to).slice(0, 19) };

  it('the window is read from all three levels', () => {
    expect(new Set(planLevels(w.from, w.to).map((r) => r.level))).toEqual(new Set(['minute', 'hour', 'day']));
  });

  it('every hour and day level holds the same counts as the minute level it is rolled up from', async () => {
    for (const s of ROLLUP_SIGNALS) {
      const measure = s === 'latency' ? 'sum(predictions)' : s === 'feature_null' ? 'sum(nulls)' : s === 'gpu' ? 'sum(samples)' : 'sum(count)';
      const [m, h, d] = await Promise.all(['1m', '1h', '1d'].map((l) => store.query<{ n: string }>(`SELECT ${measure} AS n FROM ${store.t(`${s}_${l}`)}`)));
      expect(Number(h[0].n), `${s}_1h`).toBe(Number(m[0].n));
      expect(Number(d[0].n), `${s}_1d`).toBe(Number(m[0].n));
      expect(Number(m[0].n)).toBeGreaterThan(0);
    }
  });

  it('latency counts exactly, and quantiles equal those merged from minute states', async () => {
    const [lv] = await computeLatency(store, w);
    const [m] = await store.query<{ n: string; e: string; q: number[]; mx: number }>(
      `SELECT sum(predictions) AS n, sum(errors) AS e, max(latency_max) AS mx, quantilesDDMerge(0.01, 0.5, 0.9, 0.95, 0.99, 0.999)(latency_sketch) AS q
       FROM ${store.t('latency_1m')} WHERE ${minuteSql}`, mp);
    const raw = await store.query<{ n: string }>(`SELECT count() AS n FROM ${store.t('predictions')} WHERE ts >= {f:DateTime('UTC')} AND ts < {t:DateTime('UTC')}`, mp);
    expect(lv.predictions).toBe(Number(m.n));
    expect(lv.predictions).toBe(Number(raw[0].n));
    expect(lv.errors).toBe(Number(m.e));
    expect(lv.max).toBe(Number(m.mx));
    const q = Object.values(lv.quantiles) as number[];
    // quantilesDD states merge by adding bucket counts: the merge order cannot change a quantile.
    q.forEach((v, i) => expect(v).toBeCloseTo(Number(m.q[i]), 9));
  });

  it('drift profiles count exactly, and KS from the level sketches is within the sketch bound of KS from minute states', async () => {
    const ref = { kind: 'rollup' as const, model: 'm', version: 'v1', window: { from: new Date(day0 + 20 * HOUR + 5 * MIN), to: w.from } };
    const cur = { kind: 'rollup' as const, model: 'm', version: 'v1', window: w };
    const [pl, pm] = await Promise.all([readProfile(store, cur), readProfile(store, { ...cur, coarsest: 'minute' })]);
    expect(pl.rows).toBe(pm.rows);
    for (const f of ['a', 'b']) {
      expect(pl.numeric.get(f)!.summary.n).toBe(pm.numeric.get(f)!.summary.n);
      expect(pl.numeric.get(f)!.mean).toBeCloseTo(pm.numeric.get(f)!.mean, 9);
      expect(pl.numeric.get(f)!.summary.min).toBe(pm.numeric.get(f)!.summary.min);
      expect(pl.numeric.get(f)!.summary.max).toBe(pm.numeric.get(f)!.summary.max);
    }
    expect(pl.numeric.get('a')!.nulls).toBe(pm.numeric.get('a')!.nulls);
    expect(Object.fromEntries(pl.categorical.get('c')!.counts)).toEqual(Object.fromEntries(pm.categorical.get('c')!.counts));
    expect(pl.categorical.get('d')?.nulls ?? pl.numeric.get('d')?.nulls).toBe(pm.categorical.get('d')?.nulls ?? pm.numeric.get('d')?.nulls);

    const [dl, dm] = await Promise.all([
      compareSources(store, ref, cur, { method: 'ks' }),
      compareSources(store, { ...ref, coarsest: 'minute' }, { ...cur, coarsest: 'minute' }, { method: 'ks' }),
    ]);
    for (const c of dl.columns.filter((x) => x.type === 'numeric')) {
      const m = dm.columns.find((x) => x.column === c.column)!;
      expect(c.current_n).toBe(m.current_n);
      expect(Math.abs(c.statistic - m.statistic), c.column).toBeLessThanOrEqual(SKETCH_KS_BOUND);
      expect(c.drift).toBe(m.drift);
    }
    expect(dl.dataset.drift).toBe(dm.dataset.drift);
  });

  it('GPU aggregates and quality counts equal those from minute states', async () => {
    const gpu = await computeGpu(store, w);
    const [m] = await store.query<{ n: string; s: number }>(
      `SELECT sum(samples) AS n, sum(sum) AS s FROM ${store.t('gpu_1m')} WHERE ${minuteSql} AND metric = 'hw.gpu.utilization'`, mp);
    expect(gpu.gpus).toHaveLength(1);
    expect(gpu.gpus[0].utilizationMean).toBeCloseTo(Number(m.s) / Number(m.n), 9);
    const q = await computeQuality(store, { model: 'm', version: 'v1' }, w);
    const [nulls] = await store.query<{ n: string }>(`SELECT sum(nulls) AS n FROM ${store.t('feature_null_1m')} WHERE ${minuteSql} AND feature = 'd'`, mp);
    expect(q.nullRates.find((r) => r.feature === 'd')!.nulls).toBe(Number(nulls.n));
  });
});

describe('after raw rows and minute states expire', () => {
  it('a 90-day drift and latency query is answered from the hour and day levels', async () => {
    const now = Math.floor(Date.now() / MIN) * MIN;
    const from = Math.floor((now - 90 * DAY) / HOUR) * HOUR;
    // Traffic 89-91 days ago (it straddles the window's start) and in the last hour.
    await seed(from - DAY, from + DAY, 2);
    await seed(now - HOUR, now, 3, 0.1);
    // In the window: the old day after `from`, the last hour, and the first tests' traffic (ten days ago).
    const inWindow = DAY / 20_000 + HOUR / 20_000 + firstSeed;
    const counted = async (table: string, where: string) => Number((await store.query<{ n: string }>(`SELECT count() AS n FROM ${store.t(table)} WHERE ${where}`))[0].n);

    // Raw rows and minute states older than 30 days expire (the default retention of both).
    const expire = { mutations_sync: '2' } as any;
    await store.command(`ALTER TABLE ${store.t('predictions')} MODIFY TTL toDateTime(ts) + INTERVAL 30 DAY`, undefined, expire);
    for (const s of ROLLUP_SIGNALS) await store.command(`ALTER TABLE ${store.t(`${s}_1m`)} MODIFY TTL minute + INTERVAL 30 DAY`, undefined, expire);
    for (const t of ['predictions', ...ROLLUP_SIGNALS.map((s) => `${s}_1m`)]) await store.command(`OPTIMIZE TABLE ${store.t(t)} FINAL`);
    expect(await counted('predictions', 'ts < now() - INTERVAL 30 DAY')).toBe(0);
    expect(await counted('latency_1m', 'minute < now() - INTERVAL 30 DAY')).toBe(0);
    expect(await counted('latency_1h', 'hour < now() - INTERVAL 88 DAY')).toBeGreaterThan(0);

    const window = { from: new Date(from), to: new Date(now) };
    const [lat] = await computeLatency(store, window);
    expect(lat.predictions).toBe(inWindow);
    expect(lat.quantiles.latency_p99).toBeGreaterThan(2);
    const ref = { kind: 'rollup' as const, model: 'm', version: 'v1', window: { from: new Date(from), to: new Date(from + DAY) } };
    const cur = { kind: 'rollup' as const, model: 'm', version: 'v1', window };
    const report = await compareSources(store, ref, cur);
    expect(report.currentRows).toBe(inWindow);
    expect(report.referenceRows).toBe(DAY / 20_000);
    // 'd' is only ever null: it has a null rate, no distribution.
    for (const name of ['a', 'b', 'c']) expect(report.columns.find((c) => c.column === name)?.status).toMatch(/ok|drift/);
  });
});
