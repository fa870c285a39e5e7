import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestStore } from '../helpers/store.ts';

const run = promisify(execFile);
let dir: string;

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['bin/run-ts.mjs', 'test/analyzer/run-drift-cli.ts', 'drift', ...args], { cwd: process.cwd(), maxBuffer: 1 << 24 });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cli-'));
  const { store, cleanup } = await createTestStore();
  // Files written by ClickHouse itself: x shifts by 1 sd in the current file, y does not, c gains a category.
  const gen = (shift: number, extra: boolean, seed: number) => `
    SELECT randNormal(${shift}, 1) AS x, randNormal(5, 2) AS y,
           ['a', 'b', 'c'${extra ? ", 'd'" : ''}][1 + (rand(${seed}) % ${extra ? 4 : 3})] AS c
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
      const { stdout } = await cli('--reference', path.join(dir, `ref.${ext}`), '--current', path.join(dir, `cur.${ext}`), '--format', 'json');
      const out = JSON.parse(stdout);
      expect(Object.keys(out)).toEqual(['columns', 'dataset']);
      const by = Object.fromEntries(out.columns.map((c: any) => [c.column, c]));
      expect(Object.keys(by).sort()).toEqual(['c', 'x', 'y']);
      expect(Object.keys(by.x)).toEqual(['column', 'type', 'method', 'statistic', 'p_value', 'threshold', 'drift']);
      expect(by.x).toMatchObject({ type: 'numeric', method: 'wasserstein', drift: true, p_value: null });
      expect(by.y).toMatchObject({ type: 'numeric', drift: false });
      expect(by.c).toMatchObject({ type: 'categorical', method: 'jensenshannon', drift: true });
      expect(out.dataset).toEqual({ columns: 3, drifted: 2, share: 2 / 3, drift: true });
    });
  }

  it('honours --method, --column and --threshold, and writes a self-contained html report', async () => {
    const { stdout } = await cli('--reference', path.join(dir, 'ref.csv'), '--current', path.join(dir, 'cur.csv'), '--format', 'json', '--method', 'ks', '--column', 'x', '--column', 'y', '--threshold', '0.01');
    const out = JSON.parse(stdout);
    expect(out.columns.map((c: any) => [c.column, c.method, c.threshold])).toEqual([['x', 'ks', 0.01], ['y', 'ks', 0.01]]);
    const html = path.join(dir, 'r.html');
    const r = await cli('--reference', path.join(dir, 'ref.parquet'), '--current', path.join(dir, 'cur.parquet'), '--format', 'html', '--out', html, '--progress');
    expect(r.stderr).toContain('3/3 columns');
    const text = fs.readFileSync(html, 'utf8');
    expect(text).toContain('<svg');
    expect(text).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(text).not.toContain('<script');
  });

  it('rejects a file with an unsupported format', async () => {
    await expect(cli('--reference', path.join(dir, 'ref.xlsx'), '--current', path.join(dir, 'cur.csv'))).rejects.toMatchObject({ stderr: expect.stringContaining('format must be one of') });
  });
});
