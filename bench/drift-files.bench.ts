/**
 * `modelwatch drift` on two large CSV files (the whole command, as a user runs it), exact path,
 * beside scipy on the same files in the same run: pandas.read_csv + ks_2samp + wasserstein_distance
 * for every column. Also the Node heap peak of the comparison at two sizes (flat in the row count).
 *
 *   node bin/run-ts.mjs bench/drift-files.bench.ts [--file-rows 1000000] [--columns 20] [--runs 3] [--no-peer]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore } from '../storage/client.ts';
import { arg, median } from './args.ts';

const ROWS = Number(arg('file-rows', '1000000'));
const COLUMNS = Number(arg('columns', '20'));
const RUNS = Math.max(1, Number(arg('runs', '3')));
const PEER = !process.argv.includes('--no-peer');
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-files-'));

/**
 * Writes a CSV as pandas' to_csv does: an unnamed index column, then the features; column 0 holds
 * values around 1e-5 (written in exponent notation), a few empty fields (NaN) in every column.
 */
async function writeFiles(rows: number): Promise<{ ref: string; cur: string }> {
  const store = await createStore({ dataDir: path.join(dir, `gen-${rows}`) });
  const out = { ref: path.join(dir, `ref-${rows}.csv`), cur: path.join(dir, `cur-${rows}.csv`) };
  for (const [side, file] of Object.entries(out)) {
    const shift = side === 'cur' ? 0.05 : 0;
    const cols = Array.from({ length: COLUMNS }, (_, i) => {
      const v = i === 0 ? `randNormal(0, 1e-5, number * 31 + ${i})` : `${i} + (1 + ${i} / 10) * randNormal(${shift}, 1, number * 31 + ${i})`;
      return `if(rand(number * 31 + ${i + 100}) % 1000 = 0, NULL, ${v}) AS f${i}`;
    });
    // pandas' header: an empty name for the index, then the columns; ClickHouse appends the rows.
    fs.writeFileSync(file, `,${Array.from({ length: COLUMNS }, (_, i) => `f${i}`).join(',')}\n`);
    await store.command(
      `INSERT INTO FUNCTION file({p:String}, 'CSV') SELECT number, ${cols.join(', ')} FROM numbers({n:UInt64})
       SETTINGS format_csv_null_representation = ''`,
      { p: file, n: rows },
    );
  }
  await store.close();
  return out;
}

console.log(`${os.cpus().length} CPUs, load average ${load()}`);
let t = performance.now();
const big = await writeFiles(ROWS);
const small = await writeFiles(Math.max(1000, Math.floor(ROWS / 10)));
const mib = (f: string) => (fs.statSync(f).size / 2 ** 20).toFixed(0);
console.log(`wrote 2 x ${ROWS.toLocaleString()} rows x ${COLUMNS} columns (${mib(big.ref)} + ${mib(big.cur)} MiB) and 2 x ${(ROWS / 10).toLocaleString()} in ${((performance.now() - t) / 1000).toFixed(1)} s`);

// The whole command, as a user runs it.
const secs: number[] = [];
let report: any;
for (let r = 0; r < RUNS; r++) {
  t = performance.now();
  const text = execFileSync(process.execPath, ['bin/modelwatch.mjs', 'drift', '--reference', big.ref, '--current', big.cur, '--format', 'json', '--fail-on', 'never'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  secs.push((performance.now() - t) / 1000);
  report = JSON.parse(text);
}
const paths = [...new Set(report.columns.map((c: any) => c.path))].join(', ');
const ours = median(secs);
console.log(`modelwatch drift (whole command): median ${ours.toFixed(2)} s of ${secs.map((x) => x.toFixed(2)).join(' / ')} s; ${report.columns.length} columns, path ${paths}, methods ${[...new Set(report.columns.map((c: any) => c.method))].join(', ')}`);

// Node heap peak of the comparison itself, at a tenth of the rows and at all of them.
const heap = (files: { ref: string; cur: string }) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', 'bin/run-ts.mjs', 'bench/drift-files-heap.ts', files.ref, files.cur], { encoding: 'utf8' }));
const [hSmall, hBig] = [heap(small), heap(big)];
console.log(`Node heap peak: ${hSmall.heapMiB.toFixed(1)} MiB at ${(ROWS / 10).toLocaleString()} rows, ${hBig.heapMiB.toFixed(1)} MiB at ${ROWS.toLocaleString()} rows (external typed arrays: ${hBig.externalMiB.toFixed(1)} MiB)`);

if (PEER) {
  const py = `
import sys, time
import pandas as pd
from scipy.stats import ks_2samp, wasserstein_distance
t0 = time.perf_counter()
a = pd.read_csv(sys.argv[1], index_col=0); b = pd.read_csv(sys.argv[2], index_col=0)
t1 = time.perf_counter()
for c in a.columns:
    x = a[c].dropna().to_numpy(); y = b[c].dropna().to_numpy()
    ks_2samp(x, y); wasserstein_distance(x, y)
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")`;
  const [read, stats] = execFileSync('/usr/bin/python3', ['-c', py, big.ref, big.cur], { encoding: 'utf8' }).trim().split(' ').map(Number);
  const total = read + stats;
  console.log(`scipy (pandas.read_csv ${read.toFixed(2)} s + ks_2samp + wasserstein_distance ${stats.toFixed(2)} s): ${total.toFixed(2)} s for ${COLUMNS} columns`);
  console.log(`ratio scipy / modelwatch: ${(total / ours).toFixed(1)}x (statistics alone: ${(stats / ours).toFixed(1)}x); target >= 10x`);
}
console.log(`load average ${load()}`);
fs.rmSync(dir, { recursive: true, force: true });
