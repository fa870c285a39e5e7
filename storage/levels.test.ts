import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bucketIsRead, LEVEL_MS, LEVELS, planLevels, planLevelsFrom, rollupSource, setLevelsIncompleteBefore, type Level } from './levels.ts';

const D = LEVEL_MS.day;
const M = LEVEL_MS.minute;
const t = (iso: string) => Date.parse(iso);

describe('planLevels', () => {
  it('reads whole days as days, whole hours at the edges as hours, the rest as minutes', () => {
    const plan = planLevels(t('2026-11-01T22:30:00Z'), t('2026-11-04T01:15:00Z'));
    expect(plan.map((r) => [r.level, new Date(r.from).toISOString(), new Date(r.to).toISOString()])).toEqual([
      ['minute', '2026-11-01T22:30:00.000Z', '2026-11-01T23:00:00.000Z'],
      ['hour', '2026-11-01T23:00:00.000Z', '2026-11-02T00:00:00.000Z'],
      ['day', '2026-11-02T00:00:00.000Z', '2026-11-04T00:00:00.000Z'],
      ['hour', '2026-11-04T00:00:00.000Z', '2026-11-04T01:00:00.000Z'],
      ['minute', '2026-11-04T01:00:00.000Z', '2026-11-04T01:15:00.000Z'],
    ]);
  });

  it('a window inside one hour is minutes only; a coarsest level caps the choice', () => {
    expect(planLevels(t('2026-11-01T10:05:00Z'), t('2026-11-01T10:50:00Z')).map((r) => r.level)).toEqual(['minute']);
    expect(planLevels(t('2026-11-01T00:00:00Z'), t('2026-11-03T00:00:00Z'), 'hour')).toEqual([{ level: 'hour', from: t('2026-11-01T00:00:00Z'), to: t('2026-11-03T00:00:00Z') }]);
    expect(planLevels(t('2026-11-01T00:00:00Z'), t('2026-11-03T00:00:00Z'), 'minute').map((r) => r.level)).toEqual(['minute']);
  });

  it('rounds a mid-minute edge up, as "minute >= from AND minute < to" did', () => {
    expect(planLevels(t('2026-11-01T10:05:30Z'), t('2026-11-01T10:07:10Z'))).toEqual([{ level: 'minute', from: t('2026-11-01T10:06:00Z'), to: t('2026-11-01T10:08:00Z') }]);
    expect(planLevels(5, 5)).toEqual([]);
  });

  it('property: the ranges cover the window once, in order, aligned, and agree with the per-bucket rule', () => {
    const coarsest = fc.constantFrom<Level>('minute', 'hour', 'day');
    const base = t('2026-01-01T00:00:00Z');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 * D }), fc.integer({ min: 0, max: 5 * D }), coarsest, (off, len, top) => {
        const from = base + off;
        const to = from + len;
        const plan = planLevels(from, to, top);
        const f = Math.ceil(from / M) * M;
        const end = Math.ceil(to / M) * M;
        let at = f;
        for (const r of plan) {
          expect(r.from).toBe(at);
          expect(r.from % LEVEL_MS[r.level]).toBe(0);
          expect(r.to % LEVEL_MS[r.level]).toBe(0);
          expect(LEVELS.indexOf(r.level)).toBeLessThanOrEqual(LEVELS.indexOf(top));
          at = r.to;
        }
        expect(at).toBe(plan.length ? end : at);
        if (!plan.length) expect(end).toBeLessThanOrEqual(f);
        // Every bucket the plan reads is one the row rule reads, and the other way round.
        for (const level of LEVELS) {
          const step = LEVEL_MS[level];
          const inPlan = new Set<number>();
          for (const r of plan) if (r.level === level) for (let b = r.from; b < r.to; b += step) inPlan.add(b);
          const disagree: number[] = [];
          for (let b = Math.floor(f / step) * step - step; b < end + step; b += step) {
            if (bucketIsRead(level, b, from, to, top) !== inPlan.has(b)) disagree.push(b);
          }
          expect(disagree).toEqual([]);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('planLevelsFrom (hour and day levels not yet backfilled)', () => {
  it('reads minute states up to the first whole day after the levels were created, then plans as usual', () => {
    const created = t('2026-11-02T09:12:00Z');
    const plan = planLevelsFrom(t('2026-11-01T22:30:00Z'), t('2026-11-04T01:15:00Z'), 'day', created);
    expect(plan.map((r) => [r.level, new Date(r.from).toISOString(), new Date(r.to).toISOString()])).toEqual([
      ['minute', '2026-11-01T22:30:00.000Z', '2026-11-03T00:00:00.000Z'],
      ['day', '2026-11-03T00:00:00.000Z', '2026-11-04T00:00:00.000Z'],
      ['hour', '2026-11-04T00:00:00.000Z', '2026-11-04T01:00:00.000Z'],
      ['minute', '2026-11-04T01:00:00.000Z', '2026-11-04T01:15:00.000Z'],
    ]);
    expect(planLevelsFrom(t('2026-11-01T00:00:00Z'), t('2026-11-02T00:00:00Z'), 'day', created)).toEqual([{ level: 'minute', from: t('2026-11-01T00:00:00Z'), to: t('2026-11-02T00:00:00Z') }]);
    expect(planLevelsFrom(t('2026-11-05T00:00:00Z'), t('2026-11-06T00:00:00Z'), 'day', created)).toEqual([{ level: 'day', from: t('2026-11-05T00:00:00Z'), to: t('2026-11-06T00:00:00Z') }]);
    expect(planLevelsFrom(t('2026-11-01T00:00:00Z'), t('2026-11-06T00:00:00Z'), 'day', undefined)).toEqual(planLevels(t('2026-11-01T00:00:00Z'), t('2026-11-06T00:00:00Z')));
  });

  it('rollupSource follows the store\'s mark until it is cleared', () => {
    const store = { t: (x: string) => x };
    const w = { from: new Date(t('2026-11-01T00:00:00Z')), to: new Date(t('2026-11-03T00:00:00Z')) };
    setLevelsIncompleteBefore(store, t('2026-11-02T12:00:00Z'));
    expect(rollupSource(store, 'latency', w).ranges.map((r) => r.level)).toEqual(['minute']);
    setLevelsIncompleteBefore(store, undefined);
    expect(rollupSource(store, 'latency', w).ranges.map((r) => r.level)).toEqual(['day']);
  });
});

describe('rollupSource', () => {
  it('unions the level tables with the time column renamed period, with prefixed parameters', () => {
    const src = rollupSource({ t: (x) => `mw.${x}` }, 'latency', { from: new Date(t('2026-11-01T23:30:00Z')), to: new Date(t('2026-11-03T00:00:00Z')) }, { prefix: 'r' });
    expect(src.sql).toBe(
      "(SELECT * EXCEPT (minute), minute AS period FROM mw.latency_1m WHERE minute >= {rL0f:DateTime('UTC')} AND minute < {rL0t:DateTime('UTC')}" +
        " UNION ALL SELECT * EXCEPT (day), day AS period FROM mw.latency_1d WHERE day >= {rL1f:DateTime('UTC')} AND day < {rL1t:DateTime('UTC')})",
    );
    expect(src.params).toEqual({ rL0f: '2026-11-01 23:30:00', rL0t: '2026-11-02 00:00:00', rL1f: '2026-11-02 00:00:00', rL1t: '2026-11-03 00:00:00' });
    expect(rollupSource({ t: (x) => x }, 'gpu', { from: new Date(0), to: new Date(0) }).sql).toContain('FROM gpu_1m WHERE 0');
      });
});
