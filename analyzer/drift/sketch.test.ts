import { describe, expect, it } from 'vitest';
import { drawSample } from '../stats/fixtures/sample.ts';
import {
  binnedMeasure, countIntoBins, energySorted, ksStatisticSorted, quantileEdges, quantileSorted7, sortedFinite, wassersteinSorted,
} from '../stats/index.ts';
import {
  binCounts, cdfOf, distinctKnots, ksFromSummaries, LEVEL_VALUES, LEVELS, LEVELS_SQL, quantileOf, referenceCuts, sketchSample,
  sketchValueCounts, type QuantileSummary,
} from './sketch.ts';

/** An exact summary of a sample: its type-7 quantiles at the sketch levels (what a perfect digest returns). */
function summaryOf(values: Float64Array): QuantileSummary {
  const s = sortedFinite(values);
  return { n: s.length, min: s[0], max: s[s.length - 1], q: LEVEL_VALUES.map((p) => quantileSorted7(s, p)) };
}

const normal = (n: number, seed: number, loc = 0, scale = 1) => sortedFinite(drawSample({ dist: 'normal', n, seed, loc, scale }));

describe('sketch levels', () => {
  it('reads 1,000 midpoint levels, written as SQL literals', () => {
    expect(LEVELS).toBe(1000);
    expect(LEVEL_VALUES[0]).toBeCloseTo(0.0005, 12);
    expect(LEVEL_VALUES[LEVELS - 1]).toBeCloseTo(0.9995, 12);
    expect(LEVELS_SQL.split(',').map(Number)).toEqual(LEVEL_VALUES.map((p) => Number(p.toFixed(4))));
  });
});

describe('quantile function and CDF of a summary', () => {
  const s = summaryOf(normal(20000, 1));

  it('CDF and quantile function invert each other between the knots', () => {
    for (const p of [0.01, 0.1, 0.25, 0.5, 0.9, 0.999]) expect(cdfOf(s)(quantileOf(s, p))).toBeCloseTo(p, 9);
    expect(cdfOf(s)(s.min - 1)).toBe(0);
    expect(cdfOf(s)(s.max)).toBe(1);
    expect(quantileOf(s, 0)).toBe(s.min);
    expect(quantileOf(s, 1)).toBe(s.max);
  });

  it('repairs a non-monotone sketch (digests interpolate) and keeps knots inside [min, max]', () => {
    const bad: QuantileSummary = { n: 10, min: 0, max: 1, q: LEVEL_VALUES.map((p, i) => (i === 500 ? 0.1 : i === 999 ? 5 : p)) };
    const g = sketchSample(bad);
    for (let i = 1; i < g.length; i++) expect(g[i]).toBeGreaterThanOrEqual(g[i - 1]);
    expect(g[g.length - 1]).toBe(1);
  });
});

describe('sketch -> statistics in analyzer/stats', () => {
  const a = normal(50000, 2);
  const b = normal(40000, 3, 0.1, 1.1);
  const sa = summaryOf(a);
  const sb = summaryOf(b);

  it('KS statistic from two summaries is within 0.002 of the exact one (grid error <= 1/LEVELS)', () => {
    const exact = ksStatisticSorted(a, b);
    expect(Math.abs(ksFromSummaries(sa, sb) - exact)).toBeLessThanOrEqual(0.002);
    // Mixed: an exact sample against a summary.
    expect(Math.abs(ksStatisticSorted(a, sketchSample(sb)) - exact)).toBeLessThanOrEqual(0.002);
  });

  it('Wasserstein and energy on the quantile grids are within 1% of the exact values', () => {
    const exactW = wassersteinSorted(a, b).statistic;
    const sd = wassersteinSorted(a, b).reference_std;
    expect(wassersteinSorted(sketchSample(sa), sketchSample(sb), sd).statistic).toBeCloseTo(exactW, 2);
    expect(Math.abs(wassersteinSorted(sketchSample(sa), sketchSample(sb), sd).statistic / exactW - 1)).toBeLessThan(0.01);
    const exactE = energySorted(a, b);
    expect(Math.abs(energySorted(sketchSample(sa), sketchSample(sb)) / exactE - 1)).toBeLessThan(0.01);
  });

  it('reference cuts equal the exact type-7 deciles of the sample', () => {
    const cuts = referenceCuts(sa);
    const exact = quantileEdges(a);
    expect(cuts.length).toBe(9);
    for (let i = 0; i < 9; i++) expect(Math.abs(cuts[i] - exact[i])).toBeLessThan(0.01);
  });

  it('bin counts read from the sketch CDF match the exact counts within 0.3% of n per bin', () => {
    const cuts = quantileEdges(a);
    const exact = countIntoBins(b, cuts);
    const sketched = binCounts(sb, cuts);
    expect(sketched.reduce((x, y) => x + y, 0)).toBeCloseTo(b.length, 6);
    for (let i = 0; i < exact.length; i++) expect(Math.abs(sketched[i] - exact[i]) / b.length).toBeLessThan(0.003);
    for (const m of ['psi', 'jensenshannon', 'hellinger', 'tvd'] as const) {
      const e = binnedMeasure(m, countIntoBins(a, cuts), exact);
      const k = binnedMeasure(m, binCounts(sa, cuts), sketched);
      expect(Math.abs(e - k)).toBeLessThan(0.01);
    }
  });

  it('bins are open at both ends: values outside the reference range are counted', () => {
    const far = summaryOf(normal(1000, 4, 100));
    const counts = binCounts(far, referenceCuts(sa));
    expect(counts[counts.length - 1]).toBeCloseTo(1000, 6);
  });
});

describe('columns of few values', () => {
  it('a sketch of a two-valued column shows two knots and their masses', () => {
    const v = new Float64Array(1000).map((_, i) => (i < 300 ? 0 : 1));
    const s = summaryOf(v);
    // type-7 interpolation puts one knot between the two values, as digests do.
    expect(distinctKnots(s)).toBeLessThanOrEqual(3);
    const m = sketchValueCounts(s);
    expect(m.get('0')! / 1000).toBeCloseTo(0.3, 2);
    expect(m.get('1')! / 1000).toBeCloseTo(0.7, 2);
  });

  it('a continuous column shows about LEVELS distinct knots', () => {
    expect(distinctKnots(summaryOf(normal(5000, 5)))).toBeGreaterThan(900);
  });
});
