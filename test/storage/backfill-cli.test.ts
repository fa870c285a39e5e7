import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../helpers/cli.ts';
import { createStore, type Store } from '../../storage/client.ts';
import { writeOldData, type OldData } from './old-data.ts';

const RUNNER = 'test/storage/run-migrate-cli.ts';
let dir: string;
let data: OldData;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-backfill-'));
  const old = await writeOldData(dir);
  data = old.data;
  await old.store.close();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `modelwatch migrate` and SIGKILLs it as soon as it has reported one built partition. */
function migrateKilledAfterFirstPartition(): Promise<{ stdout: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run-ts.mjs', RUNNER, 'migrate', '--data-dir', dir], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/^built /m.test(stdout)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ stdout, signal }));
  });
}

/** Totals of every rollup table, per level: what each level says was ingested. */
async function totals(store: Store): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const one = async (sql: string) => (await store.query<Record<string, unknown>>(sql))[0];
  for (const s of ['1m', '1h', '1d']) {
    out[`latency_${s}`] = await one(`SELECT sum(predictions) AS n, sum(errors) AS errors, sum(with_latency) AS lat, round(sum(latency_sum), 6) AS lsum, max(latency_max) AS lmax, finalizeAggregation(quantilesDDMergeState(0.01, 0.5)(latency_sketch)) AS p50 FROM ${store.t(`latency_${s}`)}`);
    out[`feature_num_${s}`] = await one(`SELECT sum(count) AS n, round(sum(sum), 6) AS s, min(min) AS lo, max(max) AS hi FROM ${store.t(`feature_num_${s}`)}`);
    out[`feature_cat_${s}`] = await one(`SELECT sumMap(map(category, count)) AS by FROM ${store.t(`feature_cat_${s}`)}`);
    out[`feature_null_${s}`] = await one(`SELECT sum(nulls) AS n FROM ${store.t(`feature_null_${s}`)}`);
    out[`gpu_${s}`] = await one(`SELECT sum(samples) AS n, round(sum(sum), 6) AS s, max(max) AS hi FROM ${store.t(`gpu_${s}`)}`);
  }
  // Per partition of each built level, against the minute level: the same rows landed in the same buckets.
  for (const [level, col, part] of [['1h', 'hour', 'toYYYYMM'], ['1d', 'day', 'toYear']] as const) {
    out[`by_partition_${level}`] = await store.query(
      `SELECT p, sum(n) AS n FROM (SELECT ${part}(${col}) AS p, predictions AS n FROM ${store.t(`latency_${level}`)}) GROUP BY p ORDER BY p`,
    );
    out[`by_partition_${level}_from_minute`] = await store.query(
      `SELECT p, sum(n) AS n FROM (SELECT ${part}(minute) AS p, predictions AS n FROM ${store.t('latency_1m')}) GROUP BY p ORDER BY p`,
    );
  }
  return out;
}

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await createStore({ dataDir: dir });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('modelwatch migrate builds the hour and day rollups of data stored before them', () => {
  it('is cut off after one partition, finishes on a rerun, and a further rerun changes nothing', async () => {
    const killed = await migrateKilledAfterFirstPartition();
    expect(killed.signal).toBe('SIGKILL');
    const first = /^built \S+ partition \d+: \d+ rows \(1\/(\d+)\)/m.exec(killed.stdout);
    expect(first, killed.stdout).not.toBeNull();
    const total = Number(first![1]);
    // Seven months over two years, five signals (gpu included), hour and day levels.
    expect(total).toBeGreaterThanOrEqual(5 * (7 + 2));

    const rest = await runCommand(RUNNER, 'migrate', ['--data-dir', dir]);
    expect(rest.code, rest.stderr).toBe(0);
    const built = Number(/rollup backfill: (\d+) partition\(s\) built/.exec(rest.stdout)![1]);
    // Only what the cut-off run had not recorded: at least the partition it was on, never those it finished.
    expect(built).toBeGreaterThanOrEqual(1);
    expect(built).toBeLessThan(total);
    expect(rest.stdout).toMatch(/0 migration\(s\) applied/);

    const after = await withStore(async (store) => {
      const t = await totals(store);
      for (const level of ['1m', '1h', '1d']) {
        expect(t[`latency_${level}`], level).toMatchObject({ n: data.predictions });
        expect(t[`feature_num_${level}`], level).toMatchObject({ n: data.numValues });
        expect(t[`feature_cat_${level}`], level).toEqual({ by: data.categories });
        expect(t[`feature_null_${level}`], level).toEqual({ n: data.nulls });
        expect(t[`gpu_${level}`], level).toMatchObject({ n: data.gpuSamples });
        // Sums, extremes and merged sketches agree with the minute level too.
        expect(t[`latency_${level}`]).toEqual(t.latency_1m);
        expect(t[`feature_num_${level}`]).toEqual(t.feature_num_1m);
        expect(t[`gpu_${level}`]).toEqual(t.gpu_1m);
      }
      expect(t.by_partition_1h).toEqual(t.by_partition_1h_from_minute);
      expect(t.by_partition_1d).toEqual(t.by_partition_1d_from_minute);
      expect((t.by_partition_1d as unknown[]).length).toBeGreaterThanOrEqual(2);
      const leftovers = await store.query(`SELECT name FROM system.tables WHERE database = {db:String} AND match(name, '_1[hd]_backfill$')`, { db: store.database });
      expect(leftovers).toEqual([]);
      return t;
    });

    const again = await runCommand(RUNNER, 'migrate', ['--data-dir', dir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/rollup backfill: 0 partition\(s\) built \(0 rows\), 0 waiting/);
    expect(await withStore(totals)).toEqual(after);
  }, 120_000);
});
