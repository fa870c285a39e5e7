import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusingPrediction } from '../test/helpers/refusing-store.ts';
import { createTestStore } from '../test/helpers/store.ts';
import type { Store } from './client.ts';
import { BatchWriter } from './writer.ts';

let store: Store;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
});
afterAll(async () => cleanup?.());

const opts = { maxBatchRows: 1000, flushIntervalMs: 60_000, maxQueueRows: 5000, maxAttempts: 3, retryBaseMs: 1 };
const row = (i: number, model = 'w') => ({ ts: Date.now(), model, prediction_id: String(i), features_num: { x: i } });
const count = async (where: string) => Number((await store.query<{ n: number }>(`SELECT count() AS n FROM ${store.t('predictions')} WHERE ${where}`))[0].n);
const inserts = async (model: string) =>
  Number((await store.query<{ n: number }>(`SELECT uniqExact(_part) AS n FROM ${store.t('predictions')} WHERE model = {m:String}`, { m: model }))[0].n);

describe('BatchWriter', () => {
  it('a retried batch with the same dedup token adds no rows', async () => {
    const body = Buffer.from([row(1, 'dedup'), row(2, 'dedup')].map((r) => JSON.stringify(r)).join('\n'));
    await store.insertRaw('predictions', body, { dedupToken: 'tok-1' });
    await store.insertRaw('predictions', body, { dedupToken: 'tok-1' });
    expect(await count("model = 'dedup'")).toBe(2);
    // Every rollup level, including the hour and day levels fed from the level below, counts the rows once.
    for (const table of ['latency_1m', 'latency_1h', 'latency_1d']) {
      const [roll] = await store.query<{ n: number }>(`SELECT sum(predictions) AS n FROM ${store.t(table)} WHERE model = 'dedup'`);
      expect(Number(roll.n), table).toBe(2);
    }
    for (const table of ['feature_num_1m', 'feature_num_1h', 'feature_num_1d']) {
      const [roll] = await store.query<{ n: number }>(`SELECT sum(count) AS n FROM ${store.t(table)} WHERE model = 'dedup'`);
      expect(Number(roll.n), table).toBe(2);
    }
  });
  it('batches many small writes into few inserts, flushing at maxBatchRows', async () => {
    const w = new BatchWriter(store, opts);
    const writes = Array.from({ length: 20 }, (_, k) => w.write('predictions', Array.from({ length: 100 }, (_, i) => row(k * 100 + i, 'batch'))));
    await Promise.all(writes);
    expect(await count("model = 'batch'")).toBe(2000);
    expect(await inserts('batch')).toBe(2);
    await w.close();
  });

  it('flushes what is queued on close', async () => {
    const w = new BatchWriter(store, opts);
    const p = w.write('predictions', [row(1, 'closing'), row(2, 'closing')]);
    expect(w.queuedRows).toBe(2);
    await w.close();
    await p;
    expect(await count("model = 'closing'")).toBe(2);
    await expect(w.write('predictions', [row(3, 'closing')])).rejects.toMatchObject({ code: 'MW_ERR_SHUTTING_DOWN' });
  });

  it('refuses beyond maxQueueRows without queueing anything', async () => {
    const w = new BatchWriter(store, { ...opts, maxQueueRows: 10 });
    await expect(w.write('predictions', Array.from({ length: 11 }, (_, i) => row(i, 'full')))).rejects.toMatchObject({ code: 'MW_ERR_QUEUE_FULL' });
    expect(w.queuedRows).toBe(0);
    await w.close();
  });

  it('splits a batch ClickHouse refuses: the good rows land, the bad one goes to dead_letters', async () => {
    const w = new BatchWriter(store, opts);
    const lines = Array.from({ length: 8 }, (_, i) => JSON.stringify(row(i, 'split')));
    lines[5] = '{"ts": "not a time at all", "model": "split"}';
    const written = w.writeLines('predictions', lines);
    await w.close();
    await written;
    expect(await count("model = 'split'")).toBe(7);
    const dl = await store.query<any>(`SELECT source, topic, raw FROM ${store.t('dead_letters')}`);
    expect(dl).toEqual([{ source: 'writer', topic: 'predictions', raw: lines[5] }]);
  });

  it('hands the rows back to the sender when the table cannot be written, after classifying the error', async () => {
    const w = new BatchWriter(store, opts);
    const written = w.write('no_such_table', [{ a: 1 }]);
    await w.close();
    await expect(written).rejects.toMatchObject({ code: 'MW_ERR_WRITE_FAILED' });
  });

  it('a write with its own dedup token is inserted alone and a replay of it adds nothing', async () => {
    const w = new BatchWriter(store, opts);
    const a = Array.from({ length: 50 }, (_, i) => row(i, 'tok'));
    const b = Array.from({ length: 50 }, (_, i) => row(100 + i, 'tok'));
    await Promise.all([w.write('predictions', a, { dedupToken: 'p0:0-49' }), w.write('predictions', b), w.write('predictions', a, { dedupToken: 'p0:0-49' })]);
    await w.write('predictions', a, { dedupToken: 'p0:0-49' });
    expect(await count("model = 'tok'")).toBe(100);
    // The untokened write was not merged into the tokened insert.
    expect(await inserts('tok')).toBe(2);
    await w.close();
  });

  it('a replayed batch with a refused row stores its dead letter once', async () => {
    const w = new BatchWriter(store, opts);
    const lines = [JSON.stringify(row(1, 'dl-replay')), '{"ts": "never", "model": "dl-replay"}'];
    await w.writeLines('predictions', lines, { dedupToken: 'dl-replay-1' });
    await w.writeLines('predictions', lines, { dedupToken: 'dl-replay-1' });
    await w.close();
    expect(await count("model = 'dl-replay'")).toBe(1);
    const [dl] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${store.t('dead_letters')} WHERE raw = {raw:String}`, { raw: lines[1] });
    expect(Number(dl.n)).toBe(1);
  });

  it('a Native batch ClickHouse refuses is split through its rows: the others land, the refused row is kept as JSON', async () => {
    const refusing = refusingPrediction(store, 'refuse-me');
    const w = new BatchWriter(refusing, opts);
    // Three writes, one block each; the refused row sits inside the second block.
    const blocks = [0, 1, 2].map((k) => Array.from({ length: 5 }, (_, i) => row(k * 5 + i, 'native-split')));
    blocks[1][3].prediction_id = 'refuse-me';
    const written = Promise.all(blocks.map((b) => w.write('predictions', b)));
    await w.close();
    await written;
    expect(await count("model = 'native-split'")).toBe(14);
    const [roll] = await store.query<{ n: number }>(`SELECT sum(predictions) AS n FROM ${store.t('latency_1m')} WHERE model = 'native-split'`);
    expect(Number(roll.n)).toBe(14);
    const dl = await store.query<{ source: string; topic: string; raw: string }>(`SELECT source, topic, raw FROM ${store.t('dead_letters')} WHERE raw LIKE '%refuse-me%'`);
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({ source: 'writer', topic: 'predictions' });
    expect(JSON.parse(dl[0].raw)).toMatchObject({ model: 'native-split', prediction_id: 'refuse-me', features_num: { x: 8 } });
  });
});
