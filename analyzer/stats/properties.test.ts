import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anderson } from './anderson.ts';
import { binByReferenceQuantiles, binnedMeasure, BINNED_METHODS } from './binned.ts';
import { chisquare, fisher, ztest } from './categorical.ts';
import { cvm } from './cvm.ts';
import { energy } from './energy.ts';
import { ks } from './ks.ts';
import { wasserstein } from './wasserstein.ts';

const sample = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 });
const counts = (len: number) => fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: len, maxLength: len });
const countPair = fc.integer({ min: 1, max: 12 }).chain((k) => fc.tuple(counts(k), counts(k)));

describe('properties', () => {
  it('p-values lie in [0, 1]', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        for (const p of [ks(a, b).p_value, cvm(a, b).p_value, anderson(a, b).p_value]) {
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 150 },
    );
  });
  it('ks, cvm, energy are symmetric in their arguments', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        expect(ks(a, b).statistic).toBe(ks(b, a).statistic);
        expect(Math.abs(ks(a, b).p_value - ks(b, a).p_value)).toBeLessThan(1e-12);
        expect(cvm(a, b).statistic).toBeCloseTo(cvm(b, a).statistic, 9);
        expect(energy(a, b)).toBeCloseTo(energy(b, a), 6);
      }),
      { numRuns: 100 },
    );
  });
  it('identical samples have distance 0 and no drift', () => {
    fc.assert(
      fc.property(sample, (a) => {
        expect(ks(a, a).statistic).toBe(0);
        expect(ks(a, a).p_value).toBe(1);
        expect(wasserstein(a, a).statistic).toBe(0);
        expect(energy(a, a)).toBe(0);
        const b = binByReferenceQuantiles(a, a);
        for (const m of BINNED_METHODS) expect(binnedMeasure(m, b.reference, b.current)).toBeCloseTo(0, 12);
      }),
    );
  });
  it('JS, Hellinger, TVD, L∞ and PSI are symmetric; bounded measures stay in [0, 1]', () => {
    fc.assert(
      fc.property(countPair, ([p, q]) => {
        for (const m of ['jensenshannon', 'hellinger', 'tvd', 'linf', 'psi'] as const) {
          const d = binnedMeasure(m, p, q);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(Math.abs(d - binnedMeasure(m, q, p))).toBeLessThan(1e-12);
          if (m !== 'psi') expect(d).toBeLessThanOrEqual(1 + 1e-12);
        }
        expect(binnedMeasure('kl', p, q)).toBeGreaterThanOrEqual(-1e-12);
      }),
    );
  });
  it('categorical tests give p in [0, 1] on any binary table', () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(200), fc.nat(200), fc.nat(200), fc.nat(200)), ([a, b, c, d]) => {
        const ref = { x: a, y: b };
        const cur = { x: c, y: d };
        for (const r of [chisquare(ref, cur), ztest(ref, cur), fisher(ref, cur)]) {
          expect(r.p_value).toBeGreaterThanOrEqual(0);
          expect(r.p_value).toBeLessThanOrEqual(1);
          expect(Number.isNaN(r.statistic)).toBe(false);
        }
      }),
    );
  });
});
