/**
 * `levelRowPredicate` evaluated by ClickHouse picks exactly the buckets `planLevels` plans, per
 * level, for fixed and random windows and every coarsest level: the SQL form (Grafana panels) and
 * the planned form (API, alerts, analyzers) of the rule cannot drift apart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from './client.ts';
import { LEVEL_MS, LEVEL_TABLE, LEVELS, levelRowPredicate, planLevels, type Level } from './levels.ts';

let store: Store;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-levels-sql-'));
  store = await createStore({ dataDir: dir });
});

afterAll(async () => {
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const t = (iso: string) => Date.parse(iso);
const S = 1000;

/** Bucket starts (epoch s) of each level that the plan reads. */
function planned(from: number, to: number, coarsest: Level): Record<Level, number[]> {
  const out: Record<Level, number[]> = { minute: [], hour: [], day: [] };
  for (const r of planLevels(from, to, coarsest)) for (let b = r.from; b < r.to; b += LEVEL_MS[r.level]) out[r.level].push(b / S);
  return out;
}

/**
 * Bucket starts (epoch s) of each level whose row the predicate keeps, over every bucket from one
 * before the window to one after it. The window is given as the plugin writes `$__fromTime` /
 * `$__toTime`: `toDateTime(<epoch seconds>)`.
 */
async function selected(from: number, to: number, coarsestSql: string | undefined): Promise<Record<Level, number[]>> {
  const fromSql = `toDateTime(${from / S})`;
  const toSql = `toDateTime(${to / S})`;
  const columns = LEVELS.map((level) => {
    const len = LEVEL_MS[level];
    const first = (Math.floor(from / len) - 1) * len;
    const n = Math.ceil((to + len - first) / len) + 1;
    const col = LEVEL_TABLE[level].column;
    return `(SELECT arraySort(groupArray(toUnixTimestamp(${col}))) FROM (SELECT toDateTime(${first / S} + number * ${len / S}, 'UTC') AS ${col} FROM numbers(${n}))
             WHERE ${levelRowPredicate(level, fromSql, toSql, coarsestSql)}) AS ${level}`;
  });
  const [row] = await store.query<Record<Level, number[]>>(`SELECT ${columns.join(', ')}`);
  return { minute: row.minute.map(Number), hour: row.hour.map(Number), day: row.day.map(Number) };
}

/** The coarsest levels to try: no bound, each level's bucket length, and an expression as the panels write one. */
const COARSEST: [string | undefined, Level][] = [
  [undefined, 'day'],
  ['60', 'minute'],
  ['3600', 'hour'],
  ['86400', 'day'],
  ['multiIf(7200 % 86400 = 0, 86400, 7200 % 3600 = 0, 3600, 60)', 'hour'],
];

async function expectAgreement(from: number, to: number): Promise<void> {
  for (const [sqlBound, level] of COARSEST) {
    const label = `[${new Date(from).toISOString()}, ${new Date(to).toISOString()}) coarsest ${sqlBound ?? 'any'}`;
    expect(await selected(from, to, sqlBound), label).toEqual(planned(from, to, level));
  }
}

describe('levelRowPredicate in ClickHouse', () => {
  it('agrees with planLevels on windows with mid-day, mid-hour, mid-minute and aligned edges', async () => {
    const windows: [string, string][] = [
      ['2026-11-01T22:30:00Z', '2026-11-04T01:15:00Z'],
      ['2026-11-01T22:30:17Z', '2026-11-04T01:15:42Z'],
      ['2026-11-01T00:00:00Z', '2026-11-03T00:00:00Z'],
      ['2026-11-01T10:05:00Z', '2026-11-01T10:50:00Z'],
      ['2026-11-01T09:59:59Z', '2026-11-01T12:00:01Z'],
      ['2026-11-01T23:00:00Z', '2026-11-02T01:00:00Z'],
      ['2026-11-01T10:05:30Z', '2026-11-01T10:05:40Z'],
      ['2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z'],
    ];
    for (const [a, b] of windows) await expectAgreement(t(a), t(b));
  });

  it('agrees with planLevels on random windows of up to four days', async () => {
    const base = t('2026-02-27T00:00:00Z');
    const windows = fc.sample(fc.tuple(fc.integer({ min: 0, max: 6 * 86_400 }), fc.integer({ min: 0, max: 4 * 86_400 })), { numRuns: 20, seed: 7 });
    for (const [off, len] of windows) await expectAgreement(base + off * S, base + (off + len) * S);
  });
});
