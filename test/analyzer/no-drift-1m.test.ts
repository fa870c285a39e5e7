import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { runDrift } from '../../analyzer/drift/job.ts';
import { readProfile } from '../../analyzer/drift/profile.ts';
import { ksFromSummaries } from '../../analyzer/drift/sketch.ts';
import { ksStatisticSorted } from '../../analyzer/stats/index.ts';
import { HOUR, T0, normal, prng } from './seed.ts';

const ROWS = 1_000_000;
const BATCH = 25_000;
const FEATURES = Array.from({ length: 20 }, (_, i) => `f${i}`);
const REF = { from: new Date(T0), to: new Date(T0 + HOUR) };
const CUR = { from: new Date(T0 + HOUR), to: new Date(T0 + 2 * HOUR) };
let server: TestServer;
// Only f0's values are kept here, to check the sketch KS against the exact one.
const f0 = { ref: new Float64Array(ROWS / 2), cur: new Float64Array(ROWS / 2) };

// One million predictions through the collector (POST /v1/predictions, NDJSON), two senders at a time.
beforeAll(async () => {
  server = await startTestServer();
  const rand = prng(2024);
  const z = normal(rand);
  const body = (b: number): string => {
    const lines: string[] = [];
    for (let i = b * BATCH; i < (b + 1) * BATCH; i++) {
      // First half in the reference hour, second half in the current hour: the same distributions.
      const side = i < ROWS / 2 ? 0 : 1;
      const k = i - side * (ROWS / 2);
      let feats = '';
      for (let j = 0; j < FEATURES.length; j++) {
        const v = j + (1 + j / 10) * z();
        if (j === 0) (side ? f0.cur : f0.ref)[k] = v;
        feats += `"f${j}":${v},`;
      }
      const r = rand();
      const color = r < 0.5 ? 'red' : r < 0.8 ? 'green' : 'blue';
      lines.push(`{"timestamp":${T0 + side * HOUR + Math.floor((k / (ROWS / 2)) * HOUR)},"model":"m","version":"v1","features":{${feats}"color":"${color}"}}`);
    }
    return lines.join('\n');
  };
  const send = async (b: number) => {
    const res = await fetch(`${server.url}/v1/predictions`, { method: 'POST', body: body(b), headers: { 'content-type': 'application/x-ndjson' } });
    expect(res.status).toBe(200);
    expect((await res.json()).accepted).toBe(BATCH);
  };
  for (let b = 0; b < ROWS / BATCH; b += 2) await Promise.all([send(b), send(b + 1)]);
}, 600_000);

afterAll(async () => {
  await server?.stop();
});

describe('a large stream without drift', () => {
  it('shows no drifted column under the defaults', async () => {
    const rows = await runDrift(server.store, { model: 'm', version: 'v1', window: CUR, reference: { kind: 'previous' } });
    const drift = rows.filter((r) => r.metric === 'drift');
    expect(drift.length).toBe(21);
    expect(drift.filter((r) => r.status === 'drift').map((r) => r.subject)).toEqual([]);
    expect(rows.filter((r) => r.metric === 'null_rate' && r.status === 'drift')).toEqual([]);
    const ds = rows.find((r) => r.metric === 'drift_share')!;
    expect(ds.value).toBe(0);
    expect(ds.status).toBe('ok');
  });

  it('sketch KS from 60 merged per-minute t-digests is within 0.01 of the exact KS', async () => {
    const ref = await readProfile(server.store, { kind: 'rollup', model: 'm', version: 'v1', window: REF });
    const cur = await readProfile(server.store, { kind: 'rollup', model: 'm', version: 'v1', window: CUR });
    const exact = ksStatisticSorted(f0.ref.slice().sort(), f0.cur.slice().sort());
    const sketch = ksFromSummaries(ref.numeric.get('f0')!.summary, cur.numeric.get('f0')!.summary);
    expect(Math.abs(exact - sketch)).toBeLessThanOrEqual(0.01);
  });

  it('raw rows read through a 1-in-5 row sample give a KS within 0.01 of the exact one', async () => {
    const opts = { sketchSampleRows: 100_000 };
    const ref = await readProfile(server.store, { kind: 'raw', model: 'm', version: 'v1', window: REF }, opts);
    const cur = await readProfile(server.store, { kind: 'raw', model: 'm', version: 'v1', window: CUR }, opts);
    expect(ref.rowSample!.stride).toBe(5);
    expect([...ref.rowSample!.estimated].sort()).toEqual([...FEATURES].sort());
    // Value counts are the sampled count x 5; rows and categories are counted over every row.
    for (const f of FEATURES) expect(Math.abs(ref.numeric.get(f)!.summary.n / (ROWS / 2) - 1)).toBeLessThan(0.02);
    expect(ref.rows).toBe(ROWS / 2);
    expect(cur.categorical.get('color')!.n).toBe(ROWS / 2);
    const exact = ksStatisticSorted(f0.ref.slice().sort(), f0.cur.slice().sort());
    const sketch = ksFromSummaries(ref.numeric.get('f0')!.summary, cur.numeric.get('f0')!.summary);
    expect(Math.abs(exact - sketch)).toBeLessThanOrEqual(0.01);
    const rows = await runDrift(server.store, { model: 'm', version: 'v1', window: CUR, reference: { kind: 'previous' }, raw: true });
    expect(rows.filter((r) => r.metric === 'drift' && r.status === 'drift')).toEqual([]);
  });
});
