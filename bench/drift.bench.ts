/**
 * Drift benchmark: N predictions x 20 numeric features over one day (reference = first 12 h,
 * current = last 12 h), all default methods, once from the rollups and once from raw rows, each
 * timed `--runs` times (median reported), with the Node heap peak and the process CPU time; then
 * the sketch KS of both paths against the exact KS, and scipy's ks_2samp and wasserstein_distance
 * on the same data as the peer.
 *
 * Then (unless `--no-files`) bench/drift-files.bench.ts: `modelwatch drift` on two large CSV files
 * beside pandas + scipy, in its own process (one embedded engine per process).
 *
 * With `--days N`, instead: N days of rollups and the drift of the last day against the N - 1
 * before it, through the hour and day levels and from minute states only (bench/drift-days.ts);
 * the raw-row, peer and file parts are skipped.
 *
 *   node --expose-gc bin/run-ts.mjs bench/drift.bench.ts [--rows 10000000] [--runs 3] [--peer-features 2] [--no-peer] [--no-files] [--file-rows 1000000]
 *   node --expose-gc bin/run-ts.mjs bench/drift.bench.ts --days 30 [--runs 3] [--rows-per-day 1000000]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore } from '../storage/client.ts';
import { migrate } from '../storage/migrate.ts';
import { compareSources } from '../analyzer/drift/compute.ts';
import { readProfile } from '../analyzer/drift/profile.ts';
import { ksFromSummaries } from '../analyzer/drift/sketch.ts';
import { ksStatisticSorted } from '../analyzer/stats/index.ts';
import { arg, heapSampler, median, numArg } from './args.ts';
import { driftOverDays } from './drift-days.ts';

const ROWS = Number(arg('rows', '10000000'));
const RUNS = Math.max(1, Number(arg('runs', '3')));
const PEER_FEATURES = Number(arg('peer-features', '2'));
const PEER = !process.argv.includes('--no-peer');
const DAY = 24 * 3600_000;
const t0 = Math.floor(Date.now() / DAY) * DAY - DAY;
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

const DAYS = numArg('days', 0);
if (DAYS > 0) {
  await driftOverDays({ days: DAYS, runs: RUNS, rowsPerDay: numArg('rows-per-day', 1_000_000) });
  console.log('\n--days: the raw-row, peer (scipy) and file parts are skipped');
  process.exit(0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-drift-'));
const store = await createStore({ dataDir: path.join(dir, 'data') });
await migrate(store);

const heap = heapSampler();

console.log(`${os.cpus().length} CPUs, load average ${load()}`);
console.log(`seeding ${ROWS.toLocaleString()} predictions x 20 features over one day ...`);
let t = performance.now();
// Rows are generated inside ClickHouse: the materialized views fill the rollups as for real ingest.
// Each feature draws its own normal variate: the generator's extra argument varies by row and feature.
const CHUNK = 1_000_000;
for (let off = 0; off < ROWS; off += CHUNK) {
  const n = Math.min(CHUNK, ROWS - off);
  await store.command(
    `INSERT INTO ${store.t('predictions')} (ts, model, version, prediction_id, latency_ms, features_num)
     SELECT toDateTime64({t0:Int64} / 1000, 3, 'UTC') + toIntervalMillisecond(intDiv((number + {off:UInt64}) * 86400000, {rows:UInt64})),
            'bench', 'v1', toString(number + {off:UInt64}), 5 + randExponential(0.2),
            mapFromArrays(arrayMap(i -> concat('f', toString(i)), range(20)), arrayMap(i -> i + (1 + i / 10) * randNormal(0, 1, i + number), range(20)))
     FROM numbers({n:UInt64})`,
    { t0, off, rows: ROWS, n },
    { max_insert_block_size: '1000000', min_insert_block_size_rows: '1000000' },
  );
}
await store.command(`OPTIMIZE TABLE ${store.t('feature_num_1m')} FINAL`);
console.log(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const ref = { from: new Date(t0), to: new Date(t0 + DAY / 2) };
const cur = { from: new Date(t0 + DAY / 2), to: new Date(t0 + DAY) };
const results: Record<string, { s: number; cpu: number; heapMiB: number; drifted: number }> = {};
for (const kind of ['rollup', 'raw'] as const) {
  const secs: number[] = [];
  const cpus: number[] = [];
  let peak = 0;
  let drifted = 0;
  let method = '';
  for (let r = 0; r < RUNS; r++) {
    heap.reset();
    const c0 = process.cpuUsage();
    t = performance.now();
    const rep = await compareSources(
      store,
      { kind, model: 'bench', version: 'v1', window: ref },
      { kind, model: 'bench', version: 'v1', window: cur },
      {},
      { prediction: false },
    );
    secs.push((performance.now() - t) / 1000);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1e6);
    peak = Math.max(peak, heap.peak());
    drifted = rep.dataset.drifted;
    method = `${rep.columns.length} columns, ${rep.columns[0]?.method}`;
  }
  results[kind] = { s: median(secs), cpu: median(cpus), heapMiB: peak / 2 ** 20, drifted };
  console.log(`${kind.padEnd(6)}: median ${results[kind].s.toFixed(3)} s of ${secs.map((x) => x.toFixed(2)).join(' / ')} s (process CPU median ${results[kind].cpu.toFixed(2)} s) for ${method}, drifted ${drifted}, Node heap peak ${(peak / 2 ** 20).toFixed(1)} MiB`);
}
heap.stop();
console.log(`load average after timing: ${load()}`);

if (PEER) {
  const files: string[] = [];
  for (let f = 0; f < PEER_FEATURES; f++) {
    for (const [side, w] of [['ref', ref], ['cur', cur]] as const) {
      const file = path.join(dir, `f${f}_${side}.bin`);
      await store.command(
        `INSERT INTO FUNCTION file({p:String}, 'RowBinary', 'v Float64') SELECT features_num[{f:String}] FROM ${store.t('predictions')}
         WHERE model = 'bench' AND ts >= {a:DateTime64(3,'UTC')} AND ts < {b:DateTime64(3,'UTC')} SETTINGS engine_file_truncate_on_insert = 1`,
        { p: file, f: `f${f}`, a: w.from.toISOString().replace('T', ' ').replace('Z', ''), b: w.to.toISOString().replace('T', ' ').replace('Z', '') },
      );
      files.push(file);
    }
  }
  // Sketch accuracy on the same data: the KS statistic of each path against the exact one (all values, sorted here).
  const profiles = await Promise.all((['rollup', 'raw'] as const).flatMap((kind) => [ref, cur].map((w) => readProfile(store, { kind, model: 'bench', version: 'v1', window: w }, { prediction: false }))));
  for (let f = 0; f < PEER_FEATURES; f++) {
    const read = (file: string) => {
      const b = fs.readFileSync(file);
      return new Float64Array(b.buffer, b.byteOffset, b.length / 8).slice().sort();
    };
    const exact = ksStatisticSorted(read(files[2 * f]), read(files[2 * f + 1]));
    const name = `f${f}`;
    const rollup = ksFromSummaries(profiles[0].numeric.get(name)!.summary, profiles[1].numeric.get(name)!.summary);
    const raw = ksFromSummaries(profiles[2].numeric.get(name)!.summary, profiles[3].numeric.get(name)!.summary);
    console.log(`KS ${name}: exact ${exact.toFixed(5)}, rollups ${rollup.toFixed(5)} (|diff| ${Math.abs(rollup - exact).toFixed(5)}), raw rows ${raw.toFixed(5)} (|diff| ${Math.abs(raw - exact).toFixed(5)}, 1-in-${profiles[2].rowSample?.stride ?? 1} row sample)`);
  }
  const py = `
import sys, time, numpy as np
from scipy.stats import ks_2samp, wasserstein_distance
fs = sys.argv[1:]
t = time.perf_counter(); tl = 0
for i in range(0, len(fs), 2):
    a = np.fromfile(fs[i], dtype='<f8'); b = np.fromfile(fs[i+1], dtype='<f8')
    t1 = time.perf_counter(); ks_2samp(a, b); wasserstein_distance(a, b); tl += time.perf_counter() - t1
print(f"{tl:.3f}")`;
  const secs = Number(execFileSync('/usr/bin/python3', ['-c', py, ...files], { encoding: 'utf8' }).trim());
  const per = secs / PEER_FEATURES;
  console.log(`scipy ks_2samp + wasserstein_distance: ${secs.toFixed(2)} s for ${PEER_FEATURES} features (${per.toFixed(2)} s/feature, about ${(per * 20).toFixed(1)} s for 20)`);
}
console.log(`targets: <= 1 s from rollups (${results.rollup.s <= 1 ? 'met' : 'MISSED'}), <= 5 s from raw rows (${results.raw.s <= 5 ? 'met' : 'MISSED'}); load average ${load()}`);
await store.close();
fs.rmSync(dir, { recursive: true, force: true });

if (!process.argv.includes('--no-files')) {
  console.log('\n== modelwatch drift on CSV files ==');
  const pass = ['--file-rows', arg('file-rows', '1000000'), '--runs', String(RUNS), ...(PEER ? [] : ['--no-peer'])];
  execFileSync(process.execPath, ['--expose-gc', 'bin/run-ts.mjs', 'bench/drift-files.bench.ts', ...pass], { stdio: 'inherit' });
}
