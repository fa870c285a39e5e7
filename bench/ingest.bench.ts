// Ingest benchmark: predictions/s end to end (OTLP/HTTP protobuf and NDJSON -> collector -> ClickHouse)
// beside the raw insert ceiling: the same rows, pre-encoded as the writer sends them (Native
// blocks), inserted straight into the same table (same materialized views) in the same run, in
// 100,000-row inserts and, once, in inserts as large as the collector's; and the old ceiling, the
// same rows as JSONEachRow (the format the writer sent before), for the comparison. For each run:
// CPU per record of the main thread (the collector) and of the whole process (adds ClickHouse and
// the sender thread; in the ceiling runs, ClickHouse's cost per row). Every timed path starts from
// the same table: emptied, then a base of the same number of rows inserted and merged. Then each path
// again as a sustained stream, several times the senders' window, timed in its middle (sustained.ts).
// Before the runs, measured
// alone in this thread: the per-record cost of each collector stage (decode, transform, encode, GC).
// Usage: node --max-semi-space-size=64 bin/run-ts.mjs bench/ingest.bench.ts [--rows N] [--batch N]
//        [--concurrency N] [--flush-ms N] [--sustained-rows N] [--stages-only] [--alone-only] [--no-alone]
//        [--profile FILE] [--threads] [--decode-threads N]
// Every run goes through a collector without decode threads (server.decodeThreads 0); with
// --decode-threads N (default 1; 0 leaves them out) the sustained runs and the collector alone also
// run through one with N, beside the same runs without.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance as perf, PerformanceObserver } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import protobuf from 'protobufjs';
import { loadConfig } from '../core/config/load.ts';
import { createStore } from '../storage/client.ts';
import { migrate } from '../storage/migrate.ts';
import { buildCollector } from '../collector/server.ts';
import { decodeRequest, requestType } from '../collector/otlp/codec.ts';
import { transformLogs } from '../collector/otlp/logs.ts';
import { parsePredictionsBody } from '../collector/predictions/json.ts';
import { encodeNativeBlock } from '../storage/native/block.ts';
import { decodeNativeBlocks } from '../storage/native/decode.ts';
import { NATIVE_TABLES } from '../storage/native/tables.ts';
import { median, numArg } from './args.ts';
import { otlpBody, record } from './ingest-data.ts';
import { collectorAlone, mainThreadCpuMs, SEND_LOOP, threadCpuMs } from './collector-alone.ts';
import { profiler } from './profiler.ts';
import { sustainedBodies, sustainedRun } from './sustained.ts';

const ROWS = numArg('rows', 200_000);
const PER_REQUEST = numArg('batch', 5_000);
// 32 senders of 5,000 records (several model servers' exporters): the bench is a closed loop, so
// it never has more rows outstanding than this; 4 senders would cap it near 20,000 rows a second
// at the writer's default flush interval whatever the collector costs.
const CONCURRENCY = numArg('concurrency', 32);
// The writer's default flush interval (writer.flushIntervalMs).
const FLUSH_MS = numArg('flush-ms', 1000);
// Rows of each sustained run (sustained.ts): several times the senders' window; 0 skips them.
const SUSTAINED_ROWS = numArg('sustained-rows', 600_000);
// Decode threads of the second collector the sustained and collector-alone runs also measure.
const DECODE_THREADS = numArg('decode-threads', 1);
const COLUMNS = NATIVE_TABLES.predictions;
const COLUMN_NAMES = COLUMNS.map((c) => c.name);

// The senders run in a worker thread: a model server's exporter is never on the collector's event
// loop, and an in-process HTTP client would bill its own work to the collector.
const SENDER = `${SEND_LOOP}
const { parentPort, workerData } = require('node:worker_threads');
const { url, bodies, type, concurrency } = workerData;
sendAll(url, bodies, type, concurrency).then((s) => parentPort.postMessage(s), (err) => parentPort.postMessage({ error: String(err) }));
`;

async function send(url: string, bodies: Buffer[], type: string): Promise<number> {
  const worker = new Worker(SENDER, { eval: true, workerData: { url, bodies: bodies.map((b) => new Uint8Array(b)), type, concurrency: CONCURRENCY } });
  const out = await new Promise<number | { error: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  if (typeof out !== 'number') throw new Error(out.error);
  return out;
}


// CPU time of the whole process (collector, embedded ClickHouse, sender thread) in ms.
const processCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// Garbage-collection pauses of this process (start, duration in ms); entries arrive asynchronously.
const gcPauses: [number, number][] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push([e.startTime, e.duration]);
}).observe({ entryTypes: ['gc'] });
const gcWithin = (from: number, to: number) => gcPauses.reduce((n, [t, d]) => (t >= from && t < to ? n + d : n), 0);

/**
 * Per-record cost of each collector stage on one request body, alone in this thread (no HTTP, no
 * ClickHouse): µs per record, median over `reps` passes after a warm-up. Encode is the batch
 * writer's step (one Native block of the request's rows); `JSON (before)` is the step it replaced,
 * JSON.stringify per row, timed on the same rows but not counted in the total; GC is the mean
 * garbage-collection pause time within the passes (already counted in the stages it interrupted).
 */
async function stages(protoBody: Buffer, ndjsonBody: Buffer, records: number, reps = 25) {
  const out: Record<string, Record<string, number>> = {};
  for (const path of ['protobuf', 'ndjson'] as const) {
    const samples: Record<string, number[]> = { decode: [], transform: [], encode: [], gc: [], total: [], json: [] };
    const windows: [number, number][] = [];
    for (let i = 0; i < reps + 5; i++) {
      await new Promise((r) => setImmediate(r));
      const t0 = performance.now();
      let rows: object[];
      let t1 = NaN;
      if (path === 'protobuf') {
        const decoded = decodeRequest('logs', protoBody);
        t1 = performance.now();
        rows = transformLogs(decoded).predictions;
      } else rows = parsePredictionsBody(ndjsonBody.toString('utf8')).rows;
      const t2 = performance.now();
      const block = encodeNativeBlock(COLUMNS, rows);
      const t3 = performance.now();
      const lines = rows.map((r) => JSON.stringify(r));
      const t4 = performance.now();
      if (!block || lines.length !== records) throw new Error(`${path}: ${lines.length} rows from ${records} records, block ${block?.length}`);
      if (i < 5) continue;
      // NDJSON lines are parsed and transformed one by one: both are reported under decode.
      samples.decode.push((Number.isNaN(t1) ? t2 : t1) - t0);
      samples.transform.push(t2 - t1);
      samples.encode.push(t3 - t2);
      samples.total.push(t3 - t0);
      samples.json.push(t4 - t3);
      windows.push([t0, t3]);
    }
    await new Promise((r) => setTimeout(r, 50));
    samples.gc = windows.map(([a, b]) => gcWithin(a, b));
    for (const k of Object.keys(samples)) samples[k] = samples[k].map((ms) => (ms * 1000) / records);
    // GC pauses come every few passes: their mean is the cost per record, the median would be 0.
    out[path] = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, k === 'gc' ? v.reduce((a, b) => a + b, 0) / v.length : median(v)]));
  }
  return out;
}

/** The collector alone in server mode (ClickHouse elsewhere: a discarding endpoint), the fleet-sizing figure. */
async function printAlone(protoBodies: Buffer[], ndjsonBodies: Buffer[], jsonCeiling: number): Promise<void> {
  const figures = await collectorAlone({
    rows: ROWS, concurrency: CONCURRENCY, rounds: 3, flushMs: FLUSH_MS, decodeThreads: DECODE_THREADS,
    // --profile FILE: the collector process's main thread goes to FILE.alone.
    profile: process.argv.includes('--profile') ? `${process.argv[process.argv.indexOf('--profile') + 1]}.alone` : undefined,
    bodies: [
      { path: 'OTLP/HTTP protobuf', url: '/v1/logs', type: 'application/x-protobuf', bodies: protoBodies },
      { path: 'NDJSON /v1/predictions', url: '/v1/predictions', type: 'application/x-ndjson', bodies: ndjsonBodies },
    ],
  });
  console.log('collector alone, server mode (a collector process of its own; inserts to a loopback endpoint that discards them; senders and endpoint in other processes; medians of 3):');
  console.log(`${'path'.padEnd(42)} predictions/s   CPU µs/record: main thread  whole collector process   predictions/s per core`);
  for (const f of figures) {
    console.log(`${f.path.padEnd(42)} ${Math.round(f.perSecond).toLocaleString('en').padStart(13)} ${f.mainUsPerRecord.toFixed(1).padStart(27)} ${f.cpuUsPerRecord.toFixed(1).padStart(24)} ${Math.round(f.perCore).toLocaleString('en').padStart(24)}`);
  }
  if (jsonCeiling > 0) {
    console.log(`per core over the old ceiling of this run (less tied to the machine's speed than the rates): ${figures.map((f) => `${f.path} ${(f.perCore / jsonCeiling).toFixed(2)}`).join(', ')}`);
  }
  if (process.argv.includes('--threads')) {
    for (const f of figures) console.log(`  ${f.path} by thread, µs/record: ${f.threads.filter(([, us]) => us >= 0.2).map(([name, us]) => `${name} ${us.toFixed(1)}`).join(', ')}`);
  }
}

/**
 * Adds each thread's CPU ms since `threads0` to `sum`; threads that ended meanwhile (the senders'
 * worker) get the rest of the process's CPU since `all0`.
 */
function addThreads(sum: Map<string, number>, threads0: Map<string, number>, all0: number): void {
  let named = 0;
  for (const [name, ms] of threadCpuMs()) {
    const d = ms - (threads0.get(name) ?? 0);
    sum.set(name, (sum.get(name) ?? 0) + d);
    named += d;
  }
  sum.set('(ended: sender worker)', (sum.get('(ended: sender worker)') ?? 0) + processCpuMs() - all0 - named);
}

/** The threads of `sum` (CPU ms) as µs per record over `records`, largest first, those under 0.2 left out. */
function threadLine(sum: Map<string, number>, records: number): string {
  const us = [...sum].map(([name, ms]) => [name, (ms * 1000) / records] as const).filter(([, v]) => v >= 0.2);
  return us.sort((a, b) => b[1] - a[1]).map(([name, v]) => `${name} ${v.toFixed(1)}`).join(', ');
}

/**
 * The same rows in blocks of `perInsert`. A function of its own, so that the decoded rows die with
 * it: kept in main()'s scope, 200,000 row objects stayed alive through the sustained runs, and
 * every full garbage collection marked them again (V8's helper threads took 8 µs per record).
 */
function reblock(bodies: Buffer[], perInsert: number): Buffer[] {
  const out: Buffer[] = [];
  const rows = bodies.flatMap((b) => decodeNativeBlocks(COLUMNS, b));
  for (let i = 0; i < rows.length; i += perInsert) out.push(Buffer.from(encodeNativeBlock(COLUMNS, rows.slice(i, i + perInsert))!));
  return out;
}

/**
 * The request bodies, and the ceilings' insert bodies: exactly the rows the collector would write,
 * already encoded, as Native blocks (what the writer sends) and as JSONEachRow (what it sent
 * before). Built in a function so that only bytes stay alive through the runs: row objects held
 * meanwhile would slow the collector's garbage collection.
 */
function bodies(Req: protobuf.Type) {
  const base = Date.now() - 3600_000;
  const recs = Array.from({ length: ROWS }, (_, i) => record(i, base));
  const chunks: (typeof recs)[] = [];
  for (let i = 0; i < ROWS; i += PER_REQUEST) chunks.push(recs.slice(i, i + PER_REQUEST));
  const ceilingBodies: Buffer[] = [];
  const jsonCeilingBodies: Buffer[] = [];
  // The base every timed path starts from (see sameStart): the same rows a day earlier, so that no
  // insert of a path is a duplicate of the base that ClickHouse would skip.
  const baseBodies: Buffer[] = [];
  for (let i = 0; i < ROWS; i += 100_000) {
    const part = chunks.slice(i / PER_REQUEST, (i + 100_000) / PER_REQUEST).flatMap((c) => parsePredictionsBody(c.map((r) => JSON.stringify(r)).join('\n')).rows);
    ceilingBodies.push(Buffer.from(encodeNativeBlock(COLUMNS, part)!));
    baseBodies.push(Buffer.from(encodeNativeBlock(COLUMNS, part.map((r) => ({ ...r, ts: r.ts - 86_400_000 })))!));
    jsonCeilingBodies.push(Buffer.from(part.map((r) => JSON.stringify(r)).join('\n') + '\n'));
  }
  return {
    protoBodies: chunks.map((c) => otlpBody(Req, c)),
    ndjsonBodies: chunks.map((c) => Buffer.from(c.map((r) => JSON.stringify(r)).join('\n'))),
    ceilingBodies,
    jsonCeilingBodies,
    baseBodies,
  };
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-ingest-'));
  const config = loadConfig({ overrides: { 'storage.dataDir': dataDir, 'writer.maxBatchRows': 100_000, 'writer.flushIntervalMs': FLUSH_MS, 'writer.maxQueueRows': 2_000_000, 'server.bodyLimitBytes': 256 * 1024 * 1024, 'server.decodeThreads': 0 } });
  const store = await createStore({ dataDir });
  await migrate(store);
  const collector = buildCollector({ store, config, logger: pino({ level: 'error' }) });
  await collector.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(collector.app.server.address() as { port: number }).port}`;
  // The same collector with decode threads, over the same store (sustained runs only).
  const threaded = DECODE_THREADS > 0 ? buildCollector({ store, config: { ...config, server: { ...config.server, decodeThreads: DECODE_THREADS } }, logger: pino({ level: 'error' }) }) : null;
  await threaded?.app.listen({ host: '127.0.0.1', port: 0 });
  const threadedUrl = threaded ? `http://127.0.0.1:${(threaded.app.server.address() as { port: number }).port}` : '';
  const Req = requestType('logs');

  const { protoBodies, ndjsonBodies, ceilingBodies, jsonCeilingBodies, baseBodies } = bodies(Req);
  const mb = (bs: Buffer[]) => (bs.reduce((n, b) => n + b.length, 0) / 1048576).toFixed(1);
  console.log(`rows ${ROWS}, ${PER_REQUEST} per request, ${CONCURRENCY} concurrent senders; protobuf ${mb(protoBodies)} MiB, NDJSON ${mb(ndjsonBodies)} MiB`);

  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`load average at start: ${load()} (${os.cpus().length} cores)`);
  const st = await stages(protoBodies[0], ndjsonBodies[0], PER_REQUEST);
  const f = (x: number) => (Number.isNaN(x) ? '(in decode)'.padStart(13) : x.toFixed(2).padStart(13));
  console.log(`collector stages alone, µs per record (${PER_REQUEST}-record request, median of 25; GC: mean):`);
  console.log('path              decode     transform  encode (Native)  GC (within)         total   JSON (before, not in total)');
  for (const [name, v] of Object.entries(st)) console.log(`${name.padEnd(10)} ${f(v.decode)} ${f(v.transform)} ${f(v.encode)} ${f(v.gc)} ${f(v.total)} ${f(v.json)}`);
  if (process.argv.includes('--alone-only')) {
    await printAlone(protoBodies, ndjsonBodies, 0); // (no ceiling measured in this mode)
    process.argv.push('--stages-only');
  }
  if (process.argv.includes('--stages-only')) {
    await threaded?.app.close();
    await threaded?.writer.close();
    await collector.app.close();
    await collector.writer.close();
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    return;
  }

  const results: Record<string, number[]> = { ceiling: [], jsonCeiling: [], protobuf: [], ndjson: [] };
  // Per record during each run, µs: CPU of the main thread (the collector; idle in the ceiling
  // runs), CPU of the whole process (adds ClickHouse and the sender thread), and the share of wall
  // time the event loop was busy.
  const cpu: Record<string, { main: number[]; all: number[]; busy: number[] }> = {};
  // CPU ms per thread name over all rounds of each path (--threads).
  const byThread: Record<string, Map<string, number>> = {};
  const timed = async (path: string, run: () => Promise<number>) => {
    await sameStart();
    const elu = perf.eventLoopUtilization();
    const main0 = mainThreadCpuMs();
    const all0 = processCpuMs();
    const threads0 = threadCpuMs();
    const secs = await run();
    addThreads((byThread[path] ??= new Map()), threads0, all0);
    const c = (cpu[path] ??= { main: [], all: [], busy: [] });
    c.main.push(((mainThreadCpuMs() - main0) * 1000) / ROWS);
    c.all.push(((processCpuMs() - all0) * 1000) / ROWS);
    c.busy.push(perf.eventLoopUtilization(elu).utilization);
    results[path].push(ROWS / secs);
  };
  // Every path starts from the same table: emptied, then the base rows below inserted and merged
  // (untimed). So each path pays for the merges its own inserts start, against a table that holds
  // data as a running one does, and none for merging the rows of the paths run before it (with
  // the table emptied once per round, the last path paid 3-4x the merge CPU of the first; emptied
  // before each path alone, the merges mostly fell after the runs and none paid).
  const sameStart = async () => {
    await store.command(`TRUNCATE TABLE ${store.t('predictions')}`);
    for (const b of baseBodies) await store.insertNative('predictions', COLUMN_NAMES, b);
    await mergesDone();
  };
  const mergesDone = async () => {
    const t0 = performance.now();
    for (let idle = 0; idle < 3 && performance.now() - t0 < 60_000; ) {
      const [{ n }] = await store.query<{ n: number }>('SELECT count() AS n FROM system.merges WHERE database = {db:String}', { db: store.database });
      idle = Number(n) === 0 ? idle + 1 : 0;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const ceilingRun = async () => {
    const t0 = performance.now();
    for (const b of ceilingBodies) await store.insertNative('predictions', COLUMN_NAMES, b);
    return (performance.now() - t0) / 1000;
  };
  const jsonCeilingRun = async () => {
    const t0 = performance.now();
    for (const b of jsonCeilingBodies) await store.insertRaw('predictions', b);
    return (performance.now() - t0) / 1000;
  };
  // Inserts the collector made into `predictions` so far (its writer's latency histogram counts them).
  const collectorInserts = async () => {
    const m = await collector.registry.getSingleMetric('modelwatch_insert_duration_seconds')?.get();
    return m?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count') && v.labels.table === 'predictions')?.value ?? 0;
  };
  const inserts0 = await collectorInserts();
  // --profile FILE: a CPU profile of the collector's thread during the end-to-end runs only.
  const profile = process.argv.includes('--profile') ? await profiler(process.argv[process.argv.indexOf('--profile') + 1]) : null;
  for (let round = 0; round < 3; round++) {
    await timed('ceiling', ceilingRun);
    await timed('jsonCeiling', jsonCeilingRun);
    await profile?.resume();
    await timed('protobuf', () => send(`${url}/v1/logs`, protoBodies, 'application/x-protobuf'));
    await timed('ndjson', () => send(`${url}/v1/predictions`, ndjsonBodies, 'application/x-ndjson'));
    await profile?.pause();
  }
  // The same ceiling with inserts as large as the collector's were (its writer flushes every 250 ms
  // here, so its inserts are smaller than the 100,000 rows above): ClickHouse's cost per row there.
  const perInsert = Math.max(1, Math.round((6 * ROWS) / ((await collectorInserts()) - inserts0)));
  const smallBodies = reblock(ceilingBodies, perInsert);
  results.small = [];
  await timed('small', async () => {
    const t0 = performance.now();
    for (const b of smallBodies) await store.insertNative('predictions', COLUMN_NAMES, b);
    return (performance.now() - t0) / 1000;
  });
  if (profile) console.log(`CPU profiles of the end-to-end runs: ${await profile.save()}, first in ${process.argv[process.argv.indexOf('--profile') + 1]}`);
  // Sustained runs: each path in turn, 3 rounds, from the same start as every timed path.
  const sustained: Record<string, { middle: number[]; overall: number[]; main: number[]; all: number[] }> = {};
  if (SUSTAINED_ROWS > 0) {
    const sb = sustainedBodies(Req, SUSTAINED_ROWS, PER_REQUEST, Date.now() - 3600_000);
    const runs: [string, string, string, typeof sb.ndjson][] = [['protobuf', `${url}/v1/logs`, 'application/x-protobuf', sb.protobuf], ['ndjson', `${url}/v1/predictions`, 'application/x-ndjson', sb.ndjson]];
    // With decode threads: each path again through the threaded collector, in the same rounds.
    if (threaded) runs.push(['protobuf+threads', `${threadedUrl}/v1/logs`, 'application/x-protobuf', sb.protobuf], ['ndjson+threads', `${threadedUrl}/v1/predictions`, 'application/x-ndjson', sb.ndjson]);
    for (let round = 0; round < 3; round++) {
      // The threaded runs go first in the middle round, so neither kind always follows the other.
      for (const [p, target, type, bs] of round === 1 ? [...runs].reverse() : runs) {
        await sameStart();
        let main0 = 0;
        let all0 = 0;
        let threads0 = new Map<string, number>();
        const r = await sustainedRun(target, bs, type, CONCURRENCY, PER_REQUEST, () => {
          main0 = mainThreadCpuMs();
          all0 = processCpuMs();
          threads0 = threadCpuMs();
        });
        addThreads((byThread[`sustained ${p}`] ??= new Map()), threads0, all0);
        const s = (sustained[p] ??= { middle: [], overall: [], main: [], all: [] });
        s.middle.push(r.middle);
        s.overall.push(r.overall);
        s.main.push(((mainThreadCpuMs() - main0) * 1000) / SUSTAINED_ROWS);
        s.all.push(((processCpuMs() - all0) * 1000) / SUSTAINED_ROWS);
      }
    }
  }
  const [{ n }] = await store.query<{ n: number }>(`SELECT sum(predictions) AS n FROM ${store.t('latency_1m')}`);
  const ceiling = median(results.ceiling);
  // 13 timed paths (3 rounds of 4, then the small inserts), each after a base of ROWS rows, then
  // the sustained runs (3 rounds of 2, or 4 with decode threads), each after the same base.
  const sustainedRuns = SUSTAINED_ROWS > 0 ? 3 * (threaded ? 4 : 2) : 0;
  console.log(`rollup rows counted: ${n} (expected ${ROWS * 13 * 2 + sustainedRuns * (ROWS + SUSTAINED_ROWS)})`);
  console.log('path                     predictions/s (median of 3)  vs ceiling   CPU µs/record: main thread  whole process   event loop busy');
  const labels: Record<string, string> = {
    ceiling: 'raw insert ceiling',
    jsonCeiling: 'old ceiling (JSONEachRow)',
    protobuf: 'OTLP/HTTP protobuf',
    ndjson: 'NDJSON /v1/predictions',
    small: `ceiling, ${perInsert}-row inserts`.padEnd(24),
  };
  for (const k of ['ceiling', 'jsonCeiling', 'protobuf', 'ndjson', 'small']) {
    const v = median(results[k]);
    const c = cpu[k];
    const label = labels[k];
    console.log(`${label.padEnd(24)} ${Math.round(v).toLocaleString('en').padStart(12)} ${(v / ceiling).toFixed(2).padStart(19)} ${median(c.main).toFixed(1).padStart(27)} ${median(c.all).toFixed(1).padStart(14)} ${(median(c.busy) * 100).toFixed(0).padStart(16)}%`);
  }
  if (process.argv.includes('--threads')) {
    console.log('CPU µs per record by thread (all rounds; ClickHouse threads by pool name):');
    for (const k of ['ceiling', 'protobuf', 'ndjson']) {
      console.log(`  ${labels[k]}: ${threadLine(byThread[k], 3 * ROWS)}`);
    }
  }
  console.log(`rounds: ${Object.entries(results).map(([k, v]) => `${k} ${v.map((x) => Math.round(x)).join('/')}`).join('; ')}`);
  // The machine's speed swings about 2x within a day (BENCHMARKS.md, Ingest); the unchanged JSON
  // ceiling swings with it, so a rate over it compares runs of different hours better than the rate.
  const jsonCeiling = median(results.jsonCeiling);
  console.log(`end to end over the old ceiling (JSONEachRow) of this run: protobuf ${(median(results.protobuf) / jsonCeiling).toFixed(2)}, NDJSON ${(median(results.ndjson) / jsonCeiling).toFixed(2)}`);
  if (SUSTAINED_ROWS > 0) {
    console.log(`end to end, sustained: ${SUSTAINED_ROWS.toLocaleString('en')} rows a run, ${CONCURRENCY} senders; the rate between the acknowledgement of 1/5 and 4/5 of the rows (sustained.ts), medians of 3:`);
    const window = CONCURRENCY * PER_REQUEST;
    if (SUSTAINED_ROWS < 3 * window) console.log(`(under 3 times the senders' window of ${window.toLocaleString('en')} rows: the middle of the stream is an insert or two, and its rate means little)`);
    console.log('path                     predictions/s   whole run /s   over the old ceiling   CPU µs/record: main thread  whole process');
    const paths: [string, string][] = [['protobuf', 'OTLP/HTTP protobuf'], ['ndjson', 'NDJSON /v1/predictions']];
    if (threaded) paths.push(['protobuf+threads', `protobuf, ${DECODE_THREADS} decode thr.`], ['ndjson+threads', `NDJSON, ${DECODE_THREADS} decode thr.`]);
    for (const [k, label] of paths) {
      const v = sustained[k];
      console.log(`${label.padEnd(24)} ${Math.round(median(v.middle)).toLocaleString('en').padStart(13)} ${Math.round(median(v.overall)).toLocaleString('en').padStart(14)} ${(median(v.middle) / jsonCeiling).toFixed(2).padStart(22)} ${median(v.main).toFixed(1).padStart(27)} ${median(v.all).toFixed(1).padStart(14)}`);
    }
    console.log(`sustained rounds: ${Object.entries(sustained).map(([k, v]) => `${k} ${v.middle.map((x) => Math.round(x)).join('/')}`).join('; ')}`);
    if (process.argv.includes('--threads')) {
      console.log('CPU µs per record by thread, sustained (all rounds):');
      for (const [k] of paths) {
        console.log(`  ${k}: ${threadLine(byThread[`sustained ${k}`], 3 * SUSTAINED_ROWS)}`);
      }
    }
  }
  if (!process.argv.includes('--no-alone')) await printAlone(protoBodies, ndjsonBodies, jsonCeiling);
  console.log(`load average at end: ${load()}`);
  await threaded?.app.close();
  await threaded?.writer.close();
  await collector.app.close();
  await collector.writer.close();
  await store.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

await main();
