// Feature storage layout benchmark: the same predictions stored three ways in the same run, each
// measured on what modelwatch does with them: insert (JSONEachRow, the writer's path), bytes on disk,
// the drift profile query (per-feature quantiles for every feature over a window) and a one-feature
// distribution (a UI/Grafana panel).
//   map    - features_num Map(LowCardinality(String), Float64), one row per prediction (chosen)
//   arrays - parallel feature_names / feature_values arrays, one row per prediction
//   long   - one row per (prediction, feature)
// Usage: node bin/run-ts.mjs bench/layout.bench.ts [--rows N] [--features K] [--repeat R]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore, type Store } from '../storage/client.ts';
import { median, numArg } from './args.ts';

const ROWS = numArg('rows', 500_000);
const FEATURES = numArg('features', 20);
const REPEAT = numArg('repeat', 3);
const CHUNK = 50_000;
const NAMES = Array.from({ length: FEATURES }, (_, i) => `f${i}`);
const BASE = Date.now() - 6 * 3600_000;

interface Layout {
  name: string;
  ddl: string;
  lines(i: number, values: number[]): string[];
  profileSql(t: string): string;
  oneFeatureSql(t: string): string;
  /** The same table read another way (a second query shape on the same data). */
  alt?: { name: string; profileSql(t: string): string; oneFeatureSql(t: string): string };
}

const COMMON = "ts DateTime64(3, 'UTC'), model LowCardinality(String), version LowCardinality(String), prediction_id String";
const ts = (i: number) => BASE + Math.floor((i * 6 * 3600_000) / ROWS);
const qs = 'quantilesTDigest(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)';

const LAYOUTS: Layout[] = [
  {
    name: 'map',
    ddl: `(${COMMON}, features_num Map(LowCardinality(String), Float64)) ENGINE = MergeTree ORDER BY (model, version, ts)`,
    lines: (i, v) => [JSON.stringify({ ts: ts(i), model: 'm', version: 'v1', prediction_id: `p${i}`, features_num: Object.fromEntries(NAMES.map((n, k) => [n, v[k]])) })],
    // One pass, one aggregate per known feature: the map subcolumn is read once.
    profileSql: (t) => `SELECT ${NAMES.map((n) => `${qs}(features_num['${n}']) AS q_${n}`).join(', ')} FROM ${t} WHERE model = 'm'`,
    oneFeatureSql: (t) => `SELECT ${qs}(features_num['f3']) FROM ${t} WHERE model = 'm' AND mapContains(features_num, 'f3')`,
    // A Map is stored as parallel key and value arrays: reading those subcolumns is the arrays layout.
    alt: {
      name: 'map (keys/values subcolumns)',
      profileSql: (t) => `SELECT name, ${qs}(value) FROM ${t} ARRAY JOIN features_num.keys AS name, features_num.values AS value WHERE model = 'm' GROUP BY name`,
      oneFeatureSql: (t) => `SELECT ${qs}(features_num.values[indexOf(features_num.keys, 'f3')]) FROM ${t} WHERE model = 'm' AND has(features_num.keys, 'f3')`,
    },
  },
  {
    name: 'arrays',
    ddl: `(${COMMON}, feature_names Array(LowCardinality(String)), feature_values Array(Float64)) ENGINE = MergeTree ORDER BY (model, version, ts)`,
    lines: (i, v) => [JSON.stringify({ ts: ts(i), model: 'm', version: 'v1', prediction_id: `p${i}`, feature_names: NAMES, feature_values: v })],
    profileSql: (t) => `SELECT name, ${qs}(value) FROM ${t} ARRAY JOIN feature_names AS name, feature_values AS value WHERE model = 'm' GROUP BY name`,
    oneFeatureSql: (t) => `SELECT ${qs}(feature_values[indexOf(feature_names, 'f3')]) FROM ${t} WHERE model = 'm' AND has(feature_names, 'f3')`,
  },
  {
    name: 'long',
    ddl: `(${COMMON}, feature LowCardinality(String), value Float64) ENGINE = MergeTree ORDER BY (model, version, feature, ts)`,
    lines: (i, v) => NAMES.map((n, k) => JSON.stringify({ ts: ts(i), model: 'm', version: 'v1', prediction_id: `p${i}`, feature: n, value: v[k] })),
    profileSql: (t) => `SELECT feature, ${qs}(value) FROM ${t} WHERE model = 'm' GROUP BY feature`,
    oneFeatureSql: (t) => `SELECT ${qs}(value) FROM ${t} WHERE model = 'm' AND feature = 'f3'`,
  },
];

// Deterministic values so every layout stores the same numbers.
function values(i: number): number[] {
  return NAMES.map((_, k) => Math.round((Math.sin(i * 0.7 + k) * 10 + k + ((i * 7919 + k * 104729) % 1000) / 100) * 1e4) / 1e4);
}


async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function run(store: Store, layout: Layout) {
  const table = `${store.database}.layout_${layout.name}`;
  // Encode first: the figure is ClickHouse's cost of the layout, not JSON encoding in Node.
  const chunks: Buffer[] = [];
  let jsonBytes = 0;
  for (let start = 0; start < ROWS; start += CHUNK) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(ROWS, start + CHUNK); i++) lines.push(...layout.lines(i, values(i)));
    const buf = Buffer.from(lines.join('\n') + '\n');
    jsonBytes += buf.length;
    chunks.push(buf);
  }
  const inserts: number[] = [];
  for (let r = 0; r < REPEAT; r++) {
    await store.command(`DROP TABLE IF EXISTS ${table}`);
    await store.command(`CREATE TABLE ${table} ${layout.ddl}`);
    inserts.push(await timeIt(async () => {
      for (const c of chunks) await store.insertRaw(`layout_${layout.name}`, c);
    }));
  }
  await store.command(`OPTIMIZE TABLE ${table} FINAL`);
  const [disk] = await store.query<{ bytes: number; rows: number }>(
    `SELECT sum(data_compressed_bytes) AS bytes, sum(rows) AS rows FROM system.parts WHERE database = {db:String} AND table = {t:String} AND active`,
    { db: store.database, t: `layout_${layout.name}` },
  );
  const reads = async (q: { profileSql(t: string): string; oneFeatureSql(t: string): string }) => {
    const profile: number[] = [];
    const one: number[] = [];
    for (let r = 0; r < REPEAT; r++) {
      profile.push(await timeIt(() => store.query(q.profileSql(table))));
      one.push(await timeIt(() => store.query(q.oneFeatureSql(table))));
    }
    return { profileS: median(profile), oneS: median(one) };
  };
  const base = { insertS: median(inserts), jsonMiB: jsonBytes / 2 ** 20, diskBytes: Number(disk.bytes), tableRows: Number(disk.rows) };
  const out = [{ name: layout.name, ...base, ...(await reads(layout)) }];
  if (layout.alt) out.push({ name: layout.alt.name, ...base, ...(await reads(layout.alt)) });
  return out;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-layout-'));
const store = await createStore({ dataDir, database: 'layout_bench' });
await store.command('CREATE DATABASE IF NOT EXISTS layout_bench');
process.stderr.write(`layout bench: ${ROWS} predictions x ${FEATURES} numeric features, median of ${REPEAT}; cores: ${os.cpus().length}, load avg ${os.loadavg()[0].toFixed(1)}\n`);
const results = [];
for (const l of LAYOUTS) {
  process.stderr.write(`  ${l.name}...\n`);
  results.push(...(await run(store, l)));
}
await store.close();
fs.rmSync(dataDir, { recursive: true, force: true });

const ref = results[0];
const pad = (s: string, n: number) => s.padEnd(n);
const W = 30;
console.log(`\n${pad('layout', W)} ${pad('insert s (pred/s)', 24)} ${pad('vs map', 7)} ${pad('bytes/pred on disk', 19)} ${pad('profile s', 10)} ${pad('vs map', 7)} ${pad('one feature s', 14)} vs map`);
for (const r of results) {
  console.log(
    `${pad(r.name, W)} ${pad(`${r.insertS.toFixed(2)} (${Math.round(ROWS / r.insertS)})`, 24)} ${pad((r.insertS / ref.insertS).toFixed(2), 7)} ${pad((r.diskBytes / ROWS).toFixed(1), 19)} ${pad(r.profileS.toFixed(3), 10)} ${pad((r.profileS / ref.profileS).toFixed(2), 7)} ${pad(r.oneS.toFixed(3), 14)} ${(r.oneS / ref.oneS).toFixed(2)}`,
  );
}
const firsts = results.filter((r) => !r.name.includes(' '));
console.log(`(JSON sent: ${firsts.map((r) => `${r.name} ${r.jsonMiB.toFixed(0)} MiB`).join(', ')}; table rows: ${firsts.map((r) => `${r.name} ${r.tableRows}`).join(', ')})`);
