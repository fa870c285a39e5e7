import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import YAML from 'yaml';
import { toJunit } from '../../cli/commands/check-report.ts';
import { runCommand } from '../helpers/cli.ts';

const F = path.resolve('test/fixtures/drift-files');
let dir: string;
let contract: string;

/** Runs `modelwatch check` as a child process; resolves with its output and exit status (0 pass, 1 failure, 2 error). */
const cli = (...args: string[]) => runCommand('test/analyzer/run-check-cli.ts', 'check', args);

/**
 * ref.csv (pandas-written) with one seeded violation per kind of expectation: `flag` dropped,
 * one `count_f` value that is text, `amount` above its range in 10 rows, an unseen `country` in
 * 20 rows, `count` null in every other row, and `score` squared (still in [0, 1], but drifted).
 */
function writeViolations(file: string): void {
  const [head, ...rows] = fs.readFileSync(path.join(F, 'ref.csv'), 'utf8').trimEnd().split('\n');
  const names = head.split(',');
  const at = (n: string) => names.indexOf(n);
  const out = [names.filter((n) => n !== 'flag').join(',')];
  rows.forEach((line, i) => {
    const v = line.split(',');
    if (i === 5) v[at('count_f')] = 'abc';
    if (i < 10) v[at('amount')] = '500';
    if (i < 20) v[at('country')] = 'XX';
    if (i % 2 === 0) v[at('count')] = '';
    const score = Number(v[at('score')]);
    if (v[at('score')] !== '' && Number.isFinite(score)) v[at('score')] = String(score * score);
    out.push(v.filter((_, k) => k !== at('flag')).join(','));
  });
  fs.writeFileSync(file, out.join('\n') + '\n');
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-check-cli-'));
  writeViolations(path.join(dir, 'bad.csv'));
  contract = path.join(dir, 'contract.yaml');
  const r = await cli('--init', '--reference', path.join(F, 'ref.csv'), '--out', contract);
  expect(r).toMatchObject({ code: 0, stderr: expect.stringContaining(`wrote ${contract} (7 columns)`) });
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('modelwatch check --init', () => {
  it('learns types, nullability, ranges and categories from the reference', () => {
    const c = YAML.parse(fs.readFileSync(contract, 'utf8'));
    expect(Object.keys(c.columns)).toEqual(['amount', 'small', 'score', 'count', 'count_f', 'flag', 'country']);
    expect(c.columns.amount).toEqual({ type: 'numeric', nullable: false, min: 30, max: 170 });
    expect(c.columns.score).toMatchObject({ type: 'numeric', nullable: true, allow_infinite: true, min: 0 });
    expect(c.columns.flag).toEqual({ type: 'boolean', nullable: false });
    expect(c.columns.country).toMatchObject({ type: 'categorical', categories: ['DE', 'FR', 'GB', 'IT', 'US'], allow_new_categories: false });
    // The reference's null rate plus 0.05: count is about 3% null.
    expect(c.columns.count.max_null_rate).toBeGreaterThan(0.05);
    expect(c.columns.count.max_null_rate).toBeLessThan(0.1);
    expect(c).toMatchObject({ version: 1, drift: { max_share: 0.5 }, allow_extra_columns: false });
  });

  it('then check passes on the same file (exit 0), in CSV and in Parquet, and on a fresh batch of the same data', async () => {
    const same = await cli('--contract', contract, '--reference', path.join(F, 'ref.csv'), '--current', path.join(F, 'ref.csv'), '--format', 'json');
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ ok: true, summary: { expectations: 44, passed: 44, failed: 0, skipped: 0 } });
    const pq = path.join(dir, 'pq.yaml');
    expect((await cli('--init', '--reference', path.join(F, 'ref.parquet'), '--out', pq)).code).toBe(0);
    expect(YAML.parse(fs.readFileSync(pq, 'utf8')).columns).toMatchObject({ day: { type: 'datetime' }, price: { type: 'numeric' }, flag: { type: 'boolean' } });
    const samePq = await cli('--contract', pq, '--reference', path.join(F, 'ref.parquet'), '--current', path.join(F, 'ref.parquet'), '--format', 'json');
    expect(JSON.parse(samePq.stdout).summary.failed).toBe(0);
    expect(samePq.code).toBe(0);
    const fresh = await cli('--contract', contract, '--reference', path.join(F, 'ref.csv'), '--current', path.join(F, 'cur.csv'));
    expect(fresh).toMatchObject({ code: 0, stdout: expect.stringContaining('44 expectations: 44 passed, 0 failed, 0 skipped -> PASS') });
  });

  it('does not overwrite a contract without --force', async () => {
    const r = await cli('--init', '--reference', path.join(F, 'ref.csv'), '--out', contract);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining('give --force to overwrite it') });
  });
});

describe('modelwatch check finds seeded violations', () => {
  it('names each one with its column, observed and expected value, and exits 1', async () => {
    const r = await cli('--contract', contract, '--reference', path.join(F, 'ref.csv'), '--current', path.join(dir, 'bad.csv'), '--format', 'json', '--junit', path.join(dir, 'bad.xml'));
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    const failed = out.results.filter((x: any) => x.status === 'fail');
    const by = Object.fromEntries(failed.map((x: any) => [`${x.column}:${x.expectation}`, x]));
    expect(Object.keys(by).sort()).toEqual(['amount:max', 'count:max_null_rate', 'count_f:type', 'country:categories', 'flag:present', 'score:drift']);
    expect(by['flag:present']).toMatchObject({ observed: false, expected: true, message: 'column "flag" is missing' });
    expect(by['count_f:type']).toMatchObject({ observed: 'categorical', expected: 'numeric' });
    expect(by['amount:max']).toMatchObject({ observed: 500, expected: 170, message: expect.stringContaining('(10 values above)') });
    expect(by['country:categories']).toMatchObject({ observed: ['XX'], expected: ['DE', 'FR', 'GB', 'IT', 'US'], message: expect.stringContaining('"XX"; 20 rows') });
    expect(by['count:max_null_rate'].observed).toBeGreaterThan(0.5);
    expect(by['score:drift']).toMatchObject({ expected: 0.1, message: expect.stringMatching(/^score drifted from the reference: wasserstein [\d.]+ >= 0.1$/) });
    expect(by['score:drift'].observed).toBeGreaterThan(0.3);
    // The other checks of those columns still ran; the dataset does not drift (1 of 5 compared columns).
    expect(out.results.find((x: any) => x.expectation === 'dataset_drift')).toMatchObject({ status: 'pass', observed: 0.2 });
    expect(out.summary).toMatchObject({ failed: 6 });

    // The table names each failure, and the JUnit report written beside it has one testcase per expectation.
    const table = await cli('--contract', contract, '--reference', path.join(F, 'ref.csv'), '--current', path.join(dir, 'bad.csv'));
    expect(table.code).toBe(1);
    for (const line of [/FAIL\s+flag\s+present\s+false\s+true/, /FAIL\s+count_f\s+type\s+categorical\s+numeric/, /FAIL\s+amount\s+max\s+500\s+<= 170/,
      /FAIL\s+country\s+categories\s+XX\s+one of DE, FR, GB, IT, US/, /FAIL\s+count\s+max_null_rate\s+0\.5\d*\s+<= 0\.0\d+/, /FAIL\s+score\s+drift\s+0\.\d+\s+0\.1/]) {
      expect(table.stdout).toMatch(line);
    }
    expect(table.stdout).toContain(`${out.summary.expectations} expectations: ${out.summary.passed} passed, 6 failed, ${out.summary.skipped} skipped -> FAIL`);
    expect(junitCases(fs.readFileSync(path.join(dir, 'bad.xml'), 'utf8'))).toHaveLength(out.results.length);
  });

  it('finds a new type, a missing and an extra column in the schema fixtures (contract learnt from the reference)', async () => {
    const r = await cli('--reference', path.join(F, 'schema_ref.csv'), '--current', path.join(F, 'schema_cur.csv'), '--format', 'json');
    expect(r.code).toBe(1);
    const failed = JSON.parse(r.stdout).results.filter((x: any) => x.status === 'fail');
    expect(failed.find((x: any) => x.column === 'mixed' && x.expectation === 'type')).toMatchObject({ observed: 'categorical', expected: 'numeric', message: 'mixed holds categorical values (String), expected numeric' });
    expect(failed.find((x: any) => x.column === 'only_ref')).toMatchObject({ expectation: 'present' });
    expect(failed.find((x: any) => x.column === 'only_cur')).toMatchObject({ expectation: 'in_contract' });
  });
});

/** The testcases of a JUnit report, parsed by a real XML parser (after validating the document). */
function junitCases(xml: string): any[] {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true, isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) }).parse(xml);
  return doc.testsuites.testsuite.flatMap((s: any) => s.testcase);
}

describe('modelwatch check --format junit', () => {
  it('parses as XML with one testcase per expectation, failures and skips marked', async () => {
    const json = JSON.parse((await cli('--contract', contract, '--current', path.join(dir, 'bad.csv'), '--format', 'json')).stdout);
    const r = await cli('--contract', contract, '--current', path.join(dir, 'bad.csv'), '--format', 'junit');
    expect(r.code).toBe(1);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(r.stdout);
    const cases = junitCases(r.stdout);
    expect(cases).toHaveLength(json.results.length);
    expect(cases.map((c) => c.name)).toEqual(json.results.map((x: any) => `${x.column ?? '(dataset)'}: ${x.expectation}`));
    expect(Number(doc.testsuites.tests)).toBe(json.results.length);
    expect(Number(doc.testsuites.failures)).toBe(json.summary.failed);
    expect(Number(doc.testsuites.skipped)).toBe(json.summary.skipped);
    const failures = cases.filter((c) => c.failure);
    // Without --reference there is no drift: five failures, drift skipped with its reason.
    expect(failures.map((c) => c.name).sort()).toEqual(['amount: max', 'count: max_null_rate', 'count_f: type', 'country: categories', 'flag: present']);
    expect(failures.find((c) => c.name === 'amount: max').failure).toMatchObject({ type: 'max', '#text': 'observed: 500\nexpected: <= 170' });
    expect(cases.find((c) => c.name === 'score: drift').skipped).toMatchObject({ message: 'drift not checked: no --reference given' });
  });

  it('escapes any column name and message into valid XML', () => {
    const names = ['a<b>&"c\'', 'tab\there', 'bell\u0007', 'emoji \u{1F600}', 'lone \uD800'];
    const results = names.map((column) => ({ expectation: 'present' as const, column, status: 'fail' as const, ok: false, observed: false, expected: true, message: `column ${column} is missing` }));
    const xml = toJunit(results, { current: 'x&y.csv', rows: { current: 0 }, seconds: 0, timestamp: new Date(0) });
    const cases = junitCases(xml);
    expect(cases.map((c) => c.name)).toEqual(['a<b>&"c\': present', 'tab\there: present', 'bell: present', 'emoji \u{1F600}: present', 'lone : present']);
    expect(cases[0].failure.message).toBe('column a<b>&"c\' is missing');
  });
});

describe('modelwatch check exit status', () => {
  it('exits 0 when every expectation passes and drift is skipped for want of a reference', async () => {
    const r = await cli('--contract', contract, '--current', path.join(F, 'cur.csv'), '--format', 'json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.results.filter((x: any) => x.status === 'skip').map((x: any) => x.expectation)).toEqual([...Array(7).fill('drift'), 'dataset_drift']);
  });

  it('exits 2 on an unreadable file, a bad flag or an invalid contract, naming the file, column and field', async () => {
    const cur = path.join(F, 'cur.csv');
    expect(await cli('--contract', contract, '--current', path.join(dir, 'missing.csv'))).toMatchObject({ code: 2, stderr: expect.stringContaining('missing.csv') });
    expect(await cli('--contract', path.join(dir, 'nope.yaml'), '--current', cur)).toMatchObject({ code: 2, stderr: expect.stringContaining('MW_ERR_CONTRACT_INVALID') });
    expect(await cli('--contract', contract, '--current', cur, '--format', 'xml')).toMatchObject({ code: 2, stderr: expect.stringContaining('--format xml') });
    expect(await cli('--current', cur)).toMatchObject({ code: 2, stderr: expect.stringContaining('give --contract') });
    expect((await cli('--contract', contract, '--current', cur, '--bogus')).code).toBe(2);
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'version: 1\ncolumns:\n  amount:\n    type: numeric\n    min: low\n  country: { categries: [DE] }\n');
    const r = await cli('--contract', bad, '--current', cur);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:5: column "amount": min: expected number, got "low"`);
    expect(r.stderr).toContain(`${bad}:6: column "country": categries: unknown field`);
    expect(r.stdout).toBe('');
    // A method the column's values cannot take, where the contract gives the column no type.
    fs.writeFileSync(bad, 'version: 1\ncolumns:\n  country: { drift: { method: ks } }\n');
    expect(await cli('--contract', bad, '--reference', path.join(F, 'ref.csv'), '--current', cur))
      .toMatchObject({ code: 2, stderr: expect.stringContaining(`${bad}: column "country": drift.method: ks does not apply to categorical columns`) });
  });

  it('says the exit codes in --help', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0\s+every expectation passed[\s\S]*1\s+at least one expectation failed[\s\S]*2\s+error/);
  });
});
