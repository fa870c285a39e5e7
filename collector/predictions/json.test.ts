import { describe, expect, it } from 'vitest';
import { parsePredictionsBody } from './json.ts';

describe('parsePredictionsBody', () => {
  it('rejects alone a record whose field cannot be converted, and keeps the rest of the body', () => {
    const good = JSON.stringify({ model: 'm', id: 'a', features: { x: 1 } });
    const odd = JSON.stringify({ model: 'm', id: 'b', version: { toString: 1 }, features: { x: 2 } });
    for (const body of [`${good}\n${odd}\n${good}`, `[${good}, ${odd}, ${good}]`]) {
      const out = parsePredictionsBody(body, Date.now());
      expect(out.rows).toHaveLength(2);
      expect(out.rejected).toBe(1);
      expect(out.errors[0]).toMatch(/^(line 2|record 1): record cannot be read \(TypeError/);
    }
  });

  it('refuses a bad feature name in every record, also where a valid name stood at its position before', () => {
    const rec = (i: number, names: string[]) => JSON.stringify({ model: 'm', id: `r${i}`, features: Object.fromEntries(names.map((n, k) => [n, k])) });
    const shapes = [['a', 'b'], ['a', 'bad name'], ['a', 'b'], ['bad name', 'b'], ['a', 'b'], ['a', 'b', 'c d']];
    const out = parsePredictionsBody(shapes.map((names, i) => rec(i, names)).join('\n'), Date.now());
    expect(out.rows.map((r) => r.prediction_id)).toEqual(['r0', 'r2', 'r4']);
    expect(out.errors).toEqual([
      'line 2: feature name "bad name" is not allowed (letters, digits, _ . -; at most 128)',
      'line 4: feature name "bad name" is not allowed (letters, digits, _ . -; at most 128)',
      'line 6: feature name "c d" is not allowed (letters, digits, _ . -; at most 128)',
    ]);
  });
});
