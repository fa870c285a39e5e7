// The pure pieces under the drift HTML report: tick values and label layout, number formats, bins read back.
import { describe, expect, it } from 'vitest';
import type { ColumnDrift } from '../../../analyzer/drift/types.ts';
import { fitLabel, layoutTicks, niceTicks, textWidth } from '../axis.ts';
import { fmtBinLabel, fmtCompact, fmtPctFixed, parseBinLabel } from '../format.ts';
import { numericGrid, topCategories } from './column.ts';
import { explainScore } from './explain.ts';

const col = (over: Partial<ColumnDrift>): ColumnDrift => ({
  column: 'x', type: 'numeric', method: 'wasserstein', statistic: 0.2, p_value: null, threshold: 0.1, drift: true, status: 'drift', path: 'exact', reference_n: 10, current_n: 10, ...over,
});

describe('axis helpers', () => {
  it('nice ticks: steps of 1, 2 or 5 times a power of ten, inside the range', () => {
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.5, 1]);
    expect(niceTicks(42.82, 160.9, 6)).toEqual([60, 80, 100, 120, 140, 160]);
    expect(niceTicks(-3.8e-4, 3.5e-4, 5)).toEqual([-2e-4, 0, 2e-4]);
    expect(niceTicks(5, 5, 4)).toEqual([5]);
  });

  it('lays labels flat when they fit, thins them, then rotates and thins until they clear each other', () => {
    const xs = (n: number, step: number) => Array.from({ length: n }, (_, i) => i * step);
    expect(layoutTicks(['1', '2', '3'], xs(3, 40), 11).angle).toBe(0);
    const thin = layoutTicks(Array.from({ length: 11 }, () => '-5.25e9'), xs(11, 48), 11, { thin: true });
    expect([thin.angle, thin.labels.filter(Boolean).length]).toEqual([0, 6]);
    const tilted = layoutTicks(Array.from({ length: 11 }, () => 'category name'), xs(11, 48), 11);
    expect([tilted.angle, tilted.labels.filter(Boolean).length]).toEqual([-45, 11]);
    const dense = layoutTicks(Array.from({ length: 40 }, () => 'category name'), xs(40, 8), 11);
    expect(dense.angle).toBe(-45);
    expect(dense.labels.filter(Boolean).length).toBe(14);
  });

  it('cuts labels to a width, with an ellipsis', () => {
    expect(fitLabel('short', 100, 11)).toBe('short');
    const cut = fitLabel('a-very-long-category-name-that-goes-on', 80, 11);
    expect(cut.endsWith('…')).toBe(true);
    expect(textWidth(cut, 11)).toBeLessThanOrEqual(80);
    expect(fitLabel('x'.repeat(100_000), 80, 11).length).toBeLessThan(40);
  });
});

describe('number formats of the report', () => {
  it('fixed percentages, compact large numbers, bin labels', () => {
    expect([0, 0.1204, 0.0048, 0.0002, 1].map((x) => fmtPctFixed(x))).toEqual(['0%', '12.0%', '0.5%', '<0.1%', '100.0%']);
    expect([5_250_000_000, -2.892e9, 123_456, 0.5].map((x) => fmtCompact(x, 4))).toEqual(['5.25e9', '-2.892e9', '123,456', '0.5']);
    expect(parseBinLabel('-0.0003771..-0.0001297')).toEqual([-0.0003771, -0.0001297]);
    expect(parseBinLabel('DE')).toBeNull();
    expect(fmtBinLabel('65.61..87.28')).toBe('65.6–87.3');
  });
});

describe('column data', () => {
  it('reads numeric bins back into edges and cumulative shares, dropping empty bins of no width', () => {
    const g = numericGrid(col({ bins: { labels: ['0..1', '1..1', '1..2', '2..5'], reference: [0.5, 0, 0.25, 0.25], current: [0.25, 0, 0.25, 0.5] } }))!;
    expect(g.edges).toEqual([0, 1, 2, 5]);
    expect(g.deciles).toEqual([1, 1, 2]);
    expect(g.refCdf).toEqual([0, 0.5, 0.75, 1]);
    expect(g.curCdf).toEqual([0, 0.25, 0.5, 1]);
    expect(numericGrid(col({ bins: { labels: ['a', 'b'], reference: [1, 0], current: [0, 1] } }))).toBeNull();
  });

  it('keeps the ten largest categories, sums the rest as "other" and tags new and vanished ones', () => {
    const labels = Array.from({ length: 14 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const reference = labels.map((_, i) => (i === 13 ? 0 : (14 - i) / 100));
    const current = labels.map((_, i) => (i === 0 ? 0 : (14 - i) / 100));
    const { rows, others } = topCategories(col({ type: 'categorical', unseen: ['c13'], bins: { labels, reference, current } }));
    expect(others).toBe(4);
    expect(rows.map((r) => r.label)).toEqual(['c00', 'c01', 'c02', 'c03', 'c04', 'c05', 'c06', 'c07', 'c08', 'c09', 'other (4)']);
    expect(rows[0].tag).toBe('gone');
    expect(rows[10].reference).toBeCloseTo(0.04 + 0.03 + 0.02);
  });

  it('says what a score means, and why a column did not drift', () => {
    expect(explainScore(col({ method: 'psi', statistic: 0.05, drift: false, status: 'ok', bins: { labels: ['0..1'], reference: [1], current: [1] } })))
      .toBe('Population Stability Index over the reference-decile bins: 0.05; below 0.1 usually reads as stable, 0.1–0.25 as a moderate shift, above 0.25 as a major one: no drift (drift needs score ≥ 0.1).');
    expect(explainScore(col({ method: 'tvd', type: 'categorical', statistic: 0.12 }))).toMatch(/^Total variation distance: 12% of the values would have to change category/);
  });
});
