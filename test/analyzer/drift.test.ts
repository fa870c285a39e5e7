import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { Store } from '../../storage/client.ts';
import { runDrift, computeDrift, DATASET_SUBJECT } from '../../analyzer/drift/job.ts';
import { readProfile } from '../../analyzer/drift/profile.ts';
import { ksFromSummaries } from '../../analyzer/drift/sketch.ts';
import { anderson, cvm, energy, fisher, ksStatisticSorted, wasserstein } from '../../analyzer/stats/index.ts';
import { fileSource } from '../../analyzer/drift/reference.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeResults, readResults } from '../../analyzer/results.ts';
import { analyzerRoutes } from '../../analyzer/api.ts';
import { HOUR, T0, normal, prng } from './seed.ts';

const FEATURES = Array.from({ length: 20 }, (_, i) => `f${i}`);
const SHIFTED = new Set(['f3', 'f7', 'f11']);
const N = 3000;
const cur = { from: new Date(T0 + HOUR), to: new Date(T0 + 2 * HOUR) };
const refWindow = { from: new Date(T0), to: cur.from };

let server: TestServer;
let store: Store;
const values = new Map<string, { ref: number[]; cur: number[] }>();
const regions = { ref: new Map<string, number>(), cur: new Map<string, number>() };

// The stream goes through the collector (POST /v1/predictions, NDJSON), as a model server would send it.
beforeAll(async () => {
  server = await startTestServer();
  store = server.store;
  const rand = prng(42);
  const z = normal(rand);
  const lines: string[] = [];
  for (const f of FEATURES) values.set(f, { ref: [], cur: [] });
  for (const side of ['ref', 'cur'] as const) {
    for (let i = 0; i < N; i++) {
      const ms = T0 + (side === 'cur' ? HOUR : 0) + Math.floor((i / N) * HOUR);
      const features: Record<string, number | string | null> = {};
      FEATURES.forEach((f, k) => {
        // f15's null rate jumps from 0 to 30% in the current window; its values keep their distribution.
        if (f === 'f15' && side === 'cur' && rand() < 0.3) { features[f] = null; return; }
        const sd = 1 + k / 10;
        const v = k + sd * (z() + (side === 'cur' && SHIFTED.has(f) ? 0.2 : 0));
        features[f] = v;
        values.get(f)![side].push(v);
      });
      const r = rand();
      features.color = side === 'cur' && r < 0.15 ? 'purple' : r < 0.5 ? 'red' : r < 0.8 ? 'green' : 'blue';
      features.region = rand() < 0.5 ? 'eu' : 'us';
      regions[side].set(features.region, (regions[side].get(features.region) ?? 0) + 1);
      lines.push(JSON.stringify({ timestamp: ms, model: 'm', version: 'v1', id: `${side}${i}`, prediction: z(), latency_ms: 5 + rand() * 10, features }));
    }
  }
  for (let i = 0; i < lines.length; i += 2000) {
    const res = await fetch(`${server.url}/v1/predictions`, { method: 'POST', body: lines.slice(i, i + 2000).join('\n'), headers: { 'content-type': 'application/x-ndjson' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: Math.min(2000, lines.length - i), rejected: 0 });
  }
});

afterAll(async () => {
  await server?.stop();
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
    const ref = await readProfile(store, { kind: 'rollup', model: 'm', version: 'v1', window: refWindow });
    const now = await readProfile(store, { kind: 'rollup', model: 'm', version: 'v1', window: cur });
    let worst = 0;
    for (const f of FEATURES) {
      const v = values.get(f)!;
      const exact = ksStatisticSorted([...v.ref].sort((a, b) => a - b), [...v.cur].sort((a, b) => a - b));
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

  it('runs anderson, cvm, ks, energy and fisher per column, each statistic from analyzer/stats', async () => {
    const methods = { f3: 'anderson', f4: 'cvm', f0: 'ks', f7: 'energy', region: 'fisher' };
    const rep = await computeDrift(store, { model: 'm', version: 'v1', window: cur, reference: { kind: 'previous' }, options: { methods } });
    const by = new Map(rep.columns.map((c) => [c.column, c]));
    const v = (f: string) => values.get(f)!;
    expect(by.get('f3')).toMatchObject({ method: 'anderson', path: 'exact', drift: true, reference_n: N, current_n: N });
    expect(by.get('f3')!.statistic).toBeCloseTo(anderson(v('f3').ref, v('f3').cur).statistic, 9);
    expect(by.get('f4')).toMatchObject({ method: 'cvm', path: 'exact', drift: false });
    expect(by.get('f4')!.p_value!).toBeCloseTo(cvm(v('f4').ref, v('f4').cur).p_value, 9);
    const f0 = by.get('f0')!;
    expect(f0).toMatchObject({ method: 'ks', path: 'exact' });
    expect(f0.statistic).toBeCloseTo(ksStatisticSorted(Float64Array.from(v('f0').ref).sort(), Float64Array.from(v('f0').cur).sort()), 12);
    // Energy reads the sketches (3,000 values a side): no raw values, a statistic close to the exact one.
    expect(by.get('f7')).toMatchObject({ method: 'energy', path: 'sketch', p_value: null });
    const fr = fisher(regions.ref, regions.cur);
    expect(by.get('region')).toMatchObject({ method: 'fisher', path: 'exact', statistic: fr.statistic, p_value: fr.p_value, drift: false });
    // Every other column keeps its default.
    expect(by.get('f5')!.method).toBe('wasserstein');
  });

  it('samples a side larger than the fetch limit for raw-only methods, and reports it', async () => {
    const rep = await computeDrift(store, { model: 'm', version: 'v1', window: cur, reference: { kind: 'previous' }, options: { methods: { f3: 'anderson' }, exactFetchLimit: 1000 } });
    const f3 = rep.columns.find((c) => c.column === 'f3')!;
    expect(f3).toMatchObject({ method: 'anderson', path: 'sampled', reference_n: N, current_n: N, details: { sample_size: { reference: 1000, current: 1000, limit: 1000 } } });
    expect(f3.drift).toBe(true);
  });

  it('applies a Benjamini-Hochberg correction to p-value methods when asked', async () => {
    const plain = await computeDrift(store, { model: 'm', version: 'v1', window: cur, reference: { kind: 'previous' }, options: { method: 'ks' } });
    const bh = await computeDrift(store, { model: 'm', version: 'v1', window: cur, reference: { kind: 'previous' }, options: { method: 'ks', correction: 'bh' } });
    for (const c of bh.columns.filter((x) => x.type === 'numeric' && x.column !== '__prediction__')) {
      const raw = plain.columns.find((x) => x.column === c.column)!;
      expect(c.details!.p_value_raw).toBe(raw.p_value);
      expect(c.p_value!).toBeGreaterThanOrEqual(raw.p_value!);
    }
    expect(bh.columns.filter((c) => c.drift && c.type === 'numeric').map((c) => c.column).sort()).toEqual(['f11', 'f3', 'f7']);
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

/** A float as Python's repr (and so pandas' to_csv) writes it: exponents with at least two digits (7.6e-05). */
function pyRepr(x: number): string {
  // Python switches to exponent notation below 1e-4 (JavaScript only below 1e-6).
  const text = x !== 0 && Math.abs(x) < 1e-4 ? x.toExponential() : String(x);
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

describe('drift jobs against files and raw windows', () => {
  it('a reference CSV written as pandas writes it (one exponent float per column) gives numeric drift for those features', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-ref-'));
    try {
      const file = path.join(dir, 'train.csv');
      const lines = [`,${FEATURES.join(',')},color`];
      for (let i = 0; i < N; i++) {
        // Row 7 holds one small value in every feature: what made a whole column text before.
        const cells = FEATURES.map((f) => (i === 7 ? pyRepr(-7.6e-5) : pyRepr(values.get(f)!.ref[i])));
        lines.push(`${i},${cells.join(',')},${i % 3 === 0 ? 'red' : 'green'}`);
      }
      fs.writeFileSync(file, lines.join('\n') + '\n');
      expect(lines[8]).toContain('-7.6e-05');
      const rows = await runDrift(store, { model: 'm', version: 'v1', window: cur, reference: fileSource(file) });
      const drift = rows.filter((r) => r.metric === 'drift');
      for (const f of FEATURES) expect(drift.find((r) => r.subject === f), f).toMatchObject({ method: 'wasserstein', details: { type: 'numeric' } });
      expect(drift.filter((r) => r.status === 'drift' && r.subject.startsWith('f')).map((r) => r.subject).sort()).toEqual(['f11', 'f3', 'f7']);
      const ds = rows.find((r) => r.subject === DATASET_SUBJECT)!;
      expect(ds.details.skipped).toEqual([
        { column: '', reason: 'index column (as pandas writes it)' },
        { column: '__prediction__', reason: 'only in current' },
        { column: 'region', reason: 'only in current' },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a raw-row window computes every numeric method exactly on all its values (up to the exact limit)', async () => {
    const methods = { f3: 'wasserstein', f4: 'energy', f5: 'ks' };
    const rep = await computeDrift(store, { model: 'm', version: 'v1', window: cur, reference: { kind: 'previous' }, raw: true, options: { methods } });
    const by = new Map(rep.columns.map((c) => [c.column, c]));
    const v = (f: string) => values.get(f)!;
    expect(by.get('f3')).toMatchObject({ path: 'exact', reference_n: N, current_n: N });
    expect(by.get('f3')!.statistic).toBe(wasserstein(v('f3').ref, v('f3').cur).statistic);
    expect(by.get('f4')!.statistic).toBe(energy(v('f4').ref, v('f4').cur));
    expect(by.get('f5')!.statistic).toBe(ksStatisticSorted(Float64Array.from(v('f5').ref).sort(), Float64Array.from(v('f5').cur).sort()));
    // The same window from the rollups uses the sketches.
    const roll = await computeDrift(store, { model: 'm', version: 'v1', window: cur, reference: { kind: 'previous' }, options: { methods } });
    expect(roll.columns.find((c) => c.column === 'f3')!.path).toBe('sketch');
  });
});
