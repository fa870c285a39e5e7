import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../../collector/server.ts';
import type { Store } from '../../storage/client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { armTestFaults, setStorageFault, withTestFaults } from '../../storage/faults.ts';
import { metric, postPredictions, waitFor } from './helpers.ts';

// Embedded mode, in process: the fault switch makes every insert fail as if ClickHouse were
// unreachable for 30 seconds while senders keep posting predictions over HTTP.
const OUTAGE_MS = 30_000;
let srv: TestServer;
let store: Store;
let collector: Collector;
let url: string;

beforeAll(async () => {
  process.env.MODELWATCH_TEST_FAULTS = '1';
  armTestFaults(process.env);
  srv = await startTestServer({ 'writer.flushIntervalMs': 200 }, { wrapStore: withTestFaults });
  ({ store, collector, url } = srv);
});
afterAll(async () => {
  setStorageFault(null);
  await srv?.stop();
});

describe('ClickHouse unavailable for 30 s', () => {
  it('senders keep getting 2xx from the spool; after recovery every acknowledged prediction is in ClickHouse exactly once', { timeout: 240_000 }, async () => {
    const acked: string[] = [];
    const statuses = new Map<number, number>();
    let phase: 'before' | 'outage' | 'after' = 'before';
    const ackedDuring = { before: 0, outage: 0, after: 0 };
    let stop = false;
    let seq = 0;
    const sender = async (s: number) => {
      while (!stop) {
        const ids = Array.from({ length: 100 }, (_, i) => `s${s}-${seq}-${i}`);
        seq++;
        const at = phase;
        const res = await postPredictions(url, 'outage', ids);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 200 && res.status < 300) {
          acked.push(...ids);
          ackedDuring[at] += ids.length;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const senders = Promise.all([0, 1, 2].map(sender));
    await waitFor(() => acked.length >= 1000);

    setStorageFault('down');
    phase = 'outage';
    const outageEnd = Date.now() + OUTAGE_MS;
    let readyDuring = 0;
    while (Date.now() < outageEnd) {
      const ready = await fetch(`${url}/readyz`);
      readyDuring = ready.status;
      await ready.arrayBuffer();
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(readyDuring).toBe(503);
    expect(collector.writer.spooling).toBe(true);
    const spooledBytes = collector.writer.spoolBytes;
    setStorageFault(null);
    phase = 'after';
    await waitFor(() => ackedDuring.after >= 1000);
    stop = true;
    await senders;
    await waitFor(() => !collector.writer.spooling, 120_000, 'the spool to drain');
    const drainMs = Date.now() - outageEnd;
    await collector.writer.flush();

    // Everything was acknowledged: the spool absorbed the outage.
    expect([...statuses.keys()]).toEqual([200]);
    expect(ackedDuring.outage).toBeGreaterThan(1000);
    expect(spooledBytes).toBeGreaterThan(0);
    const spooled = await metric(collector.registry, 'modelwatch_spool_batches_spooled_total');
    expect(spooled).toBeGreaterThan(0);
    expect(await metric(collector.registry, 'modelwatch_spool_batches_replayed_total')).toBe(spooled);

    const rows = await store.query<{ id: string; n: number }>(`SELECT prediction_id AS id, count() AS n FROM ${store.t('predictions')} WHERE model = 'outage' GROUP BY id`);
    const found = new Map(rows.map((r) => [r.id, Number(r.n)]));
    expect(acked.filter((id) => found.get(id) !== 1)).toEqual([]);
    expect(found.size).toBe(acked.length);
    console.log(`outage: ${acked.length} predictions acknowledged (${ackedDuring.outage} during the 30 s outage), ${spooled} batches spooled (${spooledBytes} bytes), all replayed exactly once; spool empty ${drainMs} ms after recovery`);
  });
});
