import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStore } from '../../storage/client.ts';
import { loadMigrations } from '../../storage/migrate.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-sigterm-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function startServe(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/modelwatch.mjs'), 'serve', '--data-dir', dataDir, '--port', String(port), '--log-level', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    const onData = () => stderr.includes('listening on') && (child.stderr!.off('data', onData), resolve());
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return child;
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('SIGTERM mid-stream, then restart', () => {
  it('loses no acknowledged record and does not apply migrations twice', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const child = await startServe(port);
    const acked: string[] = [];
    let batch = 0;
    let stop = false;
    const base = Date.now() - 60_000;
    // Four senders stream batches of 500 until the server stops answering.
    const sender = async () => {
      while (!stop) {
        const b = batch++;
        const ids = Array.from({ length: 500 }, (_, i) => `b${b}-${i}`);
        const body = ids.map((id, i) => JSON.stringify({ model: 'term', id, timestamp: base + b * 500 + i, features: { x: i } })).join('\n');
        try {
          const res = await fetch(`http://127.0.0.1:${port}/v1/predictions`, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson' } });
          if (res.status === 200) acked.push(...ids);
          else await res.arrayBuffer();
        } catch {
          stop = true;
        }
      }
    };
    const senders = Promise.all([sender(), sender(), sender(), sender()]);
    while (acked.length < 4000) await new Promise((r) => setTimeout(r, 20));
    const done = exited(child);
    child.kill('SIGTERM');
    expect(await done).toBe(0);
    stop = true;
    await senders;
    expect(acked.length).toBeGreaterThanOrEqual(4000);

    const again = await startServe(port);
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/models/term/predictions?limit=10000&from=${base - 1000}&to=${Date.now() + 60_000}`);
    const stored = new Set(((await res.json()) as { id: string }[]).map((r) => r.id));
    const missing = acked.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    const down = exited(again);
    again.kill('SIGTERM');
    expect(await down).toBe(0);

    const store = await createStore({ dataDir });
    const rows = await store.query<{ version: number; n: number }>(`SELECT version, count() AS n FROM ${store.t('schema_migrations')} GROUP BY version ORDER BY version`);
    await store.close();
    expect(rows).toEqual(loadMigrations({ database: 'modelwatch' }).map((m) => ({ version: m.version, n: 1 })));
  });
});
