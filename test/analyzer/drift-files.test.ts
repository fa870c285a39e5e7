/**
 * Drift on files as users make them: pandas 1.5.3 CSV/TSV/NDJSON and Arrow-written Parquet
 * (test/fixtures/drift-files, with scipy's values in expected.json). In-process through
 * compareSources on one store; the command itself is run as a child process in drift-cli.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareSources, type DriftReport } from '../../analyzer/drift/compute.ts';
import { prepareFiles } from '../../analyzer/drift/file-profile.ts';
import { readProfile } from '../../analyzer/drift/profile.ts';
import { fileSource } from '../../analyzer/drift/reference.ts';
import { DRIFT_METHODS } from '../../analyzer/stats/index.ts';
import type { Store } from '../../storage/client.ts';
import { createTestStore } from '../helpers/store.ts';

const DIR = path.resolve('test/fixtures/drift-files');
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8'));
const NUMERIC = ['amount', 'small', 'score', 'count', 'count_f'];

let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
});
afterAll(async () => {
  await cleanup();
});

const drift = (ref: string, cur: string, method?: string, extra: Record<string, unknown> = {}): Promise<DriftReport> =>
  compareSources(store, { kind: 'file', file: fileSource(path.join(DIR, ref)) }, { kind: 'file', file: fileSource(path.join(DIR, cur)) }, { method, ...extra }, { literal: true });
const byColumn = (r: DriftReport) => Object.fromEntries(r.columns.map((c) => [c.column, c]));

/** scipy's value of a method on one column: [statistic, p-value or null]. */
function scipy(pair: 'cur' | 'cur_shift', column: string, method: string): [number, number | null] {
  const e = expected.pairs[pair][column];
  switch (method) {
    case 'ks': return [e.ks.statistic, e.ks.p_value];
    case 'cvm': return [e.cramervonmises.statistic, e.cramervonmises.p_value];
    case 'anderson': return [e.anderson_ksamp.statistic, e.anderson_ksamp.significance_level];
    case 'wasserstein': return [e.wasserstein_norm, null];
    case 'energy': return [e.energy_distance, null];
    default: return [e.binned[method], null];
  }
}

const relClose = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(b), 1e-300) || Math.abs(a - b) < 1e-15;

describe('drift on files written by pandas and Arrow', () => {
  const METHODS = ['ks', 'cvm', 'anderson', 'wasserstein', 'energy', 'psi', 'kl', 'jensenshannon', 'hellinger', 'tvd', 'linf'];
  for (const pair of ['cur', 'cur_shift'] as const) {
    it(`every numeric method equals scipy on two 5,000-row pandas CSV files (ref vs ${pair})`, async () => {
      for (const method of METHODS) {
        const by = byColumn(await drift('ref.csv', `${pair}.csv`, method));
        for (const col of NUMERIC) {
          const [stat, p] = scipy(pair, col, method);
          const got = by[col];
          expect(got, `${method} ${col}`).toMatchObject({ type: 'numeric', method, path: 'exact' });
          expect(relClose(got.statistic, stat), `${method} ${col}: ${got.statistic} vs scipy ${stat}`).toBe(true);
          if (p !== null) expect(Math.abs(got.p_value! - p), `${method} ${col} p`).toBeLessThan(1e-6);
          expect(got.reference_n).toBe(expected.pairs[pair][col].n_ref);
          expect(got.current_n).toBe(expected.pairs[pair][col].n_cur);
        }
      }
    });
  }

  it('two files from one distribution drift in no column, under the defaults and under every method', async () => {
    for (const method of [undefined, ...DRIFT_METHODS]) {
      const r = await drift('ref.csv', 'cur.csv', method);
      expect(r.columns.map((c) => c.column).sort(), String(method)).toEqual(['amount', 'count', 'count_f', 'country', 'flag', 'score', 'small']);
      expect(r.columns.filter((c) => c.drift).map((c) => `${c.column}:${c.method}:${c.statistic}`), String(method)).toEqual([]);
    }
  });

  it('finds a 0.2 sd shift in exactly that column', async () => {
    for (const method of [undefined, 'ks', 'cvm', 'anderson', 'wasserstein']) {
      const r = await drift('ref.csv', 'cur_shift.csv', method);
      expect(r.columns.filter((c) => c.drift).map((c) => c.column), String(method)).toEqual(['amount']);
    }
  });

  it('types columns from every row and both files: exponent floats, NaN, inf, booleans, nullable integers, the index column', async () => {
    const r = await drift('ref.csv', 'cur.csv');
    const by = byColumn(r);
    // small is mostly exponent notation and score has one such value among thousands: both numeric.
    expect(by.small).toMatchObject({ type: 'numeric', method: 'wasserstein', drift: false });
    expect(by.score).toMatchObject({ type: 'numeric', non_finite: { reference: 10, current: 10 } });
    expect(by.count).toMatchObject({ type: 'numeric' });
    expect(by.count_f).toMatchObject({ type: 'numeric' });
    expect(by.flag).toMatchObject({ type: 'categorical' });
    expect([...by.flag.bins!.labels].sort()).toEqual(['false', 'true']);
    const counts = expected.counts.ref.columns;
    expect(by.small.null_rate!.reference).toBeCloseTo(counts.small.null / 5000, 12);
    expect(by.count.null_rate!.reference).toBeCloseTo(counts.count.null / 5000, 12);
    expect(r.skipped).toEqual([{ column: '', reason: 'index column (as pandas writes it)' }]);
  });

  it('reads TSV, NDJSON, Parquet and a BOM + CRLF CSV of the same frames to the same verdicts', async () => {
    const csv = byColumn(await drift('ref.csv', 'cur.csv', 'ks'));
    for (const [ref, cur] of [['ref.tsv', 'cur.tsv'], ['ref_crlf_bom.csv', 'cur.csv'], ['ref.parquet', 'cur.parquet'], ['ref.parquet', 'cur.csv'], ['ref.ndjson', 'cur.ndjson']]) {
      const r = await drift(ref, cur, 'ks');
      const by = byColumn(r);
      for (const col of ['amount', 'small', 'count', 'count_f']) {
        expect(by[col], `${ref} ${col}`).toMatchObject({ type: 'numeric', reference_n: csv[col].reference_n, current_n: csv[col].current_n });
        // NDJSON is rounded to 10 decimals by pandas: the same verdict, not the same bits.
        if (ref.endsWith('.ndjson')) expect(Math.abs(by[col].statistic - csv[col].statistic)).toBeLessThan(1e-3);
        else expect(by[col].statistic, `${ref} ${col}`).toBe(csv[col].statistic);
      }
      expect(by.flag.type).toBe('categorical');
      expect(by.country.type).toBe('categorical');
    }
  });

  it('reads Parquet logical types: decimals as numbers, dictionary strings as categories, dates and timestamps skipped with the reason', async () => {
    const r = await drift('ref.parquet', 'cur.parquet');
    const by = byColumn(r);
    expect(by.price).toMatchObject({ type: 'numeric', path: 'exact' });
    expect(by.count).toMatchObject({ type: 'numeric' });
    expect(by.small_nan.null_rate).toEqual(by.small.null_rate);
    expect(by.score.non_finite).toEqual({ reference: 10, current: 10 });
    expect(r.skipped.map((s) => s.column).sort()).toEqual(['day', 'ts']);
    expect(r.skipped[0].reason).toContain('date/time column');
  });

  it('above the exact limit uses the sketches, says so (path: sketch), and stays within the documented bound', async () => {
    const exact = byColumn(await drift('ref.csv', 'cur_shift.csv', 'ks'));
    const sketch = byColumn(await drift('ref.csv', 'cur_shift.csv', 'ks', { exactLimit: 1000 }));
    for (const col of NUMERIC) {
      expect(sketch[col].path).toBe('sketch');
      expect(Math.abs(sketch[col].statistic - exact[col].statistic), col).toBeLessThanOrEqual(0.01);
    }
    const w = byColumn(await drift('ref.csv', 'cur_shift.csv', 'wasserstein', { exactLimit: 1000 }));
    expect(w.amount).toMatchObject({ path: 'sketch', drift: true });
    expect(Math.abs(w.amount.statistic - expected.pairs.cur_shift.amount.wasserstein_norm)).toBeLessThanOrEqual(0.005);
  });

  it('profiles a column with nulls from its values only (mean, std, min, max as pandas reads them)', async () => {
    const [head, ...lines] = fs.readFileSync(path.join(DIR, 'ref.csv'), 'utf8').trim().split('\n');
    const k = head.split(',').indexOf('count');
    const vals = lines.map((l) => l.split(',')[k]).filter((v) => v !== '').map(Number);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const std = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length);
    const src = { kind: 'file' as const, file: fileSource(path.join(DIR, 'ref.csv')) };
    const sides = await prepareFiles(store, src, src, { literal: true });
    try {
      const col = (await readProfile(store, sides.ref, { literal: true })).numeric.get('count')!;
      expect(col.summary.n).toBe(vals.length);
      expect(col.nulls).toBe(lines.length - vals.length);
      expect(col.mean).toBeCloseTo(mean, 9);
      expect(col.std).toBeCloseTo(std, 9);
      expect(col.summary.min).toBe(Math.min(...vals));
      expect(col.summary.max).toBe(Math.max(...vals));
    } finally {
      await sides.release();
    }
  });

  it('reads the conventions of Spark, Polars and R writers too: 1.0E-5, Infinity, NA, \\N, null, quoted numbers, true/false', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-writers-'));
    try {
      // Spark: Java's Double.toString (1.0E-5, Infinity), empty or \\N for null; R: NA; JSON-ish null; quoted numbers.
      const xs = (k: number) => Array.from({ length: 400 }, (_, i) =>
        (i % 40 === 0 ? 'Infinity' : i % 41 === 0 ? '-Infinity' : i % 37 === 0 ? '' : `${((i * 7919 + k) % 1000) / 100}E-5`));
      const ys = Array.from({ length: 400 }, (_, i) => (i % 50 === 0 ? 'NA' : i % 51 === 0 ? '\\N' : i % 52 === 0 ? 'null' : `"${(i % 97) / 10}"`));
      const write = (name: string, k: number) => {
        const lines = xs(k).map((x, i) => `${x},${ys[i]},${i % 3 === 0 ? 'true' : 'false'},${i % 2 ? 'NaN' : String(i)}`);
        fs.writeFileSync(path.join(dir, name), ['x,y,flag,n', ...lines].join('\n') + '\n');
        return path.join(dir, name);
      };
      const r = await compareSources(store, { kind: 'file', file: fileSource(write('a.csv', 1)) }, { kind: 'file', file: fileSource(write('b.csv', 2)) }, {}, { literal: true });
      const by = byColumn(r);
      const inf = xs(1).filter((x) => x.endsWith('Infinity')).length;
      expect(by.x).toMatchObject({ type: 'numeric', non_finite: { reference: inf, current: inf }, reference_n: xs(1).filter((x) => x.includes('E-5')).length });
      expect(by.x.null_rate!.reference).toBeCloseTo(xs(1).filter((x) => x === '').length / 400, 12);
      expect(by.y).toMatchObject({ type: 'numeric' });
      expect(by.y.null_rate!.reference).toBeCloseTo(ys.filter((y) => !y.startsWith('"')).length / 400, 12);
      expect(by.flag).toMatchObject({ type: 'categorical' });
      expect(by.n).toMatchObject({ type: 'numeric', reference_n: 200 });
      expect(r.skipped).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports every column of either file: only on one side, types differ, all null, and resolves integer vs float', async () => {
    const r = await drift('schema_ref.csv', 'schema_cur.csv');
    expect(r.columns.map((c) => c.column).sort()).toEqual(['int_vs_float', 'x']);
    expect(byColumn(r).int_vs_float.note).toBe('integer vs float: compared as Float64');
    expect(Object.fromEntries(r.skipped.map((s) => [s.column, s.reason]))).toEqual({
      '': 'index column (as pandas writes it)',
      only_ref: 'only in reference',
      only_cur: 'only in current',
      mixed: 'types differ: Int64 vs String',
      all_null: 'all null',
    });
  });
});
