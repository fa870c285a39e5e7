import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOldData, type OldData } from '../test/storage/old-data.ts';
import type { Store } from './client.ts';
import { migrate } from './migrate.ts';
import { backfill, LEVELS_MIGRATION, partitionOf, partitionRange, pendingBackfill } from './backfill.ts';

let store: Store;
let data: OldData;
let dir: string;
let appliedAt: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-backfill-'));
  ({ store, data } = await writeOldData(dir));
  await migrate(store);
  const [{ at }] = await store.query<{ at: string }>(`SELECT toString(applied_at) AS at FROM ${store.t('schema_migrations')} WHERE version = {v:UInt32}`, { v: LEVELS_MIGRATION });
  appliedAt = +new Date(at.replace(' ', 'T') + 'Z');
});
afterAll(async () => {
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sum = async (table: string, col: string) => Number((await store.query<{ n: number }>(`SELECT sum(${col}) AS n FROM ${store.t(table)}`))[0].n);

describe('rollup backfill', () => {
  it('partition ids and ranges of the hour (month) and day (year) levels', () => {
    expect(partitionRange('hour', '202402')).toEqual({ from: Date.UTC(2024, 1, 1), to: Date.UTC(2024, 2, 1) });
    expect(partitionRange('day', '2024')).toEqual({ from: Date.UTC(2024, 0, 1), to: Date.UTC(2025, 0, 1) });
    expect(partitionOf('hour', Date.UTC(2024, 11, 31, 23))).toBe('202412');
    expect(partitionOf('day', Date.UTC(2024, 11, 31, 23))).toBe('2024');
    expect(() => partitionRange('hour', "2024' OR 1")).toThrow(expect.objectContaining({ code: 'MW_ERR_BACKFILL_FAILED' }));
    expect(() => partitionRange('day', '202401')).toThrow(expect.objectContaining({ code: 'MW_ERR_BACKFILL_FAILED' }));
  });

  it('with live writers, the partitions being written wait until the bucket of the migration has closed, then are rebuilt up to it', async () => {
    const pending = await pendingBackfill(store);
    const now = new Date(appliedAt + 1000);
    const isLive = (p: { level: 'hour' | 'day'; partition: string }) => p.partition === partitionOf(p.level, +now);
    // The current year always has data here (two days ago at the latest), so some wait.
    expect(pending.some(isLive)).toBe(true);
    const first = await backfill(store, { liveWriters: true, now });
    expect(first.waiting.map((w) => `${w.table}/${w.partition}`).sort()).toEqual(pending.filter(isLive).map((p) => `${p.table}/${p.partition}`).sort());
    expect(first.built.every((s) => s.how === 'replaced')).toBe(true);
    expect(await pendingBackfill(store)).toHaveLength(first.waiting.length);

    // The next day the bucket of the migration is closed: the rest is rebuilt over its closed range.
    const later = new Date(appliedAt + 86_400_000 + 120_000);
    const second = await backfill(store, { liveWriters: true, now: later });
    expect(second.waiting).toEqual([]);
    expect(second.built.map((s) => `${s.table}/${s.partition}`).sort()).toEqual(first.waiting.map((w) => `${w.table}/${w.partition}`).sort());
    for (const s of second.built) expect(s.how).toBe(partitionOf(s.level, +later) === s.partition ? 'range' : 'replaced');
    for (const level of ['1h', '1d']) {
      expect(await sum(`latency_${level}`, 'predictions')).toBe(data.predictions);
      expect(await sum(`feature_num_${level}`, 'count')).toBe(data.numValues);
      expect(await sum(`feature_cat_${level}`, 'count')).toBe(data.predictions);
      expect(await sum(`feature_null_${level}`, 'nulls')).toBe(data.nulls);
      expect(await sum(`gpu_${level}`, 'samples')).toBe(data.gpuSamples);
    }
    expect(await pendingBackfill(store)).toEqual([]);
    expect(await backfill(store, { liveWriters: true, now: later })).toEqual({ built: [], waiting: [] });
  });

  it('rows written after the migration reach the levels through the views, and a rerun of a finished partition keeps them', async () => {
    const before = await sum('latency_1d', 'predictions');
    await store.insert('predictions', [{ ts: new Date(Date.now() - 3_600_000).toISOString().replace('T', ' ').replace('Z', ''), model: 'm1', version: 'v1' }]);
    expect(await sum('latency_1h', 'predictions')).toBe(before + 1);
    expect(await sum('latency_1d', 'predictions')).toBe(before + 1);
    // Forget what was built: a full rebuild recomputes every partition from the level below, the new row included.
    await store.command(`TRUNCATE TABLE ${store.t('rollup_backfill')}`);
    const r = await backfill(store);
    expect(r.built.length).toBeGreaterThan(0);
    expect(await sum('latency_1h', 'predictions')).toBe(before + 1);
    expect(await sum('latency_1d', 'predictions')).toBe(before + 1);
  });
});
