import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../helpers/cli.ts';
import { createTestStore } from '../helpers/store.ts';
import { anderson, chisquare, countCategories, cvm, fisher } from '../../analyzer/stats/index.ts';


/** Reads a CSVWithNames file as ClickHouse writes it (no commas inside values). */
function readCsv(file: string): Record<string, string>[] {
  const [head, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const unquote = (v: string) => v.replace(/^"(.*)"$/, '$1');
  const names = head.split(',').map(unquote);
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], unquote(v)])));
}
let dir: string;

/** Runs `modelwatch drift` as a child process; resolves with its output and exit status (0 pass, 1 drift, 2 error). */
const cli = (...args: string[]) => runCommand('test/analyzer/run-drift-cli.ts', 'drift', args);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cli-'));
  const { store, cleanup } = await createTestStore();
  // Files written by ClickHouse itself: x shifts by 1 sd in the current file, y does not, c gains a category.
  const gen = (shift: number, extra: boolean, seed: number) => `
    SELECT randNormal(${shift}, 1) AS x, randNormal(5, 2) AS y,
           ['a', 'b', 'c'${extra ? ", 'd'" : ''}][1 + (rand(${seed}) % ${extra ? 4 : 3})] AS c,
           if(rand(${seed + 1}) % 100 < ${extra ? 36 : 30}, 'yes', 'no') AS b
    FROM numbers(5000)`;
  for (const [name, fmt, shift, extra] of [['ref.csv', 'CSVWithNames', 0, false], ['cur.csv', 'CSVWithNames', 1, true], ['ref.parquet', 'Parquet', 0, false], ['cur.parquet', 'Parquet', 1, true]] as const) {
    await store.command(`INSERT INTO FUNCTION file({p:String}, '${fmt}') ${gen(shift, extra, name.length)} SETTINGS engine_file_truncate_on_insert = 1`, { p: path.join(dir, name) });
  }
  await cleanup();
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('modelwatch drift on files', () => {
  for (const ext of ['csv', 'parquet']) {
    it(`finds the drifted columns in ${ext} files (json)`, async () => {
      const { stdout, code } = await cli('--reference', path.join(dir, `ref.${ext}`), '--current', path.join(dir, `cur.${ext}`), '--format', 'json');
      const out = JSON.parse(stdout);
      expect(code).toBe(1);
      expect(Object.keys(out)).toEqual(['columns', 'skipped', 'dataset', 'rows']);
      expect(out.skipped).toEqual([]);
      const by = Object.fromEntries(out.columns.map((c: any) => [c.column, c]));
      expect(Object.keys(by).sort()).toEqual(['b', 'c', 'x', 'y']);
      expect(Object.keys(by.x)).toEqual(['column', 'type', 'method', 'statistic', 'p_value', 'threshold', 'drift', 'path', 'reference_n', 'current_n', 'null_rate']);
      expect(by.x).toMatchObject({ path: 'exact', reference_n: 5000, current_n: 5000, null_rate: { reference: 0, current: 0 } });
      expect(by.x).toMatchObject({ type: 'numeric', method: 'wasserstein', drift: true, p_value: null });
      expect(by.y).toMatchObject({ type: 'numeric', drift: false });
      expect(by.c).toMatchObject({ type: 'categorical', method: 'jensenshannon', drift: true });
      // A 6-point rise in a binary share is below the Jensen-Shannon threshold (0.1).
      expect(by.b).toMatchObject({ type: 'categorical', method: 'jensenshannon', drift: false });
      expect(out.dataset).toEqual({ columns: 4, drifted: 2, share: 0.5, drift: true });
    });
  }

  it('honours --method, --column and --threshold, and writes a self-contained html report', async () => {
    const { stdout } = await cli('--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--format', 'json', '--method', 'ks', '--column', 'x', '--column', 'y', '--threshold', '0.01');
    const out = JSON.parse(stdout);
    expect(out.columns.map((c: any) => [c.column, c.method, c.threshold])).toEqual([['x', 'ks', 0.01], ['y', 'ks', 0.01]]);
    const html = path.join(dir, 'r.html');
    const r = await cli('--reference', path.join(dir, 'ref.parquet'), '--current', path.join(dir, 'cur.parquet'), '--format', 'html', '--out', html, '--progress');
    expect(r.stderr).toContain('4/4 columns');
    const text = fs.readFileSync(html, 'utf8');
    expect(text).toContain('<svg');
    expect(text).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(text).not.toMatch(/<script[^>]*\bsrc=/);
  });

  it('takes a method per column (anderson, cvm, fisher, chisquare, energy), computed by analyzer/stats on the file values', async () => {
    const args = ['--format', 'json', '--column-method', 'x=anderson', '--column-method', 'y=cvm', '--column-method', 'b=fisher', '--column-method', 'c=chisquare', '--correction', 'none'];
    const { stdout } = await cli('--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), ...args);
    const by = Object.fromEntries(JSON.parse(stdout).columns.map((c: any) => [c.column, c]));
    const ref = readCsv(path.join(dir, 'ref.csv'));
    const cur = readCsv(path.join(dir, 'cur.csv'));
    const num = (rows: Record<string, string>[], k: string) => rows.map((r) => Number(r[k]));
    const cat = (rows: Record<string, string>[], k: string) => countCategories(rows.map((r) => r[k]));
    expect(by.x).toMatchObject({ method: 'anderson', drift: true });
    expect(by.x.statistic).toBeCloseTo(anderson(num(ref, 'x'), num(cur, 'x')).statistic, 9);
    const c = cvm(num(ref, 'y'), num(cur, 'y'));
    expect(by.y).toMatchObject({ method: 'cvm', drift: c.p_value < 0.05 });
    expect(by.y.p_value).toBeCloseTo(c.p_value, 9);
    const f = fisher(cat(ref, 'b'), cat(cur, 'b'));
    expect(by.b).toMatchObject({ method: 'fisher', drift: true });
    expect(by.b.p_value).toBeCloseTo(f.p_value, 12);
    expect(by.c.p_value).toBeCloseTo(chisquare(cat(ref, 'c'), cat(cur, 'c')).p_value, 12);
    // Parquet: the same flags, and energy from the sketches.
    const pq = JSON.parse((await cli('--reference', path.join(dir, 'ref.parquet'), '--current', path.join(dir, 'cur.parquet'), '--format', 'json', '--column-method', 'x=energy', '--column-method', 'y=anderson', '--column-threshold', 'x=0.5')).stdout);
    const pby = Object.fromEntries(pq.columns.map((x: any) => [x.column, x]));
    expect(pby.x).toMatchObject({ method: 'energy', threshold: 0.5, drift: true, p_value: null });
    expect(pby.y.method).toBe('anderson');
    expect(pby.y.p_value).toBeGreaterThanOrEqual(0.001);
  });

  it('rejects an inapplicable per-column method with a clear message', async () => {
    expect(await cli('--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--column-method', 'c=anderson'))
      .toMatchObject({ code: 2, stderr: expect.stringContaining('anderson does not apply to categorical columns') });
    expect(await cli('--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--column-method', 'x'))
      .toMatchObject({ code: 2, stderr: expect.stringContaining('expected column=value') });
  });

  it('rejects a file with an unsupported format', async () => {
    expect(await cli('--reference', path.join(dir, 'ref.xlsx'), '--current', path.join(dir, 'cur.csv'))).toMatchObject({ code: 2, stderr: expect.stringContaining('format must be one of') });
  });
});

describe('modelwatch drift on pandas-written files: every column reported, exit status', () => {
  const F = path.resolve('test/fixtures/drift-files');

  it('lists skipped columns with their reasons in json, table and html', async () => {
    const args = ['--reference', path.join(F, 'schema_ref.csv'), '--current', path.join(F, 'schema_cur.csv')];
    const json = await cli(...args, '--format', 'json', '--fail-on', 'never');
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout);
    const reasons = Object.fromEntries(out.skipped.map((s: { column: string; reason: string }) => [s.column, s.reason]));
    expect(reasons).toMatchObject({ only_ref: 'only in reference', only_cur: 'only in current', mixed: 'types differ: Int64 vs String', all_null: 'all null' });
    expect(out.columns.find((c: { column: string }) => c.column === 'int_vs_float').note).toBe('integer vs float: compared as Float64');
    const table = await cli(...args, '--format', 'table', '--fail-on', 'never');
    for (const line of [/only_ref\s+only in reference/, /only_cur\s+only in current/, /mixed\s+types differ: Int64 vs String/, /all_null\s+all null/, /int_vs_float: integer vs float/]) {
      expect(table.stdout).toMatch(line);
    }
    const html = await cli(...args, '--format', 'html', '--fail-on', 'never');
    for (const cell of ['<td>only_ref</td><td>only in reference</td>', '<td>mixed</td><td>types differ: Int64 vs String</td>', '<td>all_null</td><td>all null</td>', '<td>only_cur</td><td>only in current</td>']) {
      expect(html.stdout).toContain(cell);
    }
  });

  it('exits 0 without drift, 1 with drift (dataset, or any column under --fail-on column), 2 on errors', async () => {
    const ref = path.join(F, 'ref.csv');
    expect((await cli('--reference', ref, '--current', path.join(F, 'cur.csv'))).code).toBe(0);
    // One column of seven drifts: no dataset drift, but a drifted column.
    expect((await cli('--reference', ref, '--current', path.join(F, 'cur_shift.csv'))).code).toBe(0);
    expect((await cli('--reference', ref, '--current', path.join(F, 'cur_shift.csv'), '--fail-on', 'column')).code).toBe(1);
    expect((await cli('--reference', ref, '--current', path.join(F, 'cur_shift.csv'), '--fail-on', 'bogus'))).toMatchObject({ code: 2, stderr: expect.stringContaining('--fail-on bogus') });
    expect((await cli('--reference', path.join(F, 'missing.csv'), '--current', ref))).toMatchObject({ code: 2, stderr: expect.stringContaining('missing.csv') });
    expect((await cli('--current', ref)).code).toBe(2);
  });

  it('says that nothing could be compared when the files share no column, and exits 2', async () => {
    const r = await cli('--reference', path.join(F, 'ref.csv'), '--current', path.join(F, 'schema_cur.csv'), '--format', 'table');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('no column could be compared');
    expect(r.stderr).toContain('no column could be compared');
  });
});
