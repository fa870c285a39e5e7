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
});
