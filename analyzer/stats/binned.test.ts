import { describe, expect, it } from 'vitest';
import { binByReferenceQuantiles, binnedMeasure, BINNED_METHODS, countIntoBins, psiCounts, quantileEdges } from './binned.ts';
import { closeRel, fixtures, samplesOf } from './fixtures/load.ts';

describe('quantile binning and binned measures against numpy/scipy', () => {
  for (const c of fixtures.numeric) {
    it(c.name, () => {
      const [x, y] = samplesOf(c);
      const b = binByReferenceQuantiles(x, y);
      expect(Array.from(b.edges)).toEqual(c.binned.edges);
      expect(Array.from(b.reference)).toEqual(c.binned.reference_counts);
      expect(Array.from(b.current)).toEqual(c.binned.current_counts);
      for (const m of BINNED_METHODS) {
        expect(closeRel(binnedMeasure(m, b.reference, b.current), c.binned[m]), m).toBe(true);
        // the count-vector API gives the same as recomputing from the fixture's counts
        expect(closeRel(binnedMeasure(m, c.binned.reference_counts, c.binned.current_counts), c.binned[m]), m).toBe(true);
      }
    });
  }
});

describe('binning details', () => {
  it('outer bins are open and edges are inclusive on the right', () => {
    const edges = quantileEdges(Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 2);
    expect(Array.from(edges)).toEqual([5]);
    expect(Array.from(countIntoBins(Float64Array.from([-100, 5, 5.0001, 100]), edges))).toEqual([2, 2]);
  });
  it('replaces an empty share by 0.0001 in PSI', () => {
    const expected = (0.5 - 0.0001) * Math.log(0.5 / 0.0001) + (0.5 - 1) * Math.log(0.5 / 1);
    expect(psiCounts([1, 1], [0, 2])).toBeCloseTo(expected, 12);
  });
  it('an empty side gives 0 and mismatched lengths throw', () => {
    expect(binnedMeasure('jensenshannon', [0, 0], [1, 2])).toBe(0);
    expect(() => binnedMeasure('tvd', [1], [1, 2])).toThrow(RangeError);
  });
});
