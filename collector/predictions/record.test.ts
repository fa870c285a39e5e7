import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { featureObject, type FeatureList } from '../../core/features.ts';
import { collectFeatures, FEATURE_NAME } from './features.ts';
import { buildPredictionRow, type PredictionRow } from './record.ts';
import { parsePredictionsBody } from './json.ts';

// The feature rules written the plain way (one object per map, a store per feature): rows built
// through the interned feature lists must match it, key order included, whatever the sequence of inputs.
function reference(features: [string, unknown][]): object | string {
  const num: Record<string, number> = {};
  const cat: Record<string, string> = {};
  const nulls: string[] = [];
  for (const [name, v] of features) {
    if (!FEATURE_NAME.test(name)) return `feature name ${JSON.stringify(name)} is not allowed (letters, digits, _ . -; at most 128)`;
    if (v === null || v === undefined) nulls.push(name);
    else if (typeof v === 'number') {
      if (Number.isFinite(v)) num[name] = v;
      else nulls.push(name);
    } else if (typeof v === 'string') cat[name] = v;
    else if (typeof v === 'boolean') cat[name] = v ? 'true' : 'false';
    else return `feature ${JSON.stringify(name)} has unsupported type ${Array.isArray(v) ? 'array' : typeof v} (number, string, boolean or null)`;
  }
  return { features_num: num, features_cat: cat, features_null: nulls };
}

const name = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...Array.from({ length: 24 }, (_, i) => `f${i}`), 'color', 'tier') },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '1x', '', 'a b', '_ok.x-1') },
);
const value = fc.oneof(
  { weight: 6, arbitrary: fc.double() },
  { weight: 3, arbitrary: fc.constantFrom('red', 'green', '') },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null, Infinity, NaN, -0) },
  { weight: 1, arbitrary: fc.constantFrom([], {}) },
);
const features = fc.array(fc.tuple(name, value), { maxLength: 30 });
// Mostly one feature set repeated (the common case, served from the interned names), sometimes another.
const batch = fc.tuple(features, fc.array(fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: features }), { minLength: 1, maxLength: 12 }));

function built(fs: [string, unknown][], pad: number): object | string {
  const names = [...Array.from({ length: pad }, () => 'pad'), ...fs.map(([n]) => n)];
  const values = [...Array.from({ length: pad }, () => 0), ...fs.map(([, v]) => v)];
  const r = buildPredictionRow({ tsMs: 1_790_000_000_000, model: 'm', features: collectFeatures(names, values, pad) });
  if ('error' in r) return r.error;
  return { features_num: featureObject(r.row.features_num), features_cat: featureObject(r.row.features_cat), features_null: r.row.features_null };
}

describe('buildPredictionRow feature maps', () => {
  it('match the plain construction (values, key order, rejections) over sequences of records', () => {
    fc.assert(
      fc.property(batch, fc.nat(3), ([first, rest], pad) => {
        for (const fs of [first, ...rest.map((x) => x ?? first)]) {
          const want = reference(fs);
          const got = built(fs, pad);
          expect(JSON.stringify(got)).toBe(JSON.stringify(want));
          if (typeof want !== 'string') expect(Object.keys((got as any).features_num)).toEqual(Object.keys((want as any).features_num));
        }
      }),
      { numRuns: 1500, seed: 5 },
    );
  });

  it('matches it for more features than are interned (256)', () => {
    const fs: [string, unknown][] = Array.from({ length: 300 }, (_, i) => [`g${i % 250}`, i % 3 ? i : 'c']);
    expect(JSON.stringify(built(fs, 1))).toBe(JSON.stringify(reference(fs)));
  });

  it('gives each row its own values under shared, frozen names', () => {
    const row = (x: number, c: string) => (buildPredictionRow({ tsMs: 1_790_000_000_000, model: 'm', features: collectFeatures(['x', 'c'], [x, c]) }) as { row: PredictionRow }).row;
    const a = row(1, 'red');
    const b = row(2, 'blue');
    const [an, bn] = [a.features_num as FeatureList<number>, b.features_num as FeatureList<number>];
    expect(an.names).toBe(bn.names);
    expect(Object.isFrozen(an.names)).toBe(true);
    an.values[0] = 9;
    (a.features_cat as FeatureList<string>).values[0] = 'hashed';
    expect(featureObject(b.features_num)).toEqual({ x: 2 });
    expect(featureObject(b.features_cat)).toEqual({ c: 'blue' });
  });

  it('keeps the semantics of an object for a name given twice: first position, last value', () => {
    const r = buildPredictionRow({ tsMs: 1_790_000_000_000, model: 'm', features: collectFeatures(['a', 'b', 'a', '__proto__', 'c'], [1, 2, 3, 4, 5]) });
    const list = (r as { row: PredictionRow }).row.features_num as FeatureList<number>;
    expect([list.names, list.values]).toEqual([['a', 'b', 'c'], [3, 2, 5]]);
    expect(JSON.stringify(list)).toBe('{"a":3,"b":2,"c":5}');
  });

  it('reads NDJSON features the same way', () => {
    fc.assert(
      fc.property(features, (fs) => {
        // JSON has no NaN, Infinity or undefined: those arrive as null.
        const obj: Record<string, unknown> = {};
        for (const [n, v] of fs) if (n !== '__proto__') obj[n] = v;
        const parsed = parsePredictionsBody(JSON.stringify({ model: 'm', timestamp: 1_790_000_000_000, features: obj }));
        const want = reference(Object.entries(JSON.parse(JSON.stringify(obj))));
        if (typeof want === 'string') expect(parsed.errors[0]).toBe(`line 1: ${want}`);
        else {
          const r = parsed.rows[0];
          expect(JSON.stringify({ features_num: r.features_num, features_cat: r.features_cat, features_null: r.features_null })).toBe(JSON.stringify(want));
        }
      }),
      { numRuns: 500, seed: 9 },
    );
  });

  it('refuses latencies the latency rollup cannot hold (ClickHouse would keep the raw row and fail the insert in the view)', () => {
    const input = (latencyMs: number) => ({ tsMs: Date.now(), model: 'm', latencyMs, features: collectFeatures([], []) });
    for (const bad of [1.77e308, 1e13, 1e-310, 5e-324]) {
      expect(buildPredictionRow(input(bad)), String(bad)).toEqual({ error: expect.stringMatching(/^latency_ms must be 0 or between 1e-300 and 1000000000000, got /) });
    }
    for (const ok of [0, 1e-300, 0.5, 1e12]) expect(buildPredictionRow(input(ok)), String(ok)).toMatchObject({ row: { latency_ms: ok } });
  });
});
