import fs from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../storage/client.ts';
import { armTestFaults, setStorageFault, withTestFaults } from '../../storage/faults.ts';
import { linesToBody } from '../../storage/spool-format.ts';
import { Spool } from '../../storage/spool.ts';
import { BatchWriter, type WriterOptions } from '../../storage/writer.ts';
import { refusingPrediction } from '../helpers/refusing-store.ts';
import { createTestStore } from '../helpers/store.ts';
import { metric, waitFor } from './helpers.ts';

// The writer and its spool against real embedded ClickHouse, with the test-only fault switch.
let raw: Store;
let store: Store;
let dataDir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  process.env.MODELWATCH_TEST_FAULTS = '1';
  armTestFaults(process.env);
  ({ store: raw, dataDir, cleanup } = await createTestStore());
  store = withTestFaults(raw);
});
afterAll(async () => {
  setStorageFault(null);
  await cleanup?.();
});

let n = 0;
function writerOpts(registry = new Registry()): WriterOptions {
  return {
    maxBatchRows: 1000,
    flushIntervalMs: 20,
    maxQueueRows: 100_000,
    maxAttempts: 3,
    retryBaseMs: 10,
    spool: { dir: path.join(dataDir, `spool-${++n}`), maxBytes: 8 * 1024 * 1024, fsync: true },
    registry,
  };
}
const rows = (model: string, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ ts: Date.now(), model, prediction_id: `${model}-${from + i}`, features_num: { x: i } }));
async function ids(model: string): Promise<Map<string, number>> {
  const r = await raw.query<{ id: string; n: number }>(`SELECT prediction_id AS id, count() AS n FROM ${raw.t('predictions')} WHERE model = {m:String} GROUP BY id`, { m: model });
  return new Map(r.map((x) => [x.id, Number(x.n)]));
}
function expectExactlyOnce(found: Map<string, number>, model: string, count: number) {
  expect(found.size).toBe(count);
  for (let i = 0; i < count; i++) expect(found.get(`${model}-${i}`), `${model}-${i}`).toBe(1);
}

describe('BatchWriter with a spool', () => {
  it('acknowledges while ClickHouse is down (batches spooled), replays them after recovery, each row exactly once', async () => {
    const registry = new Registry();
    const w = new BatchWriter(store, writerOpts(registry));
    setStorageFault('down');
    await Promise.all([0, 1, 2, 3].map((k) => w.write('predictions', rows('down', k * 100, 100))));
    expect(w.spooling).toBe(true);
    expect(w.spoolBytes).toBeGreaterThan(0);
    expect((await ids('down')).size).toBe(0);
    // While the spool holds batches, new ones go behind them even if ClickHouse could take them.
    await w.write('predictions', rows('down', 400, 100));
    expect(await metric(registry, 'modelwatch_spool_batches_spooled_total')).toBeGreaterThanOrEqual(2);
    setStorageFault(null);
    await waitFor(() => !w.spooling);
    expectExactlyOnce(await ids('down'), 'down', 500);
    expect(w.spoolBytes).toBe(0);
    expect(await metric(registry, 'modelwatch_spool_batches_replayed_total')).toBe(await metric(registry, 'modelwatch_spool_batches_spooled_total'));
    // The spool drained: the next batch goes straight to ClickHouse.
    await w.write('predictions', rows('down', 500, 10));
    expect(w.spooling).toBe(false);
    await w.close();
  });

  it('an insert that succeeded but whose answer was lost is spooled, and its replay adds nothing (same dedup token)', async () => {
    const w = new BatchWriter(store, writerOpts());
    setStorageFault('ack-lost');
    await w.write('predictions', rows('lost', 0, 300));
    expect(w.spooling).toBe(true);
    // ClickHouse has the rows already; the spool holds the same batch under the same token.
    expect((await ids('lost')).size).toBe(300);
    setStorageFault(null);
    await waitFor(() => !w.spooling);
    expectExactlyOnce(await ids('lost'), 'lost', 300);
    await w.close();
  });

  it('a caller-chosen dedup token is kept through the spool: writing the same batch again after replay adds nothing', async () => {
    const w = new BatchWriter(store, writerOpts());
    setStorageFault('down');
    const a = rows('ktok', 0, 50);
    await w.write('predictions', a, { dedupToken: 'p0:0-49' });
    setStorageFault(null);
    await waitFor(() => !w.spooling);
    await w.write('predictions', a, { dedupToken: 'p0:0-49' });
    expectExactlyOnce(await ids('ktok'), 'ktok', 50);
    await w.close();
  });

  it('a spool left by a previous run is replayed at start; new batches queue behind it', async () => {
    const opts = writerOpts();
    const w = new BatchWriter(store, opts);
    setStorageFault('down');
    await w.write('predictions', rows('restart', 0, 200));
    await w.close(); // stops with the spool full of acknowledged rows
    setStorageFault(null);
    const files = fs.readdirSync(opts.spool!.dir).filter((f) => f.endsWith('.seg'));
    expect(files.length).toBe(1);
    const again = new BatchWriter(store, { ...opts, registry: new Registry() });
    expect(again.spooling).toBe(true);
    await again.write('predictions', rows('restart', 200, 100));
    await waitFor(() => !again.spooling);
    expectExactlyOnce(await ids('restart'), 'restart', 300);
    // A drained segment leaves the spool's list at once; its file is deleted just after.
    const segments = () => fs.readdirSync(opts.spool!.dir).filter((f) => f.endsWith('.seg'));
    await waitFor(() => segments().length === 0);
    expect(segments()).toEqual([]);
    await again.close();
  });

  it('a full spool refuses (MW_ERR_SPOOL_FULL, canAccept false) and takes batches again once drained', async () => {
    const opts = writerOpts();
    opts.spool!.maxBytes = 64 * 1024;
    const w = new BatchWriter(store, opts);
    setStorageFault('down');
    const acked: number[] = [];
    let k = 0;
    for (;;) {
      try {
        await w.write('predictions', rows('full', k * 50, 50));
        acked.push(k++);
      } catch (err) {
        expect(err).toMatchObject({ code: 'MW_ERR_SPOOL_FULL' });
        break;
      }
    }
    expect(acked.length).toBeGreaterThan(3);
    expect(w.canAccept(1)).toBe(false);
    expect(w.refusal(1)).toMatchObject({ code: 'MW_ERR_SPOOL_FULL' });
    await expect(w.write('predictions', rows('full', 99_000, 1))).rejects.toMatchObject({ code: 'MW_ERR_SPOOL_FULL' });
    setStorageFault(null);
    await waitFor(() => !w.spooling);
    expect(w.canAccept(1)).toBe(true);
    const found = await ids('full');
    expect(found.size).toBe(acked.length * 50);
    for (const [, c] of found) expect(c).toBe(1);
    await w.close();
  });

  it('a spooled batch ClickHouse refuses for good on replay is kept in dead_letters, not dropped', async () => {
    const opts = writerOpts();
    const s = new Spool({ ...opts.spool!, log: undefined });
    await s.append({ table: 'no_such_table', token: 'gone-1', rows: 2, at: Date.now(), body: linesToBody(['{"a":1}', '{"a":2}']) });
    await s.close();
    const w = new BatchWriter(store, opts);
    await waitFor(() => !w.spooling);
    const dl = await raw.query<{ source: string; topic: string; raw: string }>(`SELECT source, topic, raw FROM ${raw.t('dead_letters')} WHERE key = 'gone-1' ORDER BY raw`);
    expect(dl).toEqual([
      { source: 'spool', topic: 'no_such_table', raw: '{"a":1}' },
      { source: 'spool', topic: 'no_such_table', raw: '{"a":2}' },
    ]);
    await w.close();
  });

  it('a spool written before the Native writer (JSONEachRow predictions, no format in its header) replays after the upgrade', async () => {
    const opts = writerOpts();
    const s = new Spool({ ...opts.spool!, log: undefined });
    // The record exactly as the previous version wrote it: its header has no "format" key.
    const lines = rows('old-spool', 0, 30).map((r) => JSON.stringify(r));
    await s.append({ table: 'predictions', token: 'predictions:old-1', rows: lines.length, at: Date.now(), body: linesToBody(lines) });
    await s.close();
    const segment = fs.readdirSync(opts.spool!.dir).find((f) => f.endsWith('.seg'))!;
    expect(fs.readFileSync(path.join(opts.spool!.dir, segment), 'latin1')).not.toContain('"format"');
    const w = new BatchWriter(store, opts);
    await w.write('predictions', rows('old-spool', 30, 20));
    await waitFor(() => !w.spooling);
    await w.flush();
    expectExactlyOnce(await ids('old-spool'), 'old-spool', 50);
    await w.close();
  });

  it('a spooled Native batch with a row ClickHouse refuses lands without it on replay; the row is kept in dead_letters as JSON', async () => {
    const opts = writerOpts();
    // A refusal injected for one row on top of the real (fault-wrapped) store.
    const refusing = refusingPrediction(store, 'native-spool-4');
    const w = new BatchWriter(refusing, opts);
    setStorageFault('down');
    const batch = rows('native-spool', 0, 9);
    await w.write('predictions', batch);
    expect(w.spooling).toBe(true);
    const segment = fs.readdirSync(opts.spool!.dir).find((f) => f.endsWith('.seg'))!;
    expect(fs.readFileSync(path.join(opts.spool!.dir, segment), 'latin1')).toContain('"format":"native"');
    setStorageFault(null);
    await waitFor(() => !w.spooling);
    const found = await ids('native-spool');
    expect([...found.keys()].sort()).toEqual(batch.filter((_, i) => i !== 4).map((r) => r.prediction_id).sort());
    const dl = await raw.query<{ source: string; raw: string }>(`SELECT source, raw FROM ${raw.t('dead_letters')} WHERE raw LIKE '%native-spool-4%'`);
    expect(dl).toHaveLength(1);
    expect(JSON.parse(dl[0].raw)).toMatchObject({ model: 'native-spool', prediction_id: 'native-spool-4', features_num: { x: 4 } });
    await w.close();
  });
});
