import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore } from '../helpers/store.ts';
import type { Store } from '../../storage/client.ts';
import { runDrift } from '../../analyzer/drift/job.ts';
import { readProfile } from '../../analyzer/drift/profile.ts';
import { ksExactSorted, ksFromSummaries } from '../../analyzer/drift/sketch.ts';
import { HOUR, T0, normal, predictionRow, prng } from './seed.ts';

const ROWS = 1_000_000;
const BATCH = 100_000;
const FEATURES = Array.from({ length: 20 }, (_, i) => `f${i}`);
let store: Store;
let cleanup: () => Promise<void>;
// Only f0's values are kept here, to check the sketch KS against the exact one.
const f0 = { ref: new Float64Array(ROWS / 2), cur: new Float64Array(ROWS / 2) };

beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
  const rand = prng(2024);
  const z = normal(rand);
  for (let b = 0; b < ROWS / BATCH; b++) {
    const rows: Record<string, unknown>[] = [];
    for (let i = b * BATCH; i < (b + 1) * BATCH; i++) {
      // First half in the reference hour, second half in the current hour: the same distributions.
      const side = i < ROWS / 2 ? 0 : 1;
      const k = i - side * (ROWS / 2);
      const num: Record<string, number> = {};
      FEATURES.forEach((f, j) => (num[f] = j + (1 + j / 10) * z()));
      (side ? f0.cur : f0.ref)[k] = num.f0;
      const r = rand();
      rows.push(predictionRow({ ms: T0 + side * HOUR + Math.floor((k / (ROWS / 2)) * HOUR), num, cat: { color: r < 0.5 ? 'red' : r < 0.8 ? 'green' : 'blue' } }));
    }
    await store.insert('predictions', rows);
  }
}, 600_000);

afterAll(async () => {
  await cleanup?.();
});

describe('a large stream without drift', () => {
  it('shows no drifted column under the defaults', async () => {
    const rows = await runDrift(store, { model: 'm', version: 'v1', window: { from: new Date(T0 + HOUR), to: new Date(T0 + 2 * HOUR) }, reference: { kind: 'previous' } });
    const drift = rows.filter((r) => r.metric === 'drift');
    expect(drift.length).toBe(21);
    expect(drift.filter((r) => r.status === 'drift').map((r) => r.subject)).toEqual([]);
    expect(rows.filter((r) => r.metric === 'null_rate' && r.status === 'drift')).toEqual([]);
    const ds = rows.find((r) => r.metric === 'drift_share')!;
    expect(ds.value).toBe(0);
    expect(ds.status).toBe('ok');
  });

  it('sketch KS from 60 merged per-minute t-digests is within 0.01 of the exact KS', async () => {
    const ref = await readProfile(store, { kind: 'rollup', model: 'm', version: 'v1', window: { from: new Date(T0), to: new Date(T0 + HOUR) } });
    const cur = await readProfile(store, { kind: 'rollup', model: 'm', version: 'v1', window: { from: new Date(T0 + HOUR), to: new Date(T0 + 2 * HOUR) } });
    const exact = ksExactSorted(Array.from(f0.ref).sort((a, b) => a - b), Array.from(f0.cur).sort((a, b) => a - b));
    const sketch = ksFromSummaries(ref.numeric.get('f0')!.summary, cur.numeric.get('f0')!.summary);
    expect(Math.abs(exact - sketch)).toBeLessThanOrEqual(0.01);
  });
});
