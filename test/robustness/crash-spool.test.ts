import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore } from '../../storage/client.ts';
import { freePort, metricFromText, postPredictions, startServe, waitFor, type ServeChild } from './helpers.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-crash-'));
const faultFile = path.join(dataDir, 'fault');
const spoolDir = path.join(dataDir, 'spool');
const children: ServeChild[] = [];
afterAll(() => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const spoolMetric = async (url: string, name: string) => metricFromText(await (await fetch(`${url}/metrics`)).text(), name);
const segments = () => fs.readdirSync(spoolDir).filter((f) => f.endsWith('.seg'));

describe('crash with a non-empty spool', () => {
  it('SIGKILL while ClickHouse is down, again while a replay is unconfirmed, then a clean start: every acknowledged row lands exactly once', { timeout: 240_000 }, async () => {
    const port = await freePort();
    fs.writeFileSync(faultFile, 'down');
    const first = await startServe({ port, dataDir, faultFile });
    children.push(first);

    // ClickHouse is "unreachable": every batch is acknowledged from the spool.
    const acked: string[] = [];
    const refused: number[] = [];
    await Promise.all(
      [0, 1].map(async (s) => {
        for (let r = 0; r < 10; r++) {
          const ids = Array.from({ length: 300 }, (_, i) => `s${s}-r${r}-${i}`);
          const res = await postPredictions(first.url, 'crash', ids);
          if (res.status === 200) acked.push(...ids);
          else refused.push(res.status);
        }
      }),
    );
    expect(refused).toEqual([]);
    expect(acked).toHaveLength(6000);
    expect(await spoolMetric(first.url, 'modelwatch_spool_bytes')).toBeGreaterThan(0);
    expect(segments().length).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    // As if the kill had landed mid-append: the start of a record that never finished.
    const last = path.join(spoolDir, segments().sort().at(-1)!);
    fs.appendFileSync(last, Buffer.concat([Buffer.from('MWS1'), Buffer.from([0xff, 0x10, 0, 0]), Buffer.alloc(20, 7)]));

    // Second run: inserts reach ClickHouse but their answers are "lost", so the batch stays spooled.
    fs.writeFileSync(faultFile, 'ack-lost');
    const second = await startServe({ port, dataDir, faultFile });
    children.push(second);
    await waitFor(async () => (await spoolMetric(second.url, 'modelwatch_insert_duration_seconds_count')) >= 2, 120_000, 'a replay attempt');
    second.child.kill('SIGKILL');
    expect(await second.exited).toBe('SIGKILL');

    // Clean start: the spool is replayed, the torn tail skipped, the unconfirmed batch deduplicated.
    const third = await startServe({ port, dataDir });
    children.push(third);
    await waitFor(async () => (await spoolMetric(third.url, 'modelwatch_spool_bytes')) === 0, 120_000, 'the spool to drain');
    expect(await spoolMetric(third.url, 'modelwatch_spool_invalid_bytes')).toBe(28);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(segments()).toEqual([]);

    const store = await createStore({ dataDir });
    try {
      const rows = await store.query<{ id: string; n: number }>(`SELECT prediction_id AS id, count() AS n FROM ${store.t('predictions')} WHERE model = 'crash' GROUP BY id`);
      const found = new Map(rows.map((r) => [r.id, Number(r.n)]));
      expect(acked.filter((id) => found.get(id) !== 1)).toEqual([]);
      expect(found.size).toBe(acked.length);
    } finally {
      await store.close();
    }
  });
});
