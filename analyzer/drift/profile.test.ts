import { describe, expect, it } from 'vitest';
import { scaleSampled, SKETCH_SAMPLE_ROWS, sketchStride } from './profile.ts';

const row = (feature: string, n: number) => ({ feature, n, mean: 0, sd: 1, mn: -1, mx: 1, q: [0] });

describe('raw-window row sampling', () => {
  it('reads every row up to twice the target, then a 1-in-k sample of at least the target', () => {
    expect(SKETCH_SAMPLE_ROWS).toBe(500_000);
    expect(sketchStride(0)).toBe(1);
    expect(sketchStride(999_999)).toBe(1);
    expect(sketchStride(1_000_000)).toBe(2);
    expect(sketchStride(5_000_000)).toBe(10);
    expect(sketchStride(5_000_000, 0)).toBe(1);
    for (const rows of [1_000_000, 1_499_999, 7_777_777]) expect(rows / sketchStride(rows)).toBeGreaterThanOrEqual(SKETCH_SAMPLE_ROWS);
  });

  it('scales sampled value counts by the stride and reads rare features in full', async () => {
    const asked: string[][] = [];
    const out = await scaleSampled([row('a', 50_000), row('rare', 30)], 10, 25_000, async (f) => {
      asked.push(f);
      return [row('rare', 310)];
    });
    expect(asked).toEqual([['rare']]);
    expect(out.rows.map((r) => [r.feature, Number(r.n)])).toEqual([['a', 500_000], ['rare', 310]]);
    expect(out.estimated).toEqual(['a']);
  });

  it('leaves an unsampled read as it is', async () => {
    const out = await scaleSampled([row('a', 7)], 1, 0, async () => { throw new Error('not called'); });
    expect(out).toEqual({ rows: [row('a', 7)], estimated: [] });
  });
});
