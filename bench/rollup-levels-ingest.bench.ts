/**
 * What the hour and day rollup levels cost on ingest: the same pre-encoded JSONEachRow inserts of
 * predictions (20 numeric + 3 categorical features) into two databases of one embedded engine, one
 * with the full schema and one without the hour and day views, alternating (the order swapped every
 * round so neither always goes first), at two insert sizes. Prints the median insert time of each
 * and the ratio; both run in the same process on the same machine state.
 *
 *   node bin/run-ts.mjs bench/rollup-levels-ingest.bench.ts [--rounds 30] [--sizes 10000,50000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore, type Store } from '../storage/client.ts';
import { migrate } from '../storage/migrate.ts';
import { LEVELS, ROLLUP_SIGNALS } from '../storage/levels.ts';
import { arg, median, numArg } from './args.ts';

const ROUNDS = numArg('rounds', 30);
const SIZES = arg('sizes', '10000,50000').split(',').map(Number);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-levels-'));
const withLevels = await createStore({ dataDir: dir, database: 'with_levels' });
await migrate(withLevels);
const minuteOnly = await createStore({ dataDir: dir, database: 'minute_only' });
await migrate(minuteOnly);
// The schema before the levels: no view reads the minute tables.
for (const signal of ROLLUP_SIGNALS) for (const level of LEVELS.slice(1)) await minuteOnly.command(`DROP VIEW ${minuteOnly.t(`${signal}_${level === 'hour' ? '1h' : '1d'}_mv`)}`);

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

console.log(`${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('| insert size | with hour and day views, ms (median) | minute views only, ms | ratio | extra µs per row |');
console.log('|---|---|---|---|---|');
const base = Date.now() - 6 * 3600_000;
for (const n of SIZES) {
  const bodies = Array.from({ length: 4 }, (_, k) => body(n, k, base));
  const times = new Map<Store, number[]>([[withLevels, []], [minuteOnly, []]]);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [withLevels, minuteOnly] : [minuteOnly, withLevels];
    for (const store of order) {
      const t = performance.now();
      await store.insertRaw('predictions', bodies[r % bodies.length]);
      times.get(store)!.push(performance.now() - t);
    }
  }
  const a = median(times.get(withLevels)!);
  const b = median(times.get(minuteOnly)!);
  console.log(`| ${n.toLocaleString('en-US')} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(a / b).toFixed(3)} | ${(((a - b) * 1000) / n).toFixed(2)} |`);
}
await withLevels.close();
await minuteOnly.close();
// The engine may still be finishing background merges: a leftover temp directory is not an error.
fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
