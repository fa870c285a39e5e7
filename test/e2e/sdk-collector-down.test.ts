/**
 * The collector goes away for a few seconds while a model server keeps answering requests and
 * logging predictions through the SDK; then the real `serve` comes back on the same port and data
 * directory. Shows: the host keeps serving (every request answered, logPrediction returns
 * synchronously and never throws), memory stays bounded (queue and pipeline never pass their
 * capacity; the heap does not grow with the number of calls), drops are counted (in stats and in
 * the exported ml.sdk.dropped metric), and delivery resumes (what is logged after the restart lands).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { createModelMonitor, type ModelMonitor } from '../../sdk/index.ts';
import { createStore } from '../../storage/client.ts';
import { freePort, startServe, stopAllServes, until, type ServeProcess } from './serve-process.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'mw-e2e-down-'));
const dataDir = path.join(work, 'data');
afterAll(async () => {
  await stopAllServes();
  rmSync(work, { recursive: true, force: true });
});

const MAX_QUEUE = 2_000;
const BATCH = 200;
const PER_REQUEST = 250;
const FEATURES = 20;

// A full collection before each heap reading, so the figures compare live objects only.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const liveHeap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** A model server: each request runs a "batch inference" and logs one prediction per input. */
async function startHost(monitor: ModelMonitor, observe: () => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const prefix = u.searchParams.get('prefix') ?? 'p';
    const from = Number(u.searchParams.get('from') ?? 0);
    const n = Number(u.searchParams.get('n') ?? PER_REQUEST);
    for (let i = 0; i < n; i++) {
      const features: Record<string, number | string> = {};
      for (let f = 0; f < FEATURES; f++) features[`f${f}`] = f % 4 === 0 ? `c${(from + i) % 5}` : (from + i) * 0.001 + f;
      // The call must return synchronously with nothing: no promise, no exception.
      const r = monitor.logPrediction({ id: `${prefix}-${from + i}`, features, prediction: i % 2, latencyMs: 3 });
      if (r !== undefined) throw new Error('logPrediction returned a value');
      observe();
    }
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('SDK while the collector is down', () => {
  it('keeps the host serving with bounded memory, counts drops, and resumes delivery after serve restarts', { timeout: 240_000 }, async () => {
    const port = await freePort();
    const serveConfig = { writer: { flushIntervalMs: 50 }, analyzer: { enabled: false }, log: { level: 'warn' } };
    let serve: ServeProcess = await startServe({ dataDir, port, config: serveConfig });
    const monitor = createModelMonitor({
      model: 'down-model',
      version: '1',
      endpoint: serve.url,
      maxQueue: MAX_QUEUE,
      maxExportBatchSize: BATCH,
      exportDelayMs: 20,
      // Long enough for a loaded machine's first requests, short enough that failed batches (the
      // exporter retries a refused connection until this limit) settle within the test.
      exportTimeoutMs: 3_000,
      metricExportIntervalMs: 500,
      onDiagnostic: () => {},
    });
    let maxQueued = 0;
    let maxInFlight = 0;
    const observe = () => {
      const s = monitor.stats();
      if (s.queued > maxQueued) maxQueued = s.queued;
      if (s.inFlight > maxInFlight) maxInFlight = s.inFlight;
    };
    const host = await startHost(monitor, observe);
    let calls = 0;
    const request = async (prefix: string, from: number, n = PER_REQUEST) => {
      const res = await fetch(`${host.url}/predict?prefix=${prefix}&from=${from}&n=${n}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok');
      calls += n;
    };
    const settled = () => {
      const s = monitor.stats();
      return s.queued === 0 && s.inFlight === 0;
    };

    // 1. Collector up: everything arrives.
    for (let r = 0; r < 4; r++) await request('up', r * PER_REQUEST);
    await until(settled);
    expect(monitor.stats()).toMatchObject({ accepted: 1_000, exported: 1_000 });

    // 2. Collector down for a few seconds, at a steady request rate (about 100 requests/s); every
    //    100th request is a burst larger than the queue.
    expect(await serve.stop()).toBe(0);
    const heapBefore = liveHeap();
    const downRequests = 400;
    const BURST = MAX_QUEUE + 1_000;
    const lags: number[] = [];
    for (let r = 0, from = 0; r < downRequests; r++) {
      const n = r % 100 === 50 ? BURST : PER_REQUEST;
      const t = performance.now();
      await request('down', from, n);
      from += n;
      lags.push(performance.now() - t);
      await new Promise((res) => setTimeout(res, 10));
    }
    const heapAfter = liveHeap();
    const down = monitor.stats();
    // What a burst brings beyond the queue's room is dropped as queue_full (batches the exporter
    // gives up on count as export_failed). Every call is accounted for.
    expect(down.dropped.queue_full).toBeGreaterThan(0);
    expect(down.accepted + down.dropped.queue_full).toBe(calls);
    expect(down.accepted).toBe(down.exported + down.dropped.export_failed + down.queued + down.inFlight);
    expect(maxQueued).toBeLessThanOrEqual(MAX_QUEUE);
    expect(maxInFlight).toBeLessThanOrEqual(4 * BATCH);
    // About 110,000 predictions of 20 features were logged while down (each input object well over
    // 1 KB): held, they would be over 100 MB. What stays is the fixed-size queue and the exporters' state.
    const grownMb = (heapAfter - heapBefore) / 2 ** 20;
    expect(grownMb).toBeLessThan(16);
    process.stdout.write(
      `[collector down] ${calls - 1_000} calls; request time p50 ${quantile(lags, 0.5).toFixed(2)} ms, max ${Math.max(...lags).toFixed(2)} ms; ` +
        `heap ${grownMb.toFixed(1)} MB; queue max ${maxQueued}/${MAX_QUEUE}; dropped queue_full ${down.dropped.queue_full}, export_failed ${down.dropped.export_failed}\n`,
    );

    // 3. The collector comes back on the same port and data directory: delivery resumes.
    //    What was still queued or being retried goes out first, then the new requests' records.
    serve = await startServe({ dataDir, port, config: serveConfig });
    await until(settled);
    for (let r = 0; r < 4; r++) await request('after', r * PER_REQUEST);
    await until(settled);
    await monitor.shutdown();
    const end = monitor.stats();
    expect(end.accepted).toBe(end.exported + end.dropped.export_failed);
    expect(end.dropped.shutdown).toBe(0);
    expect(await serve.stop()).toBe(0);
    await host.close();

    const store = await createStore({ dataDir });
    try {
      const byPhase = await store.query<{ phase: string; n: number; ids: number }>(
        `SELECT splitByChar('-', prediction_id)[1] AS phase, count() AS n, uniqExact(prediction_id) AS ids
         FROM ${store.t('predictions')} WHERE model = 'down-model' GROUP BY phase ORDER BY phase`,
      );
      const phases = Object.fromEntries(byPhase.map((r) => [r.phase, r]));
      expect(phases.up).toEqual({ phase: 'up', n: 1_000, ids: 1_000 });
      expect(phases.after).toEqual({ phase: 'after', n: 1_000, ids: 1_000 });
      // Exactly the acknowledged records are stored: no loss of acknowledged data, no duplicates.
      expect(byPhase.reduce((n, r) => n + r.n, 0)).toBe(end.exported);
      // The drop counter reached ClickHouse with the SDK's own figures.
      const dropped = await store.query<{ reason: string; v: number }>(
        `SELECT attributes['reason'] AS reason, argMax(value, ts) AS v FROM ${store.t('metric_points')}
         WHERE name = 'ml.sdk.dropped' AND service = 'down-model' GROUP BY reason ORDER BY reason`,
      );
      expect(Object.fromEntries(dropped.map((d) => [d.reason, d.v]))).toEqual(end.dropped);
    } finally {
      await store.close();
    }
  });
});

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
