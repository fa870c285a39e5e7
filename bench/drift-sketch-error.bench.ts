/**
 * How far the sketch path (used above the exact limit) is from the exact values: the same two files
 * compared once exactly and once with `exactLimit: 0` (quantile sketches only), for several shapes
 * of distribution and shifts, and every sketch-fed method. Prints the worst absolute and relative
 * error per method: the bound docs/drift.md states for `path: "sketch"`.
 *
 *   node bin/run-ts.mjs bench/drift-sketch-error.bench.ts [--rows 200000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore } from '../storage/client.ts';
import { compareSources } from '../analyzer/drift/compute.ts';
import { fileSource } from '../analyzer/drift/reference.ts';
import { arg } from './args.ts';

const ROWS = Number(arg('rows', '200000'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-sketch-'));
const store = await createStore({ dataDir: path.join(dir, 'data') });

// Column shapes: each a ClickHouse expression of a seed {S} and a shift {D} (in the column's own scale).
const SHAPES: Record<string, string> = {
  normal: 'randNormal({D}, 1, {S})',
  lognormal: 'randLogNormal({D}, 1, {S})',
  exponential: 'randExponential(1, {S}) + {D}',
  bimodal: 'if(rand({S}) % 2 = 0, randNormal(-2 + {D}, 0.5, {S} + 1), randNormal(2 + {D}, 0.5, {S} + 2))',
  heavy_tail: 'randStudentT(2, {S}) + {D}',
  rounded: 'round(randNormal({D}, 1, {S}), 1)',
};
const SHIFTS = [0, 0.05, 0.2, 1];
const METHODS = ['ks', 'wasserstein', 'energy', 'psi', 'jensenshannon', 'kl', 'hellinger', 'tvd', 'linf'];

async function write(file: string, shift: number, salt: number): Promise<string> {
  const p = path.join(dir, file);
  const cols = Object.entries(SHAPES).map(([name, e], k) => `${e.replaceAll('{D}', `toFloat64(${shift})`).replaceAll('{S}', `number * 13 + ${k * 7919 + salt}`)} AS ${name}`);
  await store.command(`INSERT INTO FUNCTION file({p:String}, 'Parquet') SELECT ${cols.join(', ')} FROM numbers({n:UInt64}) SETTINGS engine_file_truncate_on_insert = 1`, { p, n: ROWS });
  return p;
}

console.log(`${ROWS.toLocaleString()} rows per side, ${Object.keys(SHAPES).length} shapes x ${SHIFTS.length} shifts, methods ${METHODS.join(', ')}`);
const ref = await write('ref.parquet', 0, 1);
const worst = new Map<string, { abs: number; rel: number; where: string }>();
// Near the default thresholds (exact statistic <= 0.3) is where an error could flip a verdict.
const near = new Map<string, number>();
for (const shift of SHIFTS) {
  const cur = await write(`cur-${shift}.parquet`, shift, 2);
  for (const method of METHODS) {
    const run = (exactLimit: number) => compareSources(store, { kind: 'file', file: fileSource(ref) }, { kind: 'file', file: fileSource(cur) }, { method, exactLimit }, { literal: true });
    const [exact, sketch] = [await run(ROWS), await run(0)];
    for (const e of exact.columns) {
      const s = sketch.columns.find((c) => c.column === e.column)!;
      if (e.path !== 'exact' || s.path !== 'sketch') throw new Error(`${e.column}: paths ${e.path} / ${s.path}`);
      const abs = Math.abs(s.statistic - e.statistic);
      const rel = abs / Math.max(Math.abs(e.statistic), 1e-12);
      if (e.statistic <= 0.3) near.set(method, Math.max(near.get(method) ?? 0, abs));
      const w = worst.get(method) ?? { abs: 0, rel: 0, where: '' };
      if (abs > w.abs) worst.set(method, { abs, rel: Math.max(w.rel, rel), where: `${e.column} shift ${shift} (exact ${e.statistic.toPrecision(4)})` });
      else if (rel > w.rel) w.rel = rel;
    }
  }
}
console.log('\nmethod          worst |sketch - exact|   where exact <= 0.3   worst relative   at');
for (const [m, w] of worst) {
  console.log(`${m.padEnd(15)} ${w.abs.toExponential(2).padStart(18)}   ${(near.get(m) ?? 0).toExponential(2).padStart(18)}   ${w.rel.toExponential(2).padStart(14)}   ${w.where}`);
}
await store.close();
fs.rmSync(dir, { recursive: true, force: true });
