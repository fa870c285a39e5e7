import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { Registry } from 'prom-client';

/** Repository root. */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Polls `cond` until it holds; fails after `deadlineMs` (generous: this is not a timing assertion). */
export async function waitFor(cond: () => boolean | Promise<boolean>, deadlineMs = 120_000, what = 'condition'): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Sum of a metric's samples (all label values) in a registry. */
export async function metric(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.reduce((n, v) => n + v.value, 0);
}

/** Sum of a metric's samples in Prometheus text exposition. */
export function metricFromText(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + ' ') || line.startsWith(name + '{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** A free loopback port (closed again, so it refuses connections until someone listens). */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A `modelwatch serve` child process. */
export interface ServeChild {
  child: ChildProcess;
  url: string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) once it exits. */
  exited: Promise<number | string | null>;
}

/**
 * Starts `modelwatch serve` in a child process and waits until it listens. With `faultFile`, it runs
 * through test/robustness/fault-serve.ts, which arms the storage fault switch and watches that file.
 */
export async function startServe(opts: { port: number; dataDir: string; args?: string[]; env?: Record<string, string>; faultFile?: string; nodeArgs?: string[] }): Promise<ServeChild> {
  const entry = opts.faultFile ? ['bin/run-ts.mjs', 'test/robustness/fault-serve.ts'] : ['bin/modelwatch.mjs'];
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  if (opts.faultFile) Object.assign(env, { MODELWATCH_TEST_FAULTS: '1', MODELWATCH_TEST_FAULTS_FILE: opts.faultFile });
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entry, 'serve', '--data-dir', opts.dataDir, '--port', String(opts.port), '--log-level', 'warn', ...(opts.args ?? [])], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  await new Promise<void>((resolve, reject) => {
    const onData = () => stderr.includes('listening on') && (child.stderr!.off('data', onData), resolve());
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, url: `http://127.0.0.1:${opts.port}`, stderr: () => stderr, exited };
}

/** NDJSON body of `ids` predictions for `model` (recent timestamps: older rows fall to the TTL). */
export function predictionsBody(model: string, ids: string[]): string {
  const now = Date.now();
  return ids.map((id, i) => JSON.stringify({ model, id, timestamp: now - 60_000 + (i % 1000), features: { x: i % 97, c: i % 2 ? 'a' : 'b' }, prediction: i % 3 })).join('\n');
}

/** POSTs predictions; returns the status (and drains the body). */
export async function postPredictions(url: string, model: string, ids: string[]): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const res = await fetch(`${url}/v1/predictions`, { method: 'POST', body: predictionsBody(model, ids), headers: { 'content-type': 'application/x-ndjson' } });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body, retryAfter: res.headers.get('retry-after') };
}
