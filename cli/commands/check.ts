/**
 * `modelwatch check`: a data-contract gate for CI. Checks a current file against a contract
 * (written, or learnt from the reference) and drift against the reference; `--init` writes a
 * contract learnt from a reference file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { contractToYaml, driftSpec, parseContract, type Contract } from '../../analyzer/check/contract.ts';
import type { ObservedColumn } from '../../analyzer/check/observed.ts';
import { CATEGORICAL_METHODS } from '../../analyzer/drift/methods.ts';
import type { DriftMethod } from '../../analyzer/stats/index.ts';
import { evaluate, summarize, type CheckResult } from '../../analyzer/check/evaluate.ts';
import { learnContract } from '../../analyzer/check/learn.ts';
import { observeDrift, observeFile } from '../../analyzer/check/observe.ts';
import { fileSource } from '../../analyzer/drift/reference.ts';
import { isMwError, MwError } from '../../core/errors.ts';
import { createStore, type Store } from '../../storage/client.ts';
import { toCheckJson, toCheckTable, toJunit, type CheckMeta } from './check-report.ts';

interface Opts {
  reference?: string;
  current?: string;
  contract?: string;
  init?: boolean;
  categorical?: string[];
  rangeMargin?: string;
  force?: boolean;
  format: string;
  out?: string;
  junit?: string;
  all?: boolean;
}

const FORMATS = ['table', 'json', 'junit'];
const collect = (v: string, prev: string[] = []) => [...prev, v];

/** A usage error: exit 2, as commander's own. */
class UsageError extends Error {}

/** Runs `fn` on an embedded ClickHouse in a temp dir (no server needed), then removes it. */
async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-check-'));
  const store = await createStore({ dataDir });
  try {
    return await fn(store);
  } finally {
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Reads and validates a contract file. */
export function readContract(file: string): Contract {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new MwError('MW_ERR_CONTRACT_INVALID', `${file}: cannot be read: ${(err as Error).message}`, { file });
  }
  return parseContract(text, file);
}

/** `--init`: learns a contract from the reference and returns it as YAML. */
export async function initContract(reference: string, opts: { categorical?: string[]; rangeMargin?: number } = {}): Promise<{ yaml: string; columns: number }> {
  const ref = fileSource(reference);
  const obs = await withStore((store) => observeFile(store, ref, undefined, { categorical: opts.categorical }));
  const contract = learnContract(obs, { rangeMargin: opts.rangeMargin });
  return { yaml: contractToYaml(contract, `learnt from ${path.basename(reference)} (${obs.rows} rows)`), columns: Object.keys(contract.columns).length };
}

/** Checks the current file against the contract (or one learnt from the reference), drift included when a reference is given. */
export async function checkFiles(o: { reference?: string; current: string; contract?: string }): Promise<{ results: CheckResult[]; meta: CheckMeta }> {
  const t0 = performance.now();
  const timestamp = new Date();
  // Every path and the contract are checked before any file is read: a bad flag fails fast.
  const cur = fileSource(o.current);
  const ref = o.reference !== undefined ? fileSource(o.reference) : undefined;
  const given = o.contract !== undefined ? readContract(o.contract) : undefined;
  return withStore(async (store) => {
    let refRows: number | undefined;
    let contract = given;
    if (!contract) {
      const learnt = await observeFile(store, ref!);
      refRows = learnt.rows;
      contract = learnContract(learnt);
    }
    const facts = await observeFile(store, cur, contract);
    const drift = ref ? await observeDrift(store, ref, cur, contract).catch((err) => { throw namedMethodError(err, contract, facts.columns, o.contract); }) : { skipped: 'no --reference given' };
    if (!('skipped' in drift)) refRows = drift.referenceRows;
    const results = evaluate(contract, { ...facts, drift });
    const meta: CheckMeta = {
      current: o.current, reference: o.reference, contract: o.contract, rows: { current: facts.rows, reference: refRows },
      seconds: (performance.now() - t0) / 1000, timestamp,
    };
    return { results, meta };
  });
}

/**
 * A drift method that does not apply to a column's values (`ks` on text, where the contract gives
 * the column no type; `ztest` on three categories) is said with the contract file and the columns
 * that set a method the values cannot take, since the statistics' own message may name neither.
 */
function namedMethodError(err: unknown, contract: Contract, columns: ObservedColumn[], file: string | undefined): unknown {
  if (!isMwError(err, 'MW_ERR_DRIFT_METHOD') || !file) return err;
  const suspects = columns.filter((o) => {
    const m = (contract.columns[o.name] ? driftSpec(contract.columns[o.name]) : undefined)?.method as DriftMethod | undefined;
    return m && (o.type === 'categorical' || o.type === 'boolean') && (!CATEGORICAL_METHODS.includes(m) || m === 'ztest' || m === 'fisher');
  });
  const where = suspects.length ? `column${suspects.length > 1 ? 's' : ''} ${suspects.map((o) => JSON.stringify(o.name)).join(', ')}: ` : '';
  return new MwError('MW_ERR_DRIFT_METHOD', `${file}: ${where}drift.method: ${err.message.replace(/^unknown or inapplicable drift method: /, '')}`, { file }, { cause: err });
}

function render(format: string, results: CheckResult[], meta: CheckMeta, all: boolean): string {
  if (format === 'json') return JSON.stringify(toCheckJson(results, meta), null, 2) + '\n';
  if (format === 'junit') return toJunit(results, meta);
  return toCheckTable(results, meta, { all });
}

const HELP = `
Checks --current against a data contract: columns present, types, nullability, null rates,
ranges, allowed categories (learnt from --reference when no --contract is given), and drift
against --reference per column and for the dataset. Without --reference, drift is skipped (shown
as skipped, not failed). Each failed expectation is printed with its column, observed and
expected value. See docs/ci.md for the contract format and CI pipelines.

  modelwatch check --reference train.parquet --current batch.csv [--contract contract.yaml]
  modelwatch check --init --reference train.csv --out contract.yaml

Exit status (so that a CI step fails on a broken contract):
  0  every expectation passed (skipped ones do not fail); --init: contract written
  1  at least one expectation failed
  2  error: unreadable file, bad flag, invalid contract`;

/** Registers `modelwatch check`. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check a data file against a data contract (schema, nulls, ranges, categories, drift); exits 1 on a failure')
    .option('--reference <file>', 'reference data file (CSV, TSV, Parquet, NDJSON): drift, and the contract when none is given')
    .option('--current <file>', 'data file to check')
    .option('--contract <file>', 'data contract (YAML); default: learnt from --reference')
    .option('--init', 'write a contract learnt from --reference (to --out, else stdout)')
    .option('--categorical <name>', '--init: learn this column as categorical (repeatable)', collect)
    .option('--range-margin <x>', '--init: widen learnt min/max by this share of their span (default 0.1; 0: the extremes)')
    .option('--force', '--init: overwrite --out if it exists')
    .option('--format <fmt>', 'table | json | junit', 'table')
    .option('--out <file>', 'write the report (with --init: the contract) here instead of stdout')
    .option('--junit <file>', 'also write a JUnit XML report here (one test case per expectation)')
    .option('--all', 'table: list passed expectations too')
    .addHelpText('after', HELP)
    // Usage errors (a missing or unknown option) exit 2 like every other error; help exits 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (o: Opts) => {
      try {
        process.exitCode = await run(o);
      } catch (err) {
        const code = isMwError(err) ? `${err.code}: ` : '';
        process.stderr.write(`modelwatch check: ${code}${(err as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}

async function run(o: Opts): Promise<0 | 1 | 2> {
  if (o.init) {
    if (!o.reference) throw new UsageError('--init needs --reference <file> to learn from');
    for (const [flag, v] of [['--current', o.current], ['--contract', o.contract], ['--junit', o.junit]] as const) {
      if (v !== undefined) throw new UsageError(`--init learns from --reference only; ${flag} does not apply`);
    }
    if (o.out && fs.existsSync(o.out) && !o.force) throw new UsageError(`--out ${o.out} exists; give --force to overwrite it`);
    const margin = o.rangeMargin === undefined ? undefined : Number(o.rangeMargin);
    if (margin !== undefined && (o.rangeMargin!.trim() === '' || !Number.isFinite(margin) || margin < 0)) throw new UsageError(`--range-margin ${o.rangeMargin}: expected a number >= 0`);
    const { yaml, columns } = await initContract(o.reference, { categorical: o.categorical, rangeMargin: margin });
    if (o.out) {
      fs.writeFileSync(o.out, yaml);
      process.stderr.write(`modelwatch check: wrote ${o.out} (${columns} columns); edit it, then run: modelwatch check --contract ${o.out} --reference ${o.reference} --current <file>\n`);
    } else process.stdout.write(yaml);
    return 0;
  }
  if (!FORMATS.includes(o.format)) throw new UsageError(`--format ${o.format}: expected table, json or junit`);
  if (!o.current) throw new UsageError('--current <file> is required (or --init --reference <file>)');
  if (!o.reference && !o.contract) throw new UsageError('give --contract <file>, or --reference <file> to learn the contract from');
  if (o.categorical?.length || o.force || o.rangeMargin !== undefined) throw new UsageError('--categorical, --range-margin and --force apply to --init only');
  const { results, meta } = await checkFiles({ reference: o.reference, current: o.current, contract: o.contract });
  const text = render(o.format, results, meta, Boolean(o.all));
  if (o.out) fs.writeFileSync(o.out, text);
  else process.stdout.write(text);
  if (o.junit) fs.writeFileSync(o.junit, toJunit(results, meta));
  return summarize(results).ok ? 0 : 1;
}
