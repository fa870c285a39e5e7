import { describe, expect, it } from 'vitest';
import { closeRel, fixtures, P_ABS, samplesOf } from './fixtures/load.ts';
import { cvm, cvmLimitCdf } from './cvm.ts';

describe('cvm against scipy.stats.cramervonmises_2samp', () => {
  for (const c of fixtures.numeric) {
    it(c.name, () => {
      const [x, y] = samplesOf(c);
      const r = cvm(x, y);
      expect(closeRel(r.statistic, c.cvm.statistic)).toBe(true);
      expect(Math.abs(r.p_value - c.cvm.pvalue)).toBeLessThanOrEqual(P_ABS);
      expect(r.p_method).toBe(Math.max(x.length, y.length) <= 20 ? 'exact' : 'asymptotic');
    });
  }
});

describe('cvm edge cases', () => {
  it('limit CDF is increasing and within [0, 1]', () => {
    let prev = 0;
    for (const x of [0.01, 0.05, 0.1, 0.2, 0.46, 0.75, 1, 2]) {
      const v = cvmLimitCdf(x);
      expect(v).toBeGreaterThanOrEqual(prev);
      expect(v).toBeLessThanOrEqual(1 + 1e-9);
      prev = v;
    }
    // known quantile: the 95% point of the limiting distribution is 0.46136
    expect(Math.abs(cvmLimitCdf(0.46136) - 0.95)).toBeLessThan(1e-4);
  });
  it('empty side gives statistic 0 and p 1', () => {
    expect(cvm([null, null], [1, 2, 3])).toMatchObject({ statistic: 0, p_value: 1 });
  });
});
