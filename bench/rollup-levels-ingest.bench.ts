/**
 * What the rollup views cost on ingest, insert by insert: the same pre-encoded JSONEachRow inserts
 * of predictions (20 numeric + 3 categorical features) into several databases of one embedded
 * engine, each with a different set of views attached, in turn (the order rotated every round so
 * none always goes first). Prints the median insert time of each beside the full schema's.
 *
 * Default: the full schema against the schema without the hour and day views (what the levels
 * cost). `--per-view`: also no view at all (parsing and writing the raw part alone) and each
 * minute view alone, which splits ClickHouse's per-row cost between the raw table and each view.
 *
 *   node bin/run-ts.mjs bench/rollup-levels-ingest.bench.ts [--rounds 30] [--sizes 10000,50000] [--per-view]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore, type Store } from '../storage/client.ts';
import { migrate } from '../storage/migrate.ts';
import { LEVEL_TABLE, LEVELS, ROLLUP_SIGNALS, levelTable } from '../storage/levels.ts';
import { arg, median, numArg } from './args.ts';

const ROUNDS = numArg('rounds', 30);
const SIZES = arg('sizes', '10000,50000').split(',').map(Number);
const PER_VIEW = process.argv.includes('--per-view');

const ALL_VIEWS = ROLLUP_SIGNALS.flatMap((s) => LEVELS.map((l) => `${levelTable(s, l)}_mv`));
const MINUTE_VIEWS = ROLLUP_SIGNALS.filter((s) => s !== 'gpu').map((s) => `${s}_${LEVEL_TABLE.minute.suffix}_mv`);
/** Each variant: a database name and the views it keeps. */
const variants: { name: string; label: string; keep: string[] }[] = [
  { name: 'full', label: 'full schema (minute, hour and day views)', keep: ALL_VIEWS },
  { name: 'minute_only', label: 'minute views only', keep: ALL_VIEWS.filter((v) => v.includes('_1m_')) },
];
if (PER_VIEW) {
  variants.push({ name: 'no_views', label: 'no view (raw table only)', keep: [] });
  for (const v of MINUTE_VIEWS) variants.push({ name: `only_${v}`, label: `raw table + ${v}`, keep: [v] });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-views-'));
const stores: Store[] = [];
for (const v of variants) {
  const store = await createStore({ dataDir: dir, database: v.name });
  await migrate(store);
  for (const view of ALL_VIEWS) if (!v.keep.includes(view)) await store.command(`DROP VIEW ${store.t(view)}`);
  stores.push(store);
}

/** One insert body: `n` predictions over about n/10 ms, two versions, like a collector batch. */
function body(n: number, k: number, base: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const num: Record<string, number> = {};
    for (let f = 0; f < 20; f++) num[`f${f}`] = Math.sin(i + f + k) * 10 + f;
    lines.push(JSON.stringify({
      ts: new Date(base + k * 60_000 + i / 10).toISOString(), model: 'bench', version: i % 2 ? 'v2' : 'v1', prediction_id: `p${k}-${i}`,
      latency_ms: 1 + (i % 40), features_num: num, features_cat: { color: ['red', 'green', 'blue'][i % 3], country: ['DE', 'FR', 'US', 'JP'][i % 4], tier: i % 7 ? 'std' : 'gold' },
      features_null: [],
    }));
  }
  return Buffer.from(lines.join('\n') + '\n');
}

console.log(`${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${ROUNDS} rounds`);
const base = Date.now() - 6 * 3600_000;
for (const n of SIZES) {
  const bodies = Array.from({ length: 4 }, (_, k) => body(n, k, base));
  const times = stores.map((): number[] => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let j = 0; j < stores.length; j++) {
      const i = (r + j) % stores.length;
      const t = performance.now();
      await stores[i].insertRaw('predictions', bodies[r % bodies.length]);
      times[i].push(performance.now() - t);
    }
  }
  const full = median(times[0]);
  console.log(`\n${n.toLocaleString('en-US')}-row inserts`);
  console.log('| schema | ms per insert (median) | µs per row | vs full schema |');
  console.log('|---|---|---|---|');
  variants.forEach((v, i) => {
    const m = median(times[i]);
    console.log(`| ${v.label} | ${m.toFixed(1)} | ${((m * 1000) / n).toFixed(2)} | ${(m / full).toFixed(3)} |`);
  });
}
for (const s of stores) await s.close();
// The engine may still be finishing background merges: a leftover temp directory is not an error.
fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
