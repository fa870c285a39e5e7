/**
 * Drift over many days of rollups (`drift.bench.ts --days N`): N days x 20 numeric features at
 * `--rows-per-day` predictions a day (default 1,000,000), drift of the last day against the N - 1
 * days before it, once through the minute, hour and day levels (the default) and once from minute
 * states only (`coarsest: 'minute'`), in the same run on the same data.
 *
 * The minute rollups are generated inside ClickHouse, one day per INSERT: for every minute and
 * feature the -State combinators digest that minute's generated values (count, sum, sum of squares,
 * min, max, t-digest), exactly what feature_num_1m_mv would write for the same predictions. The
 * hour and day levels are then built from those inserts by their materialized views, as in
 * production; no raw prediction row is written. latency_1m gets its minute rows the same way (the
 * profile's row count comes from it).
 *
 * The last day is shifted for four features: f0 by 0.5 std, f1 scaled by 1.5, f2 by 0.2 std (all
 * three drift by the default Wasserstein rule, threshold 0.1) and f3 by 0.03 std (no drift).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore } from '../storage/client.ts';
import { migrate } from '../storage/migrate.ts';
import { LEVEL_MS, LEVELS, planLevels, type Level } from '../storage/levels.ts';
import { compareSources } from '../analyzer/drift/compute.ts';
import { readProfile } from '../analyzer/drift/profile.ts';
import type { Source } from '../analyzer/drift/source.ts';
import { ksFromSummaries } from '../analyzer/drift/sketch.ts';
import type { DriftReport } from '../analyzer/drift/types.ts';
import { heapSampler, median } from './args.ts';

const DAY = LEVEL_MS.day;
const FEATURES = 20;
/** Last-day shift per feature, in units of the feature's std, and scale of its spread. */
const SHIFT = Array.from({ length: FEATURES }, (_, f) => [0.5, 0, 0.2, 0.03][f] ?? 0);
const SCALE = Array.from({ length: FEATURES }, (_, f) => (f === 1 ? 1.5 : 1));
const NO_SHIFT = SHIFT.map(() => 0);
const NO_SCALE = SCALE.map(() => 1);

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const secs = (ms: number) => (ms / 1000).toFixed(2);
const mib = (b: number) => (b / 2 ** 20).toFixed(1);

/** States per feature that a window reads at each level (planLevels' ranges in buckets). */
function statesPerLevel(windows: { from: Date; to: Date }[], coarsest: Level): Record<Level, number> {
  const n: Record<Level, number> = { minute: 0, hour: 0, day: 0 };
  for (const w of windows) for (const r of planLevels(w.from, w.to, coarsest)) n[r.level] += (r.to - r.from) / LEVEL_MS[r.level];
  return n;
}

export async function driftOverDays(o: { days: number; runs: number; rowsPerDay: number }): Promise<void> {
  const perMinute = Math.ceil(o.rowsPerDay / 1440);
  const last = Math.floor(Date.now() / DAY) * DAY - DAY; // start of the last whole day (yesterday, UTC)
  const first = last - (o.days - 1) * DAY;
  const ref = { from: new Date(first), to: new Date(last) };
  const cur = { from: new Date(last), to: new Date(last + DAY) };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-drift-days-'));
  const store = await createStore({ dataDir: path.join(dir, 'data') });
  await migrate(store);

  const heap = heapSampler();

  console.log(`${os.cpus().length} CPUs, load average ${load()}`);
  console.log(`seeding ${o.days} days x ${FEATURES} features of minute rollups, ${(perMinute * 1440).toLocaleString()} predictions a day (${perMinute} a minute), generated inside ClickHouse; hour and day levels by their views ...`);
  const t0 = performance.now();
  const perDay: number[] = [];
  for (let d = 0; d < o.days; d++) {
    const day = first + d * DAY;
    const shifted = day === last;
    const td = performance.now();
    // Row `number` is value number intDiv(number, FEATURES) % perMinute of minute intDiv(number, FEATURES * perMinute), feature number % FEATURES.
    await store.command(
      `INSERT INTO ${store.t('feature_num_1m')} (model, version, feature, minute, count, sum, sum_sq, min, max, digest)
       SELECT 'bench', 'v1', concat('f', toString(f)), toDateTime({day:UInt32} + m * 60, 'UTC'),
              count(), sum(v), sum(v * v), min(v), max(v), quantilesTDigestState(0.5)(v)
       FROM (SELECT number % ${FEATURES} AS f, intDiv(number, ${FEATURES * perMinute}) AS m,
                    f + (1 + f / 10) * ({shift:Array(Float64)}[f + 1] + {scale:Array(Float64)}[f + 1] * randNormal(0, 1, number)) AS v
             FROM numbers({n:UInt64}))
       GROUP BY f, m`,
      { day: day / 1000, n: 1440 * FEATURES * perMinute, shift: shifted ? SHIFT : NO_SHIFT, scale: shifted ? SCALE : NO_SCALE },
    );
    await store.command(
      `INSERT INTO ${store.t('latency_1m')} (model, version, minute, predictions, errors, with_latency, latency_sum, latency_max, latency_sketch)
       SELECT 'bench', 'v1', toDateTime({day:UInt32} + m * 60, 'UTC'), count(), toUInt64(0), count(), sum(l), max(l), quantilesDDState(0.01, 0.5)(l)
       FROM (SELECT intDiv(number, ${perMinute}) AS m, 5 + randExponential(0.2, number) AS l FROM numbers({n:UInt64}))
       GROUP BY m`,
      { day: day / 1000, n: 1440 * perMinute },
    );
    perDay.push(performance.now() - td);
  }
  const seeded = performance.now() - t0;
  const t1 = performance.now();
  for (const table of ['feature_num_1m', 'feature_num_1h', 'feature_num_1d', 'latency_1m', 'latency_1h', 'latency_1d']) {
    await store.command(`OPTIMIZE TABLE ${store.t(table)} FINAL`);
  }
  const optimized = performance.now() - t1;
  console.log(`seeded in ${secs(seeded)} s (${secs(median(perDay))} s a day, median), OPTIMIZE FINAL of the six tables ${secs(optimized)} s; load average ${load()}`);

  // What is stored per feature at each level, and what each path reads.
  const stored: Record<string, number> = {};
  for (const l of LEVELS) {
    const table = { minute: 'feature_num_1m', hour: 'feature_num_1h', day: 'feature_num_1d' }[l];
    const col = { minute: 'minute', hour: 'hour', day: 'day' }[l];
    const rows = await store.query<{ n: string }>(`SELECT count() AS n FROM ${store.t(table)} WHERE feature = 'f0' AND ${col} >= toDateTime({a:UInt32}, 'UTC') AND ${col} < toDateTime({b:UInt32}, 'UTC')`, { a: first / 1000, b: (last + DAY) / 1000 });
    stored[l] = Number(rows[0].n);
  }
  const totals = await store.query<{ n: string }>(`SELECT sum(predictions) AS n FROM ${store.t('latency_1d')}`);
  console.log(`stored per feature: ${stored.minute.toLocaleString()} minute, ${stored.hour.toLocaleString()} hour, ${stored.day} day states; ${Number(totals[0].n).toLocaleString()} predictions in latency_1d`);
  const plans = { levels: statesPerLevel([ref, cur], 'day'), minute: statesPerLevel([ref, cur], 'minute') };
  const describe = (n: Record<Level, number>) => LEVELS.filter((l) => n[l] > 0).map((l) => `${n[l].toLocaleString()} ${l}`).join(' + ');

  // Timing: the two paths alternate run by run, so that a change of load on the machine hits both alike.
  const paths = { levels: undefined, minute: 'minute' } as const;
  const timing: Record<keyof typeof paths, { s: number[]; cpu: number[]; peak: number; base: number; report?: DriftReport }> = {
    levels: { s: [], cpu: [], peak: 0, base: Infinity },
    minute: { s: [], cpu: [], peak: 0, base: Infinity },
  };
  const side = (window: { from: Date; to: Date }, coarsest?: Level): Source => ({ kind: 'rollup', model: 'bench', version: 'v1', window, coarsest });
  for (let r = 0; r < o.runs; r++) {
    for (const name of Object.keys(paths) as (keyof typeof paths)[]) {
      const m = timing[name];
      m.base = Math.min(m.base, heap.reset());
      const c0 = process.cpuUsage();
      const t = performance.now();
      m.report = await compareSources(store, side(ref, paths[name]), side(cur, paths[name]), {}, { prediction: false });
      m.s.push((performance.now() - t) / 1000);
      const c = process.cpuUsage(c0);
      m.cpu.push((c.user + c.system) / 1e6);
      m.peak = Math.max(m.peak, heap.peak());
    }
  }
  heap.stop();
  const lv = timing.levels;
  const mn = timing.minute;
  const drifted = (rep: DriftReport) => rep.columns.filter((c) => c.drift).map((c) => c.column).join(', ') || '(none)';
  console.log(`\ndrift of the last day against the ${o.days - 1} before it (${FEATURES} features, ${lv.report!.columns[0]?.method}, ${lv.report!.columns[0]?.path}; reference ${lv.report!.referenceRows.toLocaleString()} rows, current ${lv.report!.currentRows.toLocaleString()}), ${o.runs} runs each, load average ${load()}:`);
  console.log('| path | states read per feature | wall, median | runs | process CPU, median | Node heap before / peak | drifted |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, label, plan] of [['levels', 'levels (default)', plans.levels], ['minute', "minute states only (coarsest: 'minute')", plans.minute]] as const) {
    const m = timing[name];
    console.log(`| ${label} | ${describe(plan)} | **${median(m.s).toFixed(3)} s** | ${m.s.map((x) => x.toFixed(3)).join(' / ')} | ${median(m.cpu).toFixed(2)} s | ${mib(m.base)} / ${mib(m.peak)} MiB | ${m.report!.dataset.drifted}: ${drifted(m.report!)} |`);
  }
  console.log(`minute-only / levels: ${(median(mn.s) / median(lv.s)).toFixed(1)}x wall, ${(median(mn.cpu) / median(lv.cpu)).toFixed(1)}x CPU`);
  const same = drifted(lv.report!) === drifted(mn.report!);
  const statDiff = Math.max(...lv.report!.columns.map((c) => Math.abs(c.statistic - mn.report!.columns.find((x) => x.column === c.column)!.statistic)));
  console.log(`drifted columns: ${same ? 'the same on both paths' : 'DIFFERENT'}; max |statistic difference| between the paths ${statDiff.toExponential(2)}`);

  // The t-digests are merged in a different order on the two paths (minute -> hour -> day, or
  // 43,200 minute states at once): the KS of the two sides' sketches on each path, side by side.
  const [lr, lc, mr, mc] = await Promise.all([side(ref), side(cur), side(ref, 'minute'), side(cur, 'minute')].map((s) => readProfile(store, s, { prediction: false })));
  let worst = 0;
  const lines: string[] = [];
  for (let f = 0; f < FEATURES; f++) {
    const name = `f${f}`;
    const kl = ksFromSummaries(lr.numeric.get(name)!.summary, lc.numeric.get(name)!.summary);
    const km = ksFromSummaries(mr.numeric.get(name)!.summary, mc.numeric.get(name)!.summary);
    // The reference sketches of the two paths against each other: how far the merge order moves a 29-day digest.
    const kref = ksFromSummaries(lr.numeric.get(name)!.summary, mr.numeric.get(name)!.summary);
    worst = Math.max(worst, Math.abs(kl - km));
    lines.push(`${name} ${kl.toFixed(3)}/${km.toFixed(3)} (${kref.toFixed(3)})`);
  }
  console.log('KS of the last day against the reference per feature, levels / minute states only (in brackets: KS between the two paths\' reference sketches):');
  for (let i = 0; i < lines.length; i += 5) console.log(`  ${lines.slice(i, i + 5).join('  ')}`);
  console.log(`max |KS difference| between the paths: ${worst.toFixed(4)} (documented sketch bound 0.01)`);
  console.log(`targets: <= 1 s through the levels (${median(lv.s) <= 1 ? 'met' : 'MISSED'}); heap peak ${mib(lv.peak)} MiB through the levels, ${mib(mn.peak)} MiB from minute states`);

  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
