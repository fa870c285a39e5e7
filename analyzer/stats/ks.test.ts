import { describe, expect, it } from 'vitest';
import { closeRel, fixtures, P_ABS, samplesOf } from './fixtures/load.ts';
import { exactTwoSampleSf, kolmogorovSf, ks, KS_EXACT_MAX_N } from './ks.ts';

describe('ks against scipy.stats.ks_2samp', () => {
  for (const c of fixtures.numeric) {
    it(c.name, () => {
      const [x, y] = samplesOf(c);
      const r = ks(x, y);
      expect(closeRel(r.statistic, c.ks.statistic)).toBe(true);
      expect(Math.abs(r.p_value - c.ks.pvalue)).toBeLessThanOrEqual(P_ABS);
      expect(r.p_method).toBe(c.ks.method === 'exact' ? 'exact' : 'asymptotic');
    });
  }
});

describe('kolmogorovSf against scipy.stats.kstwo.sf', () => {
  it('matches on a grid covering every branch', () => {
    for (const [n, x, sf] of fixtures.kstwo) {
      expect(Math.abs(kolmogorovSf(n, x) - sf), `n=${n} x=${x}`).toBeLessThanOrEqual(1e-10);
    }
  });
});

describe('ks edge cases', () => {
  it('skips nulls and non-finite values', () => {
    const a = ks([1, null, 2, NaN, 3, undefined, Infinity], [1, 2, 3]);
    expect(a.statistic).toBe(0);
    expect(a.p_value).toBe(1);
  });
  it('gives statistic 0 and p 1 for an empty side', () => {
    expect(ks([], [1, 2])).toEqual({ statistic: 0, p_value: 1, p_method: 'exact' });
  });
  it('separates two constants completely', () => {
    const r = ks(new Array(50).fill(1), new Array(50).fill(2));
    expect(r.statistic).toBe(1);
    expect(r.p_value).toBeLessThan(1e-20);
  });
  it('exact distribution sums to 1 at h=0 and is monotone in h', () => {
    expect(exactTwoSampleSf(7, 9, 1, 0)).toBe(1);
    let prev = 1;
    for (let h = 1; h <= 63; h++) {
      const p = exactTwoSampleSf(7, 9, 1, h);
      expect(p).toBeLessThanOrEqual(prev + 1e-15);
      prev = p;
    }
  });
  // Speed is measured in bench/, not here: these check the results at the sizes the analyzer uses.
  it('gives the exact p-value at the exact/asymptotic boundary with a large shift', () => {
    const x = Float64Array.from({ length: KS_EXACT_MAX_N }, (_, i) => i);
    const y = Float64Array.from({ length: KS_EXACT_MAX_N - 1 }, (_, i) => i + 3000);
    const r = ks(x, y);
    expect(r.p_method).toBe('exact');
    expect(r.p_value).toBeLessThan(1e-100);
  });
  it('handles a few hundred thousand values (asymptotic)', () => {
    const n = 300_000;
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 10);
    const y = Float64Array.from({ length: n }, (_, i) => Math.cos(i) * 10 + 0.01);
    const r = ks(x, y);
    expect(r.p_method).toBe('asymptotic');
    expect(r.p_value).toBeGreaterThanOrEqual(0);
  });
});
