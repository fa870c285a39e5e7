import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../../collector/server.ts';
import type { Store } from '../../storage/client.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { armTestFaults, setStorageFault, withTestFaults } from '../../storage/faults.ts';
import { postPredictions, waitFor } from './helpers.ts';

let srv: TestServer;
let store: Store;
let collector: Collector;
let url: string;

beforeAll(async () => {
  process.env.MODELWATCH_TEST_FAULTS = '1';
  armTestFaults(process.env);
  srv = await startTestServer({ 'writer.flushIntervalMs': 20, 'spool.maxBytes': 256 * 1024 }, { wrapStore: withTestFaults });
  ({ store, collector, url } = srv);
});
afterAll(async () => {
  setStorageFault(null);
  await srv?.stop();
});

describe('spool full', () => {
  it('answers 503 + Retry-After once the spool is full; nothing acknowledged is lost; it takes data again after the drain', { timeout: 120_000 }, async () => {
    setStorageFault('down');
    const acked: string[] = [];
    const refusals: { status: number; retryAfter: string | null; error: string }[] = [];
    for (let r = 0; refusals.length < 5; r++) {
      expect(r).toBeLessThan(1000);
      const ids = Array.from({ length: 50 }, (_, i) => `r${r}-${i}`);
      const res = await postPredictions(url, 'full', ids);
      if (res.status === 200) acked.push(...ids);
      else refusals.push({ status: res.status, retryAfter: res.retryAfter, error: res.body?.error });
    }
    expect(acked.length).toBeGreaterThan(500);
    // Every refusal is retryable and says when to come back.
    for (const r of refusals) {
      expect(r.status).toBe(503);
      expect(r.retryAfter).toMatch(/^\d+$/);
    }
    // The batch that did not fit is refused with the spool's code; later requests are turned away
    // before anything is queued (the writer cannot accept: MW_ERR_SPOOL_FULL, or MW_ERR_QUEUE_FULL
    // as the ingest path names every refusal of canAccept()).
    expect(refusals[0].error).toBe('MW_ERR_SPOOL_FULL');
    expect(refusals.every((r) => r.error === 'MW_ERR_SPOOL_FULL' || r.error === 'MW_ERR_QUEUE_FULL')).toBe(true);
    expect(collector.writer.canAccept(1)).toBe(false);
    expect(collector.writer.spoolBytes).toBeLessThanOrEqual(256 * 1024);

    setStorageFault(null);
    await waitFor(() => !collector.writer.spooling, 60_000, 'the spool to drain');
    const after = Array.from({ length: 50 }, (_, i) => `after-${i}`);
    expect((await postPredictions(url, 'full', after)).status).toBe(200);
    acked.push(...after);

    const rows = await store.query<{ id: string; n: number }>(`SELECT prediction_id AS id, count() AS n FROM ${store.t('predictions')} WHERE model = 'full' GROUP BY id`);
    const found = new Map(rows.map((r) => [r.id, Number(r.n)]));
    expect(acked.filter((id) => found.get(id) !== 1)).toEqual([]);
    // Refused requests left nothing behind either (each was refused whole).
    expect(found.size).toBe(acked.length);
  });
});
