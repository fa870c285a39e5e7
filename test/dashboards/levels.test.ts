/**
 * Rollup panels read each bucket from the coarsest level that holds it whole: over a range that
 * starts and ends mid-day, their totals equal the minute table's over the same range, and stay so
 * once the minutes inside the whole hours and days are gone (as when minutes expire), which shows
 * those stretches really come from the hour and day levels. Time series use no level coarser than
 * their interval: an hourly series still answers without those minutes, a 5-minute one does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../storage/client.ts';
import { LEVEL_MS, LEVEL_TABLE, planLevels } from '../../storage/levels.ts';
import { levelForStep } from '../../storage/levels-read.ts';
import { generateDashboards } from '../../dashboards/grafana/generate.ts';
import { SERIES_COARSEST } from '../../dashboards/grafana/levels-sql.ts';
import { createTestStore } from '../helpers/store.ts';
import { ts } from '../analyzer/seed.ts';
import { interpolateQuery, type VarState } from './grafana-interpolate.ts';
import { queriesOf } from './panels.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const dashboards = generateDashboards();

let store: Store;
let cleanup: () => Promise<void>;
/** Midnight UTC three days ago: traffic runs from 07:13 that day to an hour ago. */
const base = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
/** A range starting and ending mid-day, mid-hour and mid-minute, with one whole day inside. */
const range = { from: new Date(base + 15 * HOUR + 22 * MINUTE + 37_000), to: new Date(base + 2 * DAY + 9 * HOUR + 41 * MINUTE + 13_000) };
/** The minutes the plugin's range covers ($__fromTime / $__toTime are whole seconds, buckets start within them). */
const minutes = { from: Math.ceil(range.from.getTime() / MINUTE) * MINUTE, to: Math.ceil(range.to.getTime() / MINUTE) * MINUTE };

const sqlTime = (ms: number) => `toDateTime(${ms / 1000}, 'UTC')`;
const inRange = `minute >= ${sqlTime(minutes.from)} AND minute < ${sqlTime(minutes.to)}`;

async function seed(): Promise<void> {
  const predictions: Record<string, unknown>[] = [];
  const gpu: Record<string, unknown>[] = [];
  let i = 0;
  for (let t = base + 7 * HOUR + 13 * MINUTE; t < Date.now() - HOUR; t += 5 * MINUTE, i++) {
    for (const [version, n] of [['v1', (i % 3) + 1], ['v2', i % 2]] as const) {
      for (let k = 0; k < n; k++) {
        predictions.push({
          ts: ts(t + k * 7_000), model: 'fraud', version, environment: 'prod', service: 'fraud-svc', host: 'node-a',
          prediction_id: `${version}-${t}-${k}`, prediction_value: null, prediction_label: '1', score: 0.5,
          latency_ms: 10 + (i % 17), error_type: i % 11 === 0 ? 'Timeout' : '', features_num: { amount: 100 + (i % 23) }, features_cat: { country: 'de' },
          features_null: [], attributes: {}, trace_id: '', span_id: '',
        });
      }
    }
    gpu.push({ ts: ts(t), host: 'node-a', gpu_id: 'g0', gpu_name: 'NVIDIA H100', service: 'dcgm', metric: 'hw.gpu.utilization', value: 0.1 + (i % 7) / 10, attributes: {} });
  }
  await store.insert('predictions', predictions);
  await store.insert('gpu_samples', gpu);
}

const ALL: VarState = { value: ['$__all'] };
function query(dashboard: string, title: string, kind: string, intervalMs = MINUTE): () => Promise<Record<string, unknown>[]> {
  const q = queriesOf(dashboard, dashboards[dashboard]).find((x) => x.where === `${title} [A]` && x.kind === kind)!;
  const vars: Record<string, VarState> = {
    database: { value: store.database },
    model: { ...ALL, options: ['fraud'] }, version: { ...ALL, options: ['v1', 'v2'] }, environment: { ...ALL, options: ['prod'] },
  };
  return () => store.query(interpolateQuery(q.target.rawSql, { ...range, intervalMs, vars }));
}

/** The minute table's answer for a series: predictions per bucket of `step` seconds and version, over the range. */
async function minuteSeries(step: number): Promise<Record<string, number>> {
  const rows = await store.query<{ time: string; model_version: string; n: number }>(
    `SELECT toStartOfInterval(minute, INTERVAL ${step} second) AS time, concat(model, ' ', version) AS model_version, sum(predictions) AS n
     FROM ${store.t('latency_1m')} WHERE ${inRange} GROUP BY time, model_version`,
  );
  return Object.fromEntries(rows.map((r) => [`${r.time} ${r.model_version}`, Number(r.n)]));
}

/** A throughput panel's answer in predictions per bucket (it shows predictions per second). */
async function panelSeries(step: number): Promise<Record<string, number>> {
  const rows = await query('model-overview', 'Throughput by version', 'timeseries', step * 1000)();
  return Object.fromEntries(rows.map((r) => [`${String(r.time)} ${String(r.model_version)}`, Math.round(Number(r.predictions_per_s) * step)]));
}

/** What the minute table says, before any minutes are removed. */
let expected: { predictions: number; byVersion: Record<string, number>; utilization: number; series: Record<number, Record<string, number>> };
const STEPS = [300, 3600, 7200, 86_400];

beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
  await seed();
  const [p] = await store.query<{ n: number }>(`SELECT sum(predictions) AS n FROM ${store.t('latency_1m')} WHERE ${inRange}`);
  const versions = await store.query<{ version: string; n: number }>(`SELECT version, sum(predictions) AS n FROM ${store.t('latency_1m')} WHERE ${inRange} GROUP BY version`);
  const [u] = await store.query<{ u: number }>(`SELECT sum(sum) / sum(samples) AS u FROM ${store.t('gpu_1m')} WHERE metric = 'hw.gpu.utilization' AND ${inRange}`);
  const series: Record<number, Record<string, number>> = {};
  for (const step of STEPS) series[step] = await minuteSeries(step);
  expected = { predictions: Number(p.n), byVersion: Object.fromEntries(versions.map((v) => [v.version, Number(v.n)])), utilization: Number(u.u), series };
});

afterAll(async () => {
  await cleanup?.();
});

describe('rollup panels over a range with whole days and hours inside', () => {
  it('the range is planned over all three levels', () => {
    expect(new Set(planLevels(range.from, range.to).map((r) => r.level))).toEqual(new Set(['minute', 'hour', 'day']));
    expect(expected.predictions).toBeGreaterThan(1000);
  });

  const check = async (steps: number[]) => {
    const [stat] = await query('model-overview', 'Predictions', 'stat')();
    expect(Number(stat.predictions)).toBe(expected.predictions);
    const table = await query('model-overview', 'Model versions', 'table')();
    expect(Object.fromEntries(table.map((r) => [r.version, Number(r.predictions)]))).toEqual(expected.byVersion);
    const [gpu] = await query('gpu', 'Mean utilization', 'stat')();
    expect(Number(gpu.utilization)).toBeCloseTo(expected.utilization, 9);
    for (const step of steps) expect(await panelSeries(step), `interval ${step}s`).toEqual(expected.series[step]);
  };

  it('return the minute table\'s totals, whole stats and series at 5 min, 1 h, 2 h and 1 d intervals', () => check(STEPS));

  it('still do once the minutes inside the whole hours and days are gone: those come from the hour and day levels', async () => {
    for (const r of planLevels(range.from, range.to)) {
      if (r.level === 'minute') continue;
      for (const table of ['latency_1m', 'gpu_1m']) {
        await store.command(`ALTER TABLE ${store.t(table)} DELETE WHERE minute >= ${sqlTime(r.from)} AND minute < ${sqlTime(r.to)}`, undefined, { mutations_sync: '2' } as never);
      }
    }
    const [left] = await store.query<{ n: number }>(`SELECT sum(predictions) AS n FROM ${store.t('latency_1m')} WHERE ${inRange}`);
    expect(Number(left.n)).toBeLessThan(expected.predictions / 2);
    // Series with hourly or daily points read the coarser levels; a 5-minute series can only read minutes.
    await check(STEPS.filter((s) => s % 3600 === 0));
    expect(await panelSeries(300)).not.toEqual(expected.series[300]);
  });
});

describe('series intervals', () => {
  it('allow the same coarsest level as the API for a step ($__interval_s: the coarsest level dividing it)', async () => {
    const steps = [60, 300, 840, 1800, 3600, 5400, 7200, 10_800, 21_600, 43_200, 86_400, 604_800, 2_592_000];
    const sql = steps.map((s) => `${SERIES_COARSEST.replaceAll('$__interval_s', String(s))} AS s${s}`).join(', ');
    const [row] = await store.query<Record<string, number>>(`SELECT ${sql}`);
    expect(steps.map((s) => Number(row[`s${s}`]))).toEqual(steps.map((s) => LEVEL_MS[levelForStep(s)] / 1000));
  });

  it('the level tables are the ones the panels union', () => {
    const raw = JSON.stringify(dashboards);
    for (const level of ['1m', '1h', '1d']) expect(raw).toContain(`\${database}.latency_${level}`);
    expect(Object.values(LEVEL_TABLE).map((l) => l.column)).toEqual(['minute', 'hour', 'day']);
  });
});
