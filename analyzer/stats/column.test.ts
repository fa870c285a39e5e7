import { describe, expect, it } from 'vitest';
import { chooseMethod } from './choose.ts';
import { datasetDrift, testColumn, type ColumnResult } from './column.ts';
import { nullRates } from './util.ts';

describe('chooseMethod (Evidently rule)', () => {
  it.each([
    ['numeric', 1000, 6, 'ks', 0.05],
    ['numeric', 1000, 5, 'chisquare', 0.05],
    ['numeric', 500, 2, 'ztest', 0.05],
    ['categorical', 10, 2, 'ztest', 0.05],
    ['categorical', 10, 3, 'chisquare', 0.05],
    ['categorical', 10, 1, 'chisquare', 0.05],
    ['numeric', 1001, 6, 'wasserstein', 0.1],
    ['numeric', 1001, 3, 'jensenshannon', 0.1],
    ['categorical', 5000, 2, 'jensenshannon', 0.1],
  ] as const)('%s ref=%d unique=%d -> %s', (type, referenceSize, uniqueValues, method, threshold) => {
    expect(chooseMethod({ type, referenceSize, uniqueValues })).toEqual({ method, threshold });
  });
});

describe('testColumn', () => {
  const ref = Array.from({ length: 200 }, (_, i) => Math.sin(i) * 3);
  const same = Array.from({ length: 150 }, (_, i) => Math.sin(i + 1000) * 3);
  const shifted = same.map((v) => v + 2);

  it('defaults to ks for small numeric references and flags a shift', () => {
    const a = testColumn({ type: 'numeric', reference: ref, current: same });
    expect(a.method).toBe('ks');
    expect(a.drift).toBe(false);
    const b = testColumn({ type: 'numeric', reference: ref, current: shifted });
    expect(b).toMatchObject({ method: 'ks', threshold: 0.05, drift: true });
    expect(b.p_value).toBeLessThan(0.05);
  });
  it('accepts a method and threshold override', () => {
    const r = testColumn({ type: 'numeric', reference: ref, current: shifted, method: 'psi', threshold: 50 });
    expect(r).toMatchObject({ method: 'psi', threshold: 50, drift: false, p_value: null });
    expect((r.details?.edges as number[]).length).toBe(9);
  });
  it('uses wasserstein for large numeric references', () => {
    const big = Array.from({ length: 2000 }, (_, i) => Math.sin(i));
    const r = testColumn({ type: 'numeric', reference: big, current: big.map((v) => v + 1) });
    expect(r.method).toBe('wasserstein');
    expect(r.drift).toBe(true);
  });
  it('treats low-cardinality numeric columns as categories', () => {
    const r = testColumn({ type: 'numeric', reference: [0, 1, 0, 1, 1], current: [1, 1, 1, 0, 1] });
    expect(r.method).toBe('ztest');
    const c = testColumn({ type: 'numeric', reference: [0, 1, 2, 0, 1], current: [2, 2, 2, 2] });
    expect(c.method).toBe('chisquare');
  });
  it('reports unseen categories and never crashes on nulls', () => {
    const r = testColumn({ type: 'categorical', reference: ['a', 'b', null, 'a'], current: ['a', 'c', 'c', undefined] });
    expect(r.method).toBe('chisquare');
    expect(r.details?.unseen).toEqual(['c']);
    expect(r.details?.null_rates).toEqual({ reference: 0.25, current: 0.25, delta: 0 });
  });
  it('takes frequencies for categorical columns', () => {
    const r = testColumn({ type: 'categorical', reference: new Map([['x', 3000], ['y', 1000]]), current: { x: 1000, y: 3000 } });
    expect(r).toMatchObject({ method: 'jensenshannon', drift: true, p_value: null });
  });
  it('gives a defined result for empty sides', () => {
    const r = testColumn({ type: 'numeric', reference: [1, 2, 3, 4, 5, 6, 7], current: [null, null] });
    expect(r).toMatchObject({ statistic: 0, p_value: 1, drift: false, details: { skipped: 'empty_current' } });
    const c = testColumn({ type: 'categorical', reference: {}, current: { a: 1 }, method: 'jensenshannon' });
    expect(c).toMatchObject({ statistic: 0, p_value: null, drift: false, details: { skipped: 'empty_reference' } });
  });
  it('gives a defined result for constant columns', () => {
    const r = testColumn({ type: 'numeric', reference: [2, 2, 2], current: [2, 2], method: 'anderson' });
    expect(r).toMatchObject({ statistic: 0, p_value: 1, drift: false });
    const w = testColumn({ type: 'numeric', reference: [2, 2, 2], current: [2, 2], method: 'wasserstein' });
    expect(w).toMatchObject({ statistic: 0, drift: false });
  });
  it('rejects numeric-only methods on categorical columns', () => {
    expect(() => testColumn({ type: 'categorical', reference: ['a'], current: ['b'], method: 'ks' })).toThrow(RangeError);
  });
});

describe('datasetDrift', () => {
  const col = (p: number | null, statistic = 0, threshold = p === null ? 0.1 : 0.05): ColumnResult => ({
    method: p === null ? 'wasserstein' : 'ks',
    statistic,
    p_value: p,
    threshold,
    drift: p === null ? statistic >= threshold : p < threshold,
  });
  it('drifts when the share of drifted columns reaches 0.5', () => {
    const r = datasetDrift([col(0.01), col(0.5), col(null, 0.2), col(null, 0.01)]);
    expect(r).toMatchObject({ drifted: 2, share: 0.5, drift: true });
    expect(datasetDrift([col(0.01), col(0.5), col(0.6)]).drift).toBe(false);
    expect(datasetDrift([])).toMatchObject({ drifted: 0, share: 0, drift: false });
  });
  it('applies Bonferroni to p-value methods only', () => {
    const r = datasetDrift([col(0.02), col(0.3), col(null, 0.2)], { correction: 'bonferroni' });
    expect(r.columns[0].p_value).toBeCloseTo(0.04, 12);
    expect(r.columns[0].p_value_raw).toBe(0.02);
    expect(r.columns[0].drift).toBe(true);
    expect(r.columns[1].p_value).toBeCloseTo(0.6, 12);
    expect(r.columns[2]).toMatchObject({ p_value: null, drift: true });
  });
  it('applies Benjamini–Hochberg step-up', () => {
    const ps = [0.01, 0.04, 0.03, 0.2];
    const r = datasetDrift(ps.map((p) => col(p)), { correction: 'bh' });
    // sorted 0.01, 0.03, 0.04, 0.2 -> 0.04, 0.0533, 0.0533, 0.2
    expect(r.columns[0].p_value).toBeCloseTo(0.04, 12);
    expect(r.columns[1].p_value).toBeCloseTo(0.16 / 3, 12);
    expect(r.columns[2].p_value).toBeCloseTo(0.16 / 3, 12);
    expect(r.columns[3].p_value).toBeCloseTo(0.2, 12);
    expect(r.drifted).toBe(1);
  });
});

describe('nullRates', () => {
  it('counts null, undefined and non-finite values; empty side is 0', () => {
    expect(nullRates([1, null, NaN, 4], [])).toEqual({ reference: 0.5, current: 0, delta: -0.5 });
  });
});
