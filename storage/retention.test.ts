import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore } from '../test/helpers/store.ts';
import type { Store } from './client.ts';
import { applyRetention, RETAINED_TABLES, retentionStatement } from './retention.ts';

let store: Store;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
});
afterAll(async () => cleanup?.());

describe('retention', () => {
  it('sets the TTL of every raw table once, and is a no-op when it already matches', async () => {
    expect((await applyRetention(store, 7)).sort()).toEqual([...RETAINED_TABLES].sort());
    const rows = await store.query<{ q: string }>(`SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = 'predictions'`, { db: store.database });
    expect(rows[0].q).toMatch(/TTL toDateTime\(ts\) \+ toIntervalDay\(7\)/);
    expect(await applyRetention(store, 7)).toEqual([]);
  });

  it('targets the _local table ON CLUSTER when sharded (a Distributed table has no TTL)', () => {
    expect(retentionStatement('mw', 'predictions', 30, 'prod')).toBe('ALTER TABLE mw.predictions_local ON CLUSTER prod MODIFY TTL toDateTime(ts) + INTERVAL 30 DAY');
    expect(retentionStatement('mw', 'predictions', 30)).toBe('ALTER TABLE mw.predictions MODIFY TTL toDateTime(ts) + INTERVAL 30 DAY');
  });
});
