import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore } from '../test/helpers/store.ts';
import { predictionRow } from '../test/analyzer/seed.ts';
import type { Store } from './client.ts';
import { levelForStep, seenByKey, seenEdges, seenFrom, type LevelEdge } from './levels-read.ts';

const t = (iso: string) => Date.parse(iso);

describe('levelForStep', () => {
  it('is the coarsest level whose bucket length divides the step', () => {
    expect([60, 600, 840, 5400, 3600, 7200, 43_200, 86_400, 172_800].map(levelForStep))
      .toEqual(['minute', 'minute', 'minute', 'minute', 'hour', 'hour', 'hour', 'day', 'day']);
  });
});

describe('seenFrom', () => {
  const edges = (m: [string, string] | null, h: [string, string] | null, d: [string, string] | null): LevelEdge[] =>
    ([['minute', m], ['hour', h], ['day', d]] as const).flatMap(([level, e]) => (e ? [{ level, first: t(e[0]), last: t(e[1]) }] : []));

  it('takes both edges from the minutes while they hold them', () => {
    expect(seenFrom(edges(['2026-11-01T10:07:00Z', '2026-11-03T08:41:00Z'], ['2026-11-01T10:00:00Z', '2026-11-03T08:00:00Z'], ['2026-11-01T00:00:00Z', '2026-11-03T00:00:00Z'])))
      .toEqual({ first: t('2026-11-01T10:07:00Z'), last: t('2026-11-03T08:42:00Z') });
  });

  it('falls back to the hour or the day for a first edge the finer levels no longer hold (expired)', () => {
    const last = ['2026-11-03T08:41:00Z', '2026-11-03T08:00:00Z', '2026-11-03T00:00:00Z'];
    // Minutes kept from Oct 5 on; the hours still hold the first hour.
    expect(seenFrom(edges(['2026-10-05T00:00:00Z', last[0]], ['2026-09-01T13:00:00Z', last[1]], ['2026-09-01T00:00:00Z', last[2]]))?.first).toBe(t('2026-09-01T13:00:00Z'));
    // Hours expired too: the day.
    expect(seenFrom(edges(['2026-10-05T00:00:00Z', last[0]], ['2026-08-01T00:00:00Z', last[1]], ['2025-02-11T00:00:00Z', last[2]]))?.first).toBe(t('2025-02-11T00:00:00Z'));
    // The last edge stays minute-accurate.
    expect(seenFrom(edges(['2026-10-05T00:00:00Z', last[0]], ['2026-08-01T00:00:00Z', last[1]], ['2025-02-11T00:00:00Z', last[2]]))?.last).toBe(t('2026-11-03T08:42:00Z'));
  });

  it('a last edge older than the minutes comes from the hour (or the day); a level not built yet is skipped', () => {
    expect(seenFrom(edges(null, ['2026-08-01T00:00:00Z', '2026-09-01T13:00:00Z'], ['2026-08-01T00:00:00Z', '2026-09-01T00:00:00Z']))?.last).toBe(t('2026-09-01T14:00:00Z'));
    expect(seenFrom(edges(null, null, ['2026-08-01T00:00:00Z', '2026-09-01T00:00:00Z']))).toEqual({ first: t('2026-08-01T00:00:00Z'), last: t('2026-09-02T00:00:00Z') });
    // Minutes only (hour and day levels not backfilled yet).
    expect(seenFrom(edges(['2026-11-01T10:07:00Z', '2026-11-01T10:09:00Z'], null, null))).toEqual({ first: t('2026-11-01T10:07:00Z'), last: t('2026-11-01T10:10:00Z') });
    expect(seenFrom([])).toBeNull();
  });
});

describe('seenEdges over the level tables', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const DAY = 86_400_000;
  const day = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
  const at = (h: number, m: number) => day + h * 3_600_000 + m * 60_000;

  beforeAll(async () => {
    ({ store, cleanup } = await createTestStore());
    await store.insert('predictions', [at(8, 41), at(10, 40), at(10, 55), at(29, 3)].map((ms, i) => predictionRow({ ms: ms + 5_000, model: 'm', id: String(i) })));
  });
  afterAll(async () => {
    await cleanup?.();
  });

  const seen = async (window?: { from?: number; to?: number }) => {
    const q = seenEdges(store, 'latency', { keys: ['model'], where: 'predictions > 0', window });
    return seenByKey(await store.query<{ model: string; level: string; first: number; last: number }>(q.sql, q.params), (r) => r.model).get('m') ?? null;
  };

  it('finds the first and the last minute over all history', async () => {
    expect(await seen()).toEqual({ first: at(8, 41), last: at(29, 4) });
  });

  it('within a window, a coarse bucket reaching past an edge reports nothing from beyond it', async () => {
    // 10:20 lies inside the hour (and day) of the 10:40 prediction: seen last at 08:42, not at 11:00 or midnight.
    expect((await seen({ from: day - DAY, to: at(10, 20) }))?.last).toBe(at(8, 42));
    // The minute in progress at `to` counts.
    expect((await seen({ from: day - DAY, to: at(10, 40) + 30_000 }))?.last).toBe(at(10, 41));
    // From 09:00: the first prediction after it.
    expect((await seen({ from: at(9, 0), to: at(30, 0) }))?.first).toBe(at(10, 40));
    expect(await seen({ from: at(11, 0), to: at(20, 0) })).toBeNull();
  });

  it('keeps the first prediction once its minutes are gone (expired), to the hour', async () => {
    await store.command(`ALTER TABLE ${store.t('latency_1m')} DELETE WHERE minute < toDateTime(${at(10, 0) / 1000}, 'UTC')`, undefined, { mutations_sync: '2' } as never);
    expect(await seen()).toEqual({ first: at(8, 0), last: at(29, 4) });
  });
});
