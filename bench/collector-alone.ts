/**
 * The collector alone in server mode: what one collector process costs per prediction when
 * ClickHouse runs elsewhere, the figure a fleet is sized with (docs/scaling.md). The collector runs
 * in a process of its own (started with `npm start`'s V8 flags) with a server-mode store pointed at
 * a loopback endpoint that answers inserts as the ClickHouse HTTP interface does (200, a summary
 * header) and discards them; the endpoint and the senders are further processes, so the collector
 * process's CPU time is the collector's own (event loop, GC threads, HTTP client), not an embedded
 * ClickHouse's background work left from earlier runs. Used by bench/ingest.bench.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../core/config/load.ts';
import { buildCollector } from '../collector/server.ts';
import { createStore } from '../storage/client.ts';
import { arg, median } from './args.ts';
import { profiler } from './profiler.ts';

// Reads every request to the end and answers like ClickHouse's HTTP interface: inserts get 200 and
// a summary, /ping gets "Ok.". Counts the inserted rows so the run can check nothing was lost: a
// text insert's lines, a Native insert's rows read from its block headers.
const ENDPOINT = `
const http = require('node:http');
let lines = 0;
// Rows in a body of Native blocks (the column types the writer sends), walking each column's bytes.
function nativeRows(b) {
  const at = { i: 0 };
  const varUInt = () => { let v = 0, scale = 1; for (;;) { const x = b[at.i++]; v += (x & 127) * scale; if (x < 128) return v; scale *= 128; } };
  const u64At = (i) => b.readUInt32LE(i) + b.readUInt32LE(i + 4) * 4294967296;
  const skip = (type, n) => {
    if (type === 'String') { for (let k = 0; k < n; k++) { const len = varUInt(); at.i += len; } return; }
    if (type === 'Float64' || type.startsWith('DateTime64')) { at.i += 8 * n; return; }
    if (type.startsWith('Nullable(')) { at.i += n; skip(type.slice(9, -1), n); return; }
    const total = n ? u64At(at.i + 8 * (n - 1)) : 0;
    at.i += 8 * n;
    if (type.startsWith('Array(')) skip(type.slice(6, -1), total);
    else { skip('String', total); skip(type.slice(type.indexOf(',') + 2, -1), total); }
  };
  let rows = 0;
  while (at.i < b.length) {
    const ncols = varUInt(), n = varUInt();
    rows += n;
    for (let c = 0; c < ncols; c++) {
      const nameLen = varUInt();
      at.i += nameLen;
      const len = varUInt();
      const type = b.toString('latin1', at.i, at.i + len);
      at.i += len;
      skip(type, n);
    }
  }
  return rows;
}
const server = http.createServer((req, res) => {
  if (req.url === '/ping') { res.end('Ok.\\n'); return; }
  const native = (new URL(req.url, 'http://x').searchParams.get('query') || '').endsWith('FORMAT Native');
  const chunks = [];
  req.on('data', (c) => {
    if (native) chunks.push(c);
    else for (let i = 0; i < c.length; i++) if (c[i] === 10) lines++;
  });
  req.on('end', () => {
    if (native) lines += nativeRows(Buffer.concat(chunks));
    res.setHeader('X-ClickHouse-Summary', JSON.stringify({ written_rows: '0' }));
    res.setHeader('Content-Type', 'text/plain');
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
process.on('message', (m) => { if (m === 'count') process.send(lines); });
`;

/**
 * The senders' loop, as script text for a worker or child process: posts `bodies` to `url` with
 * `concurrency` requests in flight, retrying 429/503 as exporters do; a promise of the seconds taken.
 */
export const SEND_LOOP = `
async function sendAll(url, bodies, type, concurrency, acks) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      for (;;) {
        const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': type } });
        await res.arrayBuffer();
        if (res.status === 200) break;
        if (res.status !== 503 && res.status !== 429) throw new Error('HTTP ' + res.status);
        await new Promise((r) => setTimeout(r, 100));
      }
      // When each request was acknowledged, ms from the start (sustained.ts).
      acks?.push(performance.now() - t0);
    }
  }));
  return (performance.now() - t0) / 1000;
}
`;

// A sender process: the bodies are files in a directory; prints the seconds.
const SENDER = `${SEND_LOOP}
const fs = require('node:fs');
const path = require('node:path');
const [url, dir, type, concurrency] = process.argv.slice(1);
const files = fs.readdirSync(dir).sort().map((f) => fs.readFileSync(path.join(dir, f)));
sendAll(url, files, type, concurrency).then((s) => process.stdout.write(String(s)), (err) => { console.error(String(err)); process.exit(1); });
`;

// One thread's name (the kernel's `comm`) and CPU time in ms, from /proc/self/task/<tid>/stat
// (utime + stime, clock ticks of 10 ms); throws when the thread is gone or there is no /proc.
function taskCpu(tid: string): { name: string; ms: number } {
  const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: ((Number(f[11]) + Number(f[12])) * 1000) / 100 };
}

/**
 * CPU time of the main thread (the collector's event loop) in ms, from Linux's per-thread
 * accounting (clock ticks of 10 ms; runs last seconds); NaN elsewhere.
 */
export function mainThreadCpuMs(): number {
  try {
    return taskCpu(String(process.pid)).ms;
  } catch {
    return NaN;
  }
}

/**
 * CPU ms of each thread of this process now, summed by thread name: "main thread" (the
 * collector's event loop), "node" (V8's GC and compiler helpers and libuv's pool, which Node
 * leaves unnamed), ClickHouse's threads by their pool names. Threads that have ended are not in it.
 */
export function threadCpuMs(): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const t = taskCpu(tid);
      const name = tid === String(process.pid) ? 'main thread' : t.name;
      out.set(name, (out.get(name) ?? 0) + t.ms);
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

function startEndpoint(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', ENDPOINT], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve({ child, port: JSON.parse(d.toString()).port }));
    child.once('error', reject);
  });
}

function runSender(url: string, dir: string, type: string, concurrency: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', SENDER, url, dir, type, String(concurrency)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`sender exited ${code}`)))));
}

/** One figure per path: predictions/s, CPU µs per record of the event loop and of this whole process, and predictions/s per core of the latter. */
export interface AloneFigure {
  path: string;
  perSecond: number;
  mainUsPerRecord: number;
  cpuUsPerRecord: number;
  perCore: number;
  /** CPU µs per record by thread name (all rounds), largest first. */
  threads: [string, number][];
}

/** What the collector process is asked to run: each path's request bodies are the files of a directory. */
interface AloneSpec {
  paths: { path: string; url: string; type: string; dir: string }[];
  rows: number;
  concurrency: number;
  rounds: number;
  flushMs: number;
  /** Each path runs again through a second collector with this many decode threads (0: not). */
  decodeThreads: number;
  /** A CPU profile of the collector's main thread over the runs goes to this file (DevTools format). */
  profile?: string;
}

/**
 * Runs each path `rounds` times against the discarding endpoint, in a collector process of its
 * own (this file run as a script); medians.
 */
export async function collectorAlone(o: { bodies: { path: string; url: string; type: string; bodies: Buffer[] }[]; rows: number; concurrency: number; rounds: number; flushMs: number; decodeThreads: number; profile?: string }): Promise<AloneFigure[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-alone-'));
  try {
    const spec: AloneSpec = { rows: o.rows, concurrency: o.concurrency, rounds: o.rounds, flushMs: o.flushMs, decodeThreads: o.decodeThreads, paths: [], profile: o.profile && path.resolve(o.profile) };
    for (const [k, p] of o.bodies.entries()) {
      const dir = path.join(tmp, `bodies-${k}`);
      fs.mkdirSync(dir);
      p.bodies.forEach((b, i) => fs.writeFileSync(path.join(dir, String(i).padStart(6, '0')), b));
      spec.paths.push({ path: p.path, url: p.url, type: p.type, dir });
    }
    const specFile = path.join(tmp, 'spec.json');
    fs.writeFileSync(specFile, JSON.stringify(spec));
    const runTs = new URL('../bin/run-ts.mjs', import.meta.url).pathname;
    // npm start's V8 flags (package.json), so the figure is the served collector's.
    const child = spawn(process.execPath, ['--max-semi-space-size=64', runTs, new URL(import.meta.url).pathname, '--spec', specFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`the collector process exited ${code}`);
    return JSON.parse(out.trim().split('\n').pop()!) as AloneFigure[];
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// The collector process: runs the spec, prints the figures as one JSON line.
async function runAlone(o: AloneSpec): Promise<AloneFigure[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-alone-'));
  const { child: endpoint, port } = await startEndpoint();
  const config = loadConfig({
    overrides: {
      'storage.url': `http://127.0.0.1:${port}`, 'storage.dataDir': path.join(tmp, 'unused'), 'spool.dir': path.join(tmp, 'spool'),
      'writer.maxBatchRows': 100_000, 'writer.flushIntervalMs': o.flushMs, 'writer.maxQueueRows': 2_000_000, 'server.bodyLimitBytes': 256 * 1024 * 1024, 'server.decodeThreads': 0,
    },
  });
  const store = await createStore({ url: config.storage.url });
  const collector = buildCollector({ store, config, logger: pino({ level: 'error' }) });
  await collector.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(collector.app.server.address() as { port: number }).port}`;
  // The second collector, with decode threads: its threads are this process's too.
  const threaded = o.decodeThreads > 0 ? buildCollector({ store, config: { ...config, server: { ...config.server, decodeThreads: o.decodeThreads } }, logger: pino({ level: 'error' }) }) : null;
  await threaded?.app.listen({ host: '127.0.0.1', port: 0 });
  const targets: [string, string, typeof collector][] = [['', base, collector]];
  if (threaded) targets.push([`, ${o.decodeThreads} decode thr.`, `http://127.0.0.1:${(threaded.app.server.address() as { port: number }).port}`, threaded]);
  const out: AloneFigure[] = [];
  const profile = o.profile ? await profiler(o.profile) : null;
  await profile?.resume();
  try {
    for (const p of o.paths) {
      // With two collectors their rounds alternate, and which goes first alternates too: neither
      // always runs after the other, nor all its rounds in one stretch of the machine's speed.
      const runs = targets.map(() => ({ rates: [] as number[], cpus: [] as number[], mains: [] as number[], threads: new Map<string, number>() }));
      for (let r = 0; r < o.rounds; r++) {
        for (const k of r % 2 ? [...targets.keys()].reverse() : targets.keys()) {
          const [, target, col] = targets[k];
          const run = runs[k];
          const threads0 = threadCpuMs();
          const m0 = mainThreadCpuMs();
          const c0 = process.cpuUsage();
          const secs = await runSender(`${target}${p.url}`, p.dir, p.type, o.concurrency);
          await col.writer.flush();
          const c = process.cpuUsage(c0);
          run.rates.push(o.rows / secs);
          run.cpus.push((c.user + c.system) / o.rows);
          run.mains.push(((mainThreadCpuMs() - m0) * 1000) / o.rows);
          for (const [name, ms] of threadCpuMs()) run.threads.set(name, (run.threads.get(name) ?? 0) + ms - (threads0.get(name) ?? 0));
        }
      }
      for (const [k, run] of runs.entries()) {
        const cpu = median(run.cpus);
        const threads = [...run.threads].map(([name, ms]): [string, number] => [name, (ms * 1000) / (o.rows * o.rounds)]);
        threads.sort((a, b) => b[1] - a[1]);
        out.push({ path: p.path + targets[k][0], perSecond: median(run.rates), mainUsPerRecord: median(run.mains), cpuUsPerRecord: cpu, perCore: 1e6 / cpu, threads });
      }
    }
    // Every record reached the endpoint as one inserted row.
    const lines = await new Promise<number>((resolve) => {
      endpoint.once('message', (n) => resolve(Number(n)));
      endpoint.send('count');
    });
    const expected = o.rows * o.rounds * o.paths.length * targets.length;
    if (lines < expected) throw new Error(`the endpoint received ${lines} rows, expected at least ${expected}`);
    await profile?.pause();
    await profile?.save();
  } finally {
    await threaded?.app.close();
    await threaded?.writer.close();
    await collector.app.close();
    await collector.writer.close();
    await store.close();
    endpoint.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

const specFile = arg('spec', '');
if (specFile && process.argv[1]?.endsWith('collector-alone.ts')) {
  process.stdout.write(`${JSON.stringify(await runAlone(JSON.parse(fs.readFileSync(specFile, 'utf8')) as AloneSpec))}\n`);
}
