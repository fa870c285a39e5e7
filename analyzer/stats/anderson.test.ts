import { describe, expect, it } from 'vitest';
import { anderson, quadraticLeastSquares } from './anderson.ts';
import { closeRel, fixtures, P_ABS, samplesOf } from './fixtures/load.ts';

describe('anderson against scipy.stats.anderson_ksamp (midrank)', () => {
  for (const c of fixtures.numeric) {
    it(c.name, () => {
      const [x, y] = samplesOf(c);
      const r = anderson(x, y);
      if (c.anderson.error) {
        // scipy refuses a single distinct value; we return a defined, non-drifting result
        expect(r).toMatchObject({ statistic: 0, p_value: 1, degenerate: 'single_value' });
        return;
      }
      expect(closeRel(r.statistic, c.anderson.statistic)).toBe(true);
      expect(Math.abs(r.p_value - c.anderson.pvalue)).toBeLessThanOrEqual(P_ABS);
    });
  }
  it('supports more than two samples', () => {
    const r = anderson([1, 2, 3, 4, 5], [2, 3, 4, 5, 6], [10, 11, 12, 13, 14]);
    expect(r.statistic).toBeGreaterThan(3);
    expect(r.p_value).toBeLessThan(0.01);
  });
  it('fits an exact quadratic exactly', () => {
    const xs = [0, 1, 2, 3, 4];
    const [a, b, c] = quadraticLeastSquares(xs, xs.map((x) => 2 * x * x - 3 * x + 0.5));
    expect(a).toBeCloseTo(2, 12);
    expect(b).toBeCloseTo(-3, 12);
    expect(c).toBeCloseTo(0.5, 12);
  });
});
