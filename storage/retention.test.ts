import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore } from '../test/helpers/store.ts';
import { writeOldData } from '../test/storage/old-data.ts';
import type { Store } from './client.ts';
import { backfill } from './backfill.ts';
import { levelTable, ROLLUP_SIGNALS } from './levels.ts';
import { migrate } from './migrate.ts';
import { applyRetention, RETAINED_TABLES, retentionStatement, ttlDays } from './retention.ts';

const ttlOf = async (s: Store, table: string) =>
  ttlDays((await s.query<{ q: string }>(`SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = {t:String}`, { db: s.database, t: table }))[0].q);
const levelTables = (level: 'minute' | 'hour' | 'day') => ROLLUP_SIGNALS.map((s) => levelTable(s, level));

describe('retention', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await createTestStore());
  });
  // The embedded engine holds one data directory per process: this one is closed before the next block opens its own.
  afterAll(async () => cleanup?.());

  it('sets the TTL of every raw table and rollup level once, and is a no-op when it already matches', async () => {
    const days = { raw: 7, minute: 14, hour: 90, day: 730 };
    const first = await applyRetention(store, days);
    expect(first.changed.sort()).toEqual([...RETAINED_TABLES, ...levelTables('minute'), ...levelTables('hour'), ...levelTables('day')].sort());
    expect(first.warnings).toEqual([]);
    const rows = await store.query<{ q: string }>(`SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = 'predictions'`, { db: store.database });
    expect(rows[0].q).toMatch(/TTL toDateTime\(ts\) \+ toIntervalDay\(7\)/);
    expect(await ttlOf(store, 'feature_num_1m')).toBe(14);
    expect(await ttlOf(store, 'gpu_1h')).toBe(90);
    expect(await ttlOf(store, 'latency_1d')).toBe(730);
    expect(await applyRetention(store, days)).toEqual({ changed: [], warnings: [] });
    // Only what differs is touched.
    expect((await applyRetention(store, { ...days, hour: 120 })).changed.sort()).toEqual(levelTables('hour').sort());
  });

  it('targets the _local table ON CLUSTER when sharded (a Distributed table has no TTL), on the level time column for rollups', () => {
    expect(retentionStatement('mw', 'predictions', 30, 'prod')).toBe('ALTER TABLE mw.predictions_local ON CLUSTER prod MODIFY TTL toDateTime(ts) + INTERVAL 30 DAY');
    expect(retentionStatement('mw', 'predictions', 30)).toBe('ALTER TABLE mw.predictions MODIFY TTL toDateTime(ts) + INTERVAL 30 DAY');
    expect(retentionStatement('mw', 'latency_1h', 400, 'prod')).toBe('ALTER TABLE mw.latency_1h_local ON CLUSTER prod MODIFY TTL hour + INTERVAL 400 DAY');
    expect(retentionStatement('mw', 'feature_cat_1m', 30)).toBe('ALTER TABLE mw.feature_cat_1m MODIFY TTL minute + INTERVAL 30 DAY');
    expect(retentionStatement('mw', 'gpu_1d', 1825)).toBe('ALTER TABLE mw.gpu_1d MODIFY TTL day + INTERVAL 1825 DAY');
  });
});

describe('retention while a rollup backfill is pending', () => {
  it('does not lower the minute TTL while minute history is not yet built into hours, and says to run migrate', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-retention-'));
    const { store: old } = await writeOldData(dir);
    try {
      await migrate(old);
      const days = { raw: 30, minute: 30, hour: 400, day: 1825 };
      const held = await applyRetention(old, days);
      // Minute tables keep the 400 days their DDL set; raw tables and the other levels are set.
      for (const t of levelTables('minute')) {
        expect(held.changed).not.toContain(t);
        expect(await ttlOf(old, t)).toBe(400);
      }
      expect(held.warnings).toHaveLength(1);
      expect(held.warnings[0]).toMatch(/minute rollups keep their TTL of 400 days, not 30 .*modelwatch migrate/);
      // Raising a TTL is never held back.
      expect((await applyRetention(old, { ...days, minute: 500, hour: 500, day: 1825 })).changed).toEqual(expect.arrayContaining(levelTables('minute')));
      // ... and lowering it back is, for the hour level too while the day level waits for its build.
      expect((await applyRetention(old, days)).warnings).toEqual([expect.stringMatching(/^hour rollups keep their TTL of 500 days, not 400/), expect.stringMatching(/^minute rollups keep their TTL of 500 days, not 30/)]);

      await backfill(old);
      const after = await applyRetention(old, days);
      expect(after.warnings).toEqual([]);
      expect(after.changed.sort()).toEqual([...levelTables('minute'), ...levelTables('hour')].sort());
      expect(await ttlOf(old, 'latency_1m')).toBe(30);
    } finally {
      await old.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
