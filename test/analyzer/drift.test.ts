import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { createTestStore } from '../helpers/store.ts';
import type { Store } from '../../storage/client.ts';
import { runDrift, computeDrift, DATASET_SUBJECT } from '../../analyzer/drift/job.ts';
import { readProfile } from '../../analyzer/drift/profile.ts';
import { ksExactSorted, ksFromSummaries } from '../../analyzer/drift/sketch.ts';
import { writeResults, readResults } from '../../analyzer/results.ts';
import { analyzerRoutes } from '../../analyzer/api.ts';
import { HOUR, T0, normal, predictionRow, prng } from './seed.ts';

const FEATURES = Array.from({ length: 20 }, (_, i) => `f${i}`);
const SHIFTED = new Set(['f3', 'f7', 'f11']);
const N = 3000;
const cur = { from: new Date(T0 + HOUR), to: new Date(T0 + 2 * HOUR) };

let store: Store;
let cleanup: () => Promise<void>;
const values = new Map<string, { ref: number[]; cur: number[] }>();

beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
  const rand = prng(42);
  const z = normal(rand);
  const rows: Record<string, unknown>[] = [];
  for (const f of FEATURES) values.set(f, { ref: [], cur: [] });
  for (const side of ['ref', 'cur'] as const) {
    for (let i = 0; i < N; i++) {
      const ms = T0 + (side === 'cur' ? HOUR : 0) + Math.floor((i / N) * HOUR);
      const num: Record<string, number> = {};
      const nulls: string[] = [];
      FEATURES.forEach((f, k) => {
        // f15's null rate jumps from 0 to 30% in the current window; its values keep their distribution.
        if (f === 'f15' && side === 'cur' && rand() < 0.3) { nulls.push(f); return; }
        const sd = 1 + k / 10;
        const v = k + sd * (z() + (side === 'cur' && SHIFTED.has(f) ? 0.2 : 0));
        num[f] = v;
        values.get(f)![side].push(v);
      });
      const r = rand();
      const color = side === 'cur' && r < 0.15 ? 'purple' : r < 0.5 ? 'red' : r < 0.8 ? 'green' : 'blue';
      rows.push(predictionRow({ ms, num, cat: { color, region: rand() < 0.5 ? 'eu' : 'us' }, nulls, value: z(), latency: 5 + rand() * 10 }));
    }
  }
  await store.insert('predictions', rows);
});

afterAll(async () => {
  await cleanup?.();
});

describe('drift from rollups', () => {
  it('finds exactly the injected drift: shifted features, the new category and the null-rate jump', async () => {
    const job = { model: 'm', version: 'v1', window: cur, reference: { kind: 'previous' as const } };
    const rows = await runDrift(store, job);
    const drifted = rows.filter((r) => r.metric === 'drift' && r.status === 'drift').map((r) => r.subject).sort();
    expect(drifted).toEqual(['color', 'f11', 'f3', 'f7']);
    for (const r of rows.filter((x) => x.metric === 'drift' && x.subject.startsWith('f'))) expect(r.method).toBe('wasserstein');
    const nullDrift = rows.filter((r) => r.metric === 'null_rate' && r.status === 'drift').map((r) => r.subject);
    expect(nullDrift).toEqual(['f15']);
    const f15 = rows.find((r) => r.metric === 'null_rate' && r.subject === 'f15')!;
    expect(f15.value).toBeGreaterThan(0.25);
    const unseen = rows.filter((r) => r.metric === 'unseen_categories' && r.value > 0);
    expect(unseen.map((r) => r.subject)).toEqual(['color']);
    expect(unseen[0].details.categories).toEqual(['purple']);
    const ds = rows.find((r) => r.subject === DATASET_SUBJECT)!;
    expect(ds.metric).toBe('drift_share');
    expect(ds.details.drifted).toBe(4);
    expect(ds.value).toBeCloseTo(4 / 22, 10);
    expect(ds.status).toBe('ok');
    expect(rows.some((r) => r.subject === '__prediction__' && r.metric === 'drift')).toBe(true);

    await writeResults(store, rows);
    const back = await readResults(store, { analyzer: 'drift', model: 'm', window: cur });
    expect(back.length).toBe(rows.length);
  });

  it('sketch KS is within 0.01 of the exact KS on the same data', async () => {
    const ref = await readProfile(store, { kind: 'rollup', model: 'm', version: 'v1', window: { from: new Date(T0), to: cur.from } });
    const now = await readProfile(store, { kind: 'rollup', model: 'm', version: 'v1', window: cur });
    let worst = 0;
    for (const f of FEATURES) {
      const v = values.get(f)!;
      const exact = ksExactSorted([...v.ref].sort((a, b) => a - b), [...v.cur].sort((a, b) => a - b));
      const sketch = ksFromSummaries(ref.numeric.get(f)!.summary, now.numeric.get(f)!.summary);
      worst = Math.max(worst, Math.abs(exact - sketch));
    }
    expect(worst).toBeLessThanOrEqual(0.01);
  });

  it('uses exact small-sample tests (ks, chisquare) on a segment of <= 1000 rows', async () => {
    // Segment: region=eu (about 1,500 rows per side), forced to the raw path; half it with a second segment filter.
    const rep = await computeDrift(store, { model: 'm', version: 'v1', window: { from: cur.from, to: new Date(cur.from.getTime() + HOUR / 4) }, reference: { kind: 'range', window: { from: new Date(T0), to: new Date(T0 + HOUR / 4) } }, segment: { feature: 'region', value: 'eu' } });
    const f3 = rep.columns.find((c) => c.column === 'f3')!;
    expect(f3.method).toBe('ks');
    expect(f3.path).toBe('exact');
    expect(f3.p_value).not.toBeNull();
    const color = rep.columns.find((c) => c.column === 'color')!;
    expect(color.method).toBe('chisquare');
    expect(color.unseen).toEqual(['purple']);
  });

  it('serves drift over HTTP and rejects bad input with 400', async () => {
    const app = Fastify();
    await app.register(analyzerRoutes, { store });
    const ok = await app.inject({ method: 'GET', url: `/api/v1/models/m/drift?from=${cur.from.toISOString()}&to=${cur.to.toISOString()}` });
    expect(ok.statusCode, ok.body).toBe(200);
    const body = ok.json();
    expect(body.source).toBe('stored');
    expect(body.results.filter((r: any) => r.metric === 'drift' && r.status === 'drift').length).toBe(4);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/models/m/drift?from=yesterday&to=now' });
    expect(bad.statusCode).toBe(400);
    const badRef = await app.inject({ method: 'GET', url: `/api/v1/models/m/drift?from=${cur.from.toISOString()}&to=${cur.to.toISOString()}&reference=file:/etc/passwd` });
    expect(badRef.statusCode).toBe(400);
    expect(badRef.json().error).toBe('MW_ERR_REFERENCE_INVALID');
    const range = await app.inject({ method: 'GET', url: `/api/v1/models/m/drift?from=${cur.from.toISOString()}&to=${cur.to.toISOString()}&reference=${new Date(T0).toISOString()}..${cur.from.toISOString()}` });
    expect(range.statusCode).toBe(200);
    expect(range.json().source).toBe('computed');
    await app.close();
  });
});
