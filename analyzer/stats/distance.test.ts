import { describe, expect, it } from 'vitest';
import { energy } from './energy.ts';
import { closeRel, fixtures, samplesOf } from './fixtures/load.ts';
import { wasserstein, WASSERSTEIN_MIN_STD } from './wasserstein.ts';

describe('wasserstein / energy against scipy', () => {
  for (const c of fixtures.numeric) {
    it(c.name, () => {
      const [x, y] = samplesOf(c);
      const w = wasserstein(x, y);
      expect(closeRel(w.statistic, c.wasserstein.statistic)).toBe(true);
      expect(closeRel(w.distance, c.wasserstein.raw)).toBe(true);
      expect(closeRel(energy(x, y), c.energy.statistic)).toBe(true);
    });
  }
  it('floors the reference std for a constant reference', () => {
    const w = wasserstein([5, 5, 5], [5, 5, 6]);
    expect(w.reference_std).toBe(0);
    expect(w.statistic).toBeCloseTo(1 / 3 / WASSERSTEIN_MIN_STD, 9);
  });
  it('empty side gives 0', () => {
    expect(wasserstein([], [1]).statistic).toBe(0);
    expect(energy([1], [null])).toBe(0);
  });
});
