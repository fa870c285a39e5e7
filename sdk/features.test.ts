import { describe, expect, it } from 'vitest';
import { FeatureKeyCache, emptyInvalidCounts, isValidFeatureName, normaliseValue, writeFeatureAttributes } from './features.ts';
import { RecordRing } from './queue.ts';
import { clampRate, fnv1a32, makeSampler } from './sampling.ts';

describe('feature names', () => {
  it.each(['amount', '_x', 'a.b-c_d', 'A9', 'x'.repeat(128)])('accepts %s', (n) => expect(isValidFeatureName(n)).toBe(true));
  it.each(['', '9lives', '-a', '.a', 'has space', 'ümlaut', 'a/b', 'x'.repeat(129), 'a\n'])('rejects %j', (n) => expect(isValidFeatureName(n)).toBe(false));
});

describe('feature values', () => {
  it('sends non-finite numbers as null and counts them', () => {
    const counts = emptyInvalidCounts();
    const attrs: Record<string, unknown> = {};
    const n = writeFeatureAttributes(
      { a: NaN, b: Infinity, c: -Infinity, d: 1.5, e: 'x', f: false, g: null, h: undefined, 'bad name': 1, i: { nested: 1 }, j: 10n },
      attrs as never,
      new FeatureKeyCache(),
      counts,
    );
    expect(attrs).toEqual({
      'ml.feature.a': null,
      'ml.feature.b': null,
      'ml.feature.c': null,
      'ml.feature.d': 1.5,
      'ml.feature.e': 'x',
      'ml.feature.f': false,
      'ml.feature.g': null,
      'ml.feature.h': null,
      'ml.feature.i': null,
      'ml.feature.j': 10,
    });
    expect(n).toBe(10);
    expect(counts).toEqual({ non_finite: 3, invalid_name: 1, unsupported_type: 1 });
  });

  it('normalises single values', () => {
    const counts = emptyInvalidCounts();
    expect(normaliseValue(0, counts)).toBe(0);
    expect(normaliseValue(-0.25, counts)).toBe(-0.25);
    expect(normaliseValue(NaN, counts)).toBeNull();
    expect(normaliseValue(2n ** 70n, counts)).toBeNull();
    expect(counts).toEqual({ non_finite: 1, invalid_name: 0, unsupported_type: 1 });
  });

  it('bounds the name memo', () => {
    const cache = new FeatureKeyCache(2);
    expect(cache.key('a')).toBe('ml.feature.a');
    expect(cache.key('b')).toBe('ml.feature.b');
    expect(cache.key('c')).toBe('ml.feature.c');
    expect(cache.key('no good')).toBeNull();
    expect((cache as unknown as { keys: Map<string, unknown> }).keys.size).toBe(2);
  });
});

describe('RecordRing', () => {
  it('is FIFO, refuses pushes when full, and wraps around', () => {
    const ring = new RecordRing(3);
    expect(ring.push(0, 1, 'a', null)).toBe(true);
    expect(ring.push(0, 2, 'b', null)).toBe(true);
    expect(ring.push(1, 3, 'c', 'x')).toBe(true);
    expect(ring.push(0, 4, 'd', null)).toBe(false);
    expect(ring.size).toBe(3);
    const seen: unknown[] = [];
    ring.shift((k, t, p, e) => seen.push([k, t, p, e]));
    expect(ring.push(0, 5, 'e', null)).toBe(true);
    while (ring.shift((k, t, p, e) => seen.push([k, t, p, e])));
    expect(seen).toEqual([
      [0, 1, 'a', null],
      [0, 2, 'b', null],
      [1, 3, 'c', 'x'],
      [0, 5, 'e', null],
    ]);
    expect(ring.size).toBe(0);
    expect(() => new RecordRing(0)).toThrow(RangeError);
  });
});

describe('sampling', () => {
  it('is deterministic per id and close to the rate', () => {
    const keep = makeSampler(0.25);
    let kept = 0;
    for (let i = 0; i < 20_000; i++) if (keep(`id-${i}`)) kept++;
    expect(kept / 20_000).toBeGreaterThan(0.23);
    expect(kept / 20_000).toBeLessThan(0.27);
    for (let i = 0; i < 100; i++) expect(keep(`id-${i}`)).toBe(keep(`id-${i}`));
    expect(makeSampler(1)('x')).toBe(true);
    expect(makeSampler(0)('x')).toBe(false);
    expect(clampRate(7)).toBe(1);
    expect(clampRate(-1)).toBe(0);
    expect(clampRate('0.5')).toBe(1);
    expect(fnv1a32('')).toBe(0x811c9dc5);
  });
});
