/**
 * Every dashboard query (panels, variables, annotations) runs against the real schema with seeded data,
 * after Grafana's and the plugin's interpolation, with the variables at All, at single values and at
 * several values; each returns rows shaped for its panel type, and filters really filter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../storage/client.ts';
import { createTestStore } from '../helpers/store.ts';
import { generateDashboards } from '../../dashboards/grafana/generate.ts';
import { interpolateQuery, type QueryContext, type VarState } from './grafana-interpolate.ts';
import { checkResult, queriesOf, type QueryRef, type Result } from './panels.ts';
import { seedDashboardData } from './seed.ts';

let store: Store;
let cleanup: () => Promise<void>;
const now = Date.now();
const range = { from: new Date(now - 6 * 3600_000), to: new Date(now) };
const dashboards = generateDashboards();

async function run(sql: string): Promise<Result> {
  const rs = await store.client.query({ query: sql, format: 'JSON' });
  return (await rs.json()) as unknown as Result;
}

function context(vars: Record<string, VarState>, intervalMs = 60_000): QueryContext {
  return { ...range, intervalMs, vars: { database: { value: store.database }, ...vars } };
}

/** Runs one query in a context; returns the SQL sent and the result. */
async function execute(q: QueryRef, ctx: QueryContext): Promise<{ sql: string; result: Result }> {
  const sql = interpolateQuery(q.target.rawSql, ctx);
  expect(sql, `${q.dashboard} / ${q.where}: left uninterpolated`).not.toMatch(/\$\w|\$\{|\[\[/);
  try {
    return { sql, result: await run(sql) };
  } catch (e) {
    throw new Error(`${q.dashboard} / ${q.where} failed: ${(e as Error).message}\n--- SQL ---\n${sql}`, { cause: e });
  }
}

const ALL: VarState = { value: ['$__all'] };
let scenarios: Record<string, Record<string, VarState>>;

beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
  await seedDashboardData(store, now);
  // Options of the multi-value variables, from their own queries at All (as Grafana loads them).
  const overview = dashboards['model-overview'];
  const optionsOf = async (name: string, vars: Record<string, VarState>): Promise<string[]> => {
    const v = queriesOf('model-overview', overview).find((q) => q.where === `variable ${name}`)!;
    const { result } = await execute(v, context(vars));
    return result.data.map((row) => String(Object.values(row)[0]));
  };
  const model = { ...ALL, options: await optionsOf('model', {}) };
  const version = { ...ALL, options: await optionsOf('version', { model }) };
  const environment = { ...ALL, options: await optionsOf('environment', { model, version }) };
  scenarios = {
    all: { model, version, environment, feature: { value: 'amount' } },
    single: { model: { value: 'fraud' }, version: { value: 'v1' }, environment: { value: 'prod' }, feature: { value: 'amount' } },
    multi: { model: { value: ['fraud', 'churn'] }, version: { value: ['v1', 'v2'] }, environment: { value: ['prod', 'staging'] }, feature: { value: 'age' } },
  };
});

afterAll(async () => {
  await cleanup?.();
});

it('loads the variable options from the seeded predictions', () => {
  expect(scenarios.all.model.options).toEqual(['churn', 'fraud']);
  expect(scenarios.all.version.options).toEqual(['v1', 'v2']);
  expect(scenarios.all.environment.options).toEqual(['prod', 'staging']);
});

/** In the single scenario (fraud v1 in prod, served by node-a), every result stays inside the selection. */
function checkSingleSelection(q: QueryRef, r: Result): string[] {
  const problems: string[] = [];
  const names = new Set(r.meta.map((c) => c.name));
  for (const row of r.data) {
    if (names.has('model') && !['fraud', ''].includes(String(row.model))) problems.push(`model ${String(row.model)}`);
    if (names.has('version') && !['v1', ''].includes(String(row.version))) problems.push(`version ${String(row.version)}`);
    if (names.has('model_version') && row.model_version !== 'fraud v1') problems.push(`model_version ${String(row.model_version)}`);
    if (names.has('environment') && row.environment !== 'prod') problems.push(`environment ${String(row.environment)}`);
    if (names.has('gpu') && row.gpu !== '' && !String(row.gpu).startsWith('node-a/')) problems.push(`gpu ${String(row.gpu)}`);
  }
  return [...new Set(problems)].map((p) => `${q.where}: ${p} outside the selection`);
}

for (const [name, d] of Object.entries(dashboards)) {
  describe(`dashboard ${name}`, () => {
    for (const q of queriesOf(name, d)) {
      it(`${q.where} runs and returns what a ${q.kind} panel needs`, async () => {
        for (const [scenario, vars] of Object.entries(scenarios)) {
          for (const intervalMs of q.panel?.interval ? [60_000, 300_000] : [60_000]) {
            const { sql, result } = await execute(q, context(vars, intervalMs));
            const problems = checkResult(q, result);
            // Variable queries list choices (a version's other environments are valid choices), not selections.
            if (scenario === 'single' && q.kind !== 'variable') problems.push(...checkSingleSelection(q, result));
            expect(problems, `${scenario}, interval ${intervalMs / 1000}s\n${sql}`).toEqual([]);
          }
        }
      });
    }
  });
}

it('the distribution panel compares categorical features too (category shares summing to 1)', async () => {
  const q = queriesOf('drift', dashboards.drift).find((x) => x.kind === 'barchart')!;
  const { result } = await execute(q, context({ ...scenarios.all, feature: { value: 'country' } }));
  expect(checkResult(q, result)).toEqual([]);
  const buckets = result.data.map((r) => r.bucket);
  expect(buckets).toEqual(expect.arrayContaining(['de', 'fr', 'us', 'br']));
  const sum = (k: string) => result.data.reduce((s, r) => s + Number(r[k]), 0);
  expect(sum('reference')).toBeCloseTo(1, 6);
  expect(sum('current')).toBeCloseTo(1, 6);
  // 'br' appears only in the current window (the seeded drift).
  expect(Number(result.data.find((r) => r.bucket === 'br')!.reference)).toBe(0);
});

it('the numeric distribution shows the seeded shift of amount (current median above the reference one)', async () => {
  const q = queriesOf('drift', dashboards.drift).find((x) => x.kind === 'barchart')!;
  const { result } = await execute(q, context(scenarios.all));
  const p50 = result.data.find((r) => r.bucket === 'p50')!;
  expect(Number(p50.current) - Number(p50.reference)).toBeGreaterThan(10);
});

it('idle GPUs: the analyzer-marked idle GPU is counted and listed first', async () => {
  const gpu = queriesOf('gpu', dashboards.gpu);
  const stat = gpu.find((q) => q.where.startsWith('Idle GPUs'))!;
  const table = gpu.find((q) => q.where.startsWith('GPUs, latest analyzer window'))!;
  expect(Number((await execute(stat, context(scenarios.all))).result.data[0].idle_gpus)).toBe(1);
  const rows = (await execute(table, context(scenarios.all))).result.data;
  expect(rows.map((r) => [r.gpu, Number(r.idle)])).toEqual([['node-a/g1', 1], ['node-a/g0', 0], ['node-b/g0', 0]]);
});

it('alerts: firing now counts live alerting series only (not pending, inactive or deleted ones)', async () => {
  const alerts = queriesOf('alerts', dashboards.alerts);
  const firing = alerts.find((q) => q.where.startsWith('Firing now'))!;
  const table = alerts.find((q) => q.where.startsWith('Firing and pending'))!;
  expect(Number((await execute(firing, context(scenarios.all))).result.data[0].firing)).toBe(2);
  const rows = (await execute(table, context(scenarios.all))).result.data;
  expect(rows.map((r) => [r.rule, r.state])).toEqual([['HighP99Latency', 'firing'], ['GpuIdle', 'firing'], ['FeatureDrift', 'pending']]);
  // fraud selected: the churn alert goes, the GPU alert (no model label) stays.
  const fraud = (await execute(table, context(scenarios.single))).result.data;
  expect(fraud.map((r) => r.rule)).toEqual(['HighP99Latency', 'GpuIdle']);
});

it('throughput from the rollup matches the seeded traffic', async () => {
  const q = queriesOf('model-overview', dashboards['model-overview']).find((x) => x.where.startsWith('Predictions'))!;
  const { result } = await execute(q, context(scenarios.single));
  // fraud v1 served prod (and staging): the rollups carry no environment, so the prod selection keeps the
  // version and counts all its traffic, two predictions a minute per environment, over the 6 hours of the range.
  expect(Number(result.data[0].predictions)).toBeGreaterThan(4 * 355);
  expect(Number(result.data[0].predictions)).toBeLessThanOrEqual(4 * 361);
});
