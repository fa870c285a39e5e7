// `modelwatch analyzer` as its own process against a data directory seeded here: the test process
// seeds and closes its store first (one process binds a data directory at a time), then reopens it
// once the child has exited to read what the child wrote.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createStore, type Store } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { normal, predictionRow, prng, ts } from './seed.ts';

const run = promisify(execFile);
const MINUTE = 60_000;
let root: string;
let dataDir: string;

/** Predictions in the previous hour (reference) and the last hour (current), well inside both windows whatever minute the child starts in. */
async function seed(store: Store): Promise<void> {
  const now = Date.now();
  const rand = prng(99);
  const z = normal(rand);
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < 4000; i++) {
    const current = i % 2 === 1;
    const ms = now - (current ? 50 : 110) * MINUTE + Math.floor(rand() * 35 * MINUTE);
    // x shifts by one standard deviation in the current hour; y keeps its distribution.
    rows.push(predictionRow({
      ms, model: 'fraud', id: `p${i}`, label: rand() < 0.3 ? '1' : '0', score: rand(), latency: 5 + 20 * rand(),
      num: { x: z() + (current ? 1 : 0), y: 3 + z() }, cat: { country: rand() < 0.5 ? 'fr' : 'de' },
    }));
  }
  await store.insert('predictions', rows);
  await store.insert('ground_truth', rows.slice(0, 500).map((r) => ({ ts: ts(now - 5 * MINUTE), model: 'fraud', prediction_id: r.prediction_id, label: '1', label_num: null, service: 's' })));
  const gpu: Record<string, unknown>[] = [];
  for (let s = 0; s < 60; s++) {
    gpu.push({ ts: ts(now - 40 * MINUTE + s * 10_000), host: 'node1', gpu_id: 'g0', gpu_name: 'H100', service: 'svc', metric: 'hw.gpu.utilization', value: 0.6, attributes: {} });
  }
  await store.insert('gpu_samples', gpu);
}

async function readBack<T>(sql: string): Promise<T[]> {
  const store = await createStore({ dataDir });
  try {
    return await store.query<T>(sql);
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-analyzer-cli-'));
  dataDir = path.join(root, 'data');
  const store = await createStore({ dataDir });
  await migrate(store);
  await seed(store);
  await store.close();
});

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('modelwatch analyzer', () => {
  it('--once runs every analyzer over the last window, writes analysis_results and exits 0', async () => {
    const { stdout } = await run(process.execPath, ['bin/modelwatch.mjs', 'analyzer', '--once', '--data-dir', dataDir, '--log-level', 'info'], { cwd: process.cwd(), maxBuffer: 1 << 24 });
    const done = stdout.split('\n').filter((l) => l.includes('analyzer pass done')).map((l) => JSON.parse(l));
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ models: 1, failed: 0 });
    expect(done[0].rows).toBeGreaterThan(0);

    const rows = await readBack<{ analyzer: string; subject: string; metric: string; status: string }>(
      `SELECT analyzer, subject, metric, status FROM modelwatch.analysis_results ORDER BY analyzer, subject, metric`,
    );
    expect(new Set(rows.map((r) => r.analyzer))).toEqual(new Set(['drift', 'gpu', 'latency', 'performance', 'quality']));
    const drifted = rows.filter((r) => r.analyzer === 'drift' && r.metric === 'drift' && r.status === 'drift').map((r) => r.subject);
    expect(drifted).toEqual(['x']);
    expect(rows.some((r) => r.analyzer === 'performance' && r.metric === 'label_coverage')).toBe(true);
  });

  it('without --once it runs on its interval until SIGTERM, then exits 0', async () => {
    const config = path.join(root, 'analyzer.yaml');
    fs.writeFileSync(config, 'analyzer:\n  intervalMs: 1000\n');
    const before = (await readBack<{ n: number }>('SELECT count() AS n FROM modelwatch.analysis_results'))[0].n;
    const child = spawn(process.execPath, ['bin/modelwatch.mjs', 'analyzer', '-c', config, '--data-dir', dataDir, '--log-level', 'info'], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Two passes show that the timer re-arms; the deadline is generous, the test ends as soon as they are seen.
    const deadline = Date.now() + 90_000;
    while ((out.match(/analyzer pass done/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((out.match(/analyzer pass done/g) ?? []).length).toBeGreaterThanOrEqual(2);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const after = (await readBack<{ n: number }>('SELECT count() AS n FROM modelwatch.analysis_results'))[0].n;
    expect(after).toBeGreaterThan(before);
  }, 120_000);
});
