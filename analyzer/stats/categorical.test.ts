import { describe, expect, it } from 'vitest';
import { BINNED_METHODS } from './binned.ts';
import { alignFrequencies, categoricalDistance, chisquare, countCategories, fisher, ztest } from './categorical.ts';
import { closeRel, fixtures, P_ABS } from './fixtures/load.ts';

describe('categorical tests against scipy', () => {
  for (const c of fixtures.categorical) {
    it(c.name, () => {
      const chi = chisquare(c.reference, c.current);
      expect(closeRel(chi.statistic, c.chisquare.statistic)).toBe(true);
      expect(Math.abs(chi.p_value - c.chisquare.pvalue)).toBeLessThanOrEqual(P_ABS);
      expect(chi.dof).toBe(c.chisquare.dof);
      if (c.ztest) {
        const z = ztest(c.reference, c.current);
        expect(closeRel(z.statistic, c.ztest.statistic)).toBe(true);
        expect(Math.abs(z.p_value - c.ztest.pvalue)).toBeLessThanOrEqual(P_ABS);
      }
      if (c.fisher) {
        const f = fisher(c.reference, c.current);
        expect(Math.abs(f.p_value - c.fisher.pvalue)).toBeLessThanOrEqual(P_ABS);
        if (c.fisher.statistic !== null) expect(closeRel(f.statistic, c.fisher.statistic)).toBe(true);
      }
      for (const m of BINNED_METHODS) {
        const d = categoricalDistance(m, c.reference, c.current);
        expect(closeRel(d.statistic, c[m]), m).toBe(true);
        expect(d.unseen).toEqual(c.unseen);
      }
      // Maps and records give the same alignment
      const a = alignFrequencies(new Map(Object.entries(c.reference)), c.current);
      expect(a.categories).toEqual(c.keys);
    });
  }
  it('counts raw values skipping nulls', () => {
    expect(countCategories(['a', null, 'b', 'a', undefined, NaN, 1])).toEqual(new Map([['a', 2], ['b', 1], ['1', 1]]));
  });
  it('z-test and fisher refuse more than two categories', () => {
    expect(() => ztest({ a: 1, b: 2, c: 3 }, { a: 1 })).toThrow(RangeError);
    expect(() => fisher({ a: 1, b: 2, c: 3 }, { a: 1 })).toThrow(RangeError);
  });
});
