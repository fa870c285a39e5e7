import { describe, expect, it } from 'vitest';
import type { Store } from '../../storage/client.ts';
import { drawSample } from '../stats/fixtures/sample.ts';
import { anderson, countCategories, ks, quantileSorted7, sortedFinite, wasserstein } from '../stats/index.ts';
import { compareNumeric, EXACT_FETCH_LIMIT, type NumericSide } from './numeric.ts';
import { LEVEL_VALUES } from './sketch.ts';
import type { Source } from './source.ts';

const REF_WINDOW = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-01T01:00:00Z') };
const CUR_WINDOW = { from: new Date('2026-01-01T01:00:00Z'), to: new Date('2026-01-01T02:00:00Z') };
const src = (window: typeof REF_WINDOW): Source => ({ kind: 'rollup', model: 'm', version: 'v1', window });

/**
 * A store that answers the two raw-value queries (a reservoir sample, value counts) from arrays
 * held here, as ClickHouse would, and records every query so tests can see what was read.
 */
function fakeStore(ref: Float64Array, cur: Float64Array): Store & { calls: string[] } {
  const calls: string[] = [];
  const store = {
    calls,
    t: (x: string) => `db.${x}`,
    async query(sql: string, params: Record<string, unknown>) {
      const values = String(params.from).startsWith('2026-01-01 00') ? ref : cur;
      if (sql.includes('groupArraySample')) {
        calls.push('sample');
        const lim = Number(/groupArraySample\((\d+)/.exec(sql)![1]);
        // Every k-th value: a deterministic stand-in for the reservoir.
        const step = Math.max(1, Math.ceil(values.length / lim));
        return [{ n: values.length, vs: Array.from(values).filter((_, i) => i % step === 0).slice(0, lim) }];
      }
      if (sql.includes('OVER ()')) {
        calls.push('counts');
        const m = countCategories(values);
        return [...m].map(([k, c]) => ({ k, c, d: m.size }));
      }
      throw new Error(`unexpected query ${sql}`);
    },
  };
  return store as unknown as Store & { calls: string[] };
}

/** A side as a profile holds it: an exact quantile summary (a perfect digest) and moments. */
function side(values: Float64Array, window: typeof REF_WINDOW): NumericSide {
  const s = sortedFinite(values);
  const n = s.length;
  const mean = s.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return { src: src(window), col: { summary: { n, min: s[0], max: s[n - 1], q: LEVEL_VALUES.map((p) => quantileSorted7(s, p)) }, mean, std, nulls: 0 } };
}

const normal = (n: number, seed: number, loc = 0) => drawSample({ dist: 'normal', n, seed, loc });

describe('compareNumeric', () => {
  it('large sides with the default method (wasserstein) never read raw values', async () => {
    const a = normal(5000, 1);
    const b = normal(5000, 2, 0.3);
    const store = fakeStore(a, b);
    const r = await compareNumeric(store, 'x', side(a, REF_WINDOW), side(b, CUR_WINDOW), {});
    expect(store.calls).toEqual([]);
    expect(r).toMatchObject({ method: 'wasserstein', path: 'sketch', drift: true, p_value: null, threshold: 0.1 });
    expect(Math.abs(r.statistic - wasserstein(a, b).statistic)).toBeLessThan(0.005);
    expect(r.bins!.labels.length).toBe(10);
  });

  it('a small reference gets the exact ks on raw values (Evidently rule)', async () => {
    const a = normal(800, 3);
    const b = normal(900, 4, 0.3);
    const store = fakeStore(a, b);
    const r = await compareNumeric(store, 'x', side(a, REF_WINDOW), side(b, CUR_WINDOW), {});
    expect(r).toMatchObject({ method: 'ks', path: 'exact' });
    expect(r.statistic).toBe(ks(a, b).statistic);
    expect(r.p_value).toBe(ks(a, b).p_value);
    expect(r.details).toMatchObject({ p_method: 'exact' });
  });

  it('a small reference against a current side above the fetch limit compares raw values with the sketch', async () => {
    const a = normal(500, 5);
    const b = normal(3000, 6);
    const store = fakeStore(a, b);
    const r = await compareNumeric(store, 'x', side(a, REF_WINDOW), side(b, CUR_WINDOW), { exactFetchLimit: 1000 });
    expect(r).toMatchObject({ method: 'ks', path: 'mixed', details: { p_method: 'asymptotic' } });
    expect(Math.abs(r.statistic - ks(a, b).statistic)).toBeLessThan(0.002);
    expect(store.calls).toEqual(['sample']);
  });

  it('anderson reads raw values, and samples a side beyond the fetch limit', async () => {
    const a = normal(3000, 7);
    const b = normal(2000, 8, 0.2);
    const exact = await compareNumeric(fakeStore(a, b), 'x', side(a, REF_WINDOW), side(b, CUR_WINDOW), { methods: { x: 'anderson' } });
    expect(exact).toMatchObject({ method: 'anderson', path: 'exact', statistic: anderson(a, b).statistic, threshold: 0.05 });
    const sampled = await compareNumeric(fakeStore(a, b), 'x', side(a, REF_WINDOW), side(b, CUR_WINDOW), { methods: { x: 'anderson' }, exactFetchLimit: 1000 });
    expect(sampled.path).toBe('sampled');
    expect(sampled.details).toMatchObject({ sample_size: { reference: 1000, current: 1000, limit: 1000 } });
    expect(sampled.reference_n).toBe(3000);
    expect(EXACT_FETCH_LIMIT).toBe(100_000);
  });

  it('cvm and energy are selectable per column', async () => {
    const a = normal(3000, 9);
    const b = normal(3000, 10);
    const c = await compareNumeric(fakeStore(a, b), 'x', side(a, REF_WINDOW), side(b, CUR_WINDOW), { methods: { x: 'cvm' } });
    expect(c).toMatchObject({ method: 'cvm', path: 'exact', drift: false });
    const store = fakeStore(a, b);
    const e = await compareNumeric(store, 'x', side(a, REF_WINDOW), side(b, CUR_WINDOW), { methods: { x: 'energy' }, thresholds: { x: 0.5 } });
    expect(e).toMatchObject({ method: 'energy', path: 'sketch', threshold: 0.5, drift: false });
    expect(store.calls).toEqual([]);
  });

  it('a numeric column of few values is counted exactly and compared as categories', async () => {
    const a = Float64Array.from({ length: 5000 }, (_, i) => i % 3);
    const b = Float64Array.from({ length: 5000 }, (_, i) => (i % 10 === 0 ? 2 : i % 2));
    const store = fakeStore(a, b);
    const r = await compareNumeric(store, 'k', side(a, REF_WINDOW), side(b, CUR_WINDOW), {});
    expect(r).toMatchObject({ method: 'jensenshannon', path: 'exact', drift: true, type: 'numeric' });
    expect(r.bins!.labels).toEqual(['0', '1', '2']);
    expect(store.calls).toEqual(['counts', 'counts']);
    const f = await compareNumeric(fakeStore(a, a), 'k', side(a, REF_WINDOW), side(a, CUR_WINDOW), { method: 'chisquare' });
    expect(f).toMatchObject({ method: 'chisquare', p_value: 1, drift: false });
  });

  it('an empty side is nodata, not an error', async () => {
    const a = normal(100, 11);
    const empty: NumericSide = { src: src(CUR_WINDOW), col: { summary: { n: 0, min: NaN, max: NaN, q: [] }, mean: NaN, std: NaN, nulls: 5 } };
    const r = await compareNumeric(fakeStore(a, new Float64Array()), 'x', side(a, REF_WINDOW), empty, {});
    expect(r).toMatchObject({ status: 'nodata', drift: false, current_n: 0 });
  });
});
