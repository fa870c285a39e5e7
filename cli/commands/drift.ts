import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { createStore } from '../../storage/client.ts';
import { compareSources, type DriftReport } from '../../analyzer/drift/compute.ts';
import { fileSource } from '../../analyzer/drift/reference.ts';
import { htmlContext, toCliJson, toHtml, toTable } from './drift-report.ts';

interface Opts {
  reference: string;
  current: string;
  method?: string;
  column?: string[];
  categorical?: string[];
  threshold?: string;
  columnMethod?: string[];
  columnThreshold?: string[];
  correction?: string;
  format: 'json' | 'table' | 'html';
  failOn: 'dataset' | 'column' | 'never';
  out?: string;
  progress?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Parses repeated `column=value` flags into a record; the last one for a column wins. */
export function pairs(flag: string, items: string[] | undefined, parse: (v: string) => string | number = (v) => v): Record<string, string | number> | undefined {
  if (!items?.length) return undefined;
  const out: Record<string, string | number> = {};
  for (const item of items) {
    const i = item.lastIndexOf('=');
    if (i <= 0 || i === item.length - 1) throw new Error(`${flag} ${item}: expected column=value`);
    out[item.slice(0, i)] = parse(item.slice(i + 1));
  }
  return out;
}

const finiteNumber = (flag: string) => (v: string): number => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new Error(`${flag} ${v}: not a number`);
  return x;
};

/** Compares two files with an embedded ClickHouse on a temp dir; no server needed. */
export async function driftFiles(opts: Omit<Opts, 'format' | 'failOn'>, onProgress?: (done: number, total: number) => void): Promise<DriftReport> {
  const ref = fileSource(opts.reference);
  const cur = fileSource(opts.current);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-drift-'));
  const store = await createStore({ dataDir });
  try {
    const threshold = opts.threshold !== undefined ? finiteNumber('--threshold')(opts.threshold) : undefined;
    const methods = pairs('--column-method', opts.columnMethod) as Record<string, string> | undefined;
    const thresholds = pairs('--column-threshold', opts.columnThreshold, finiteNumber('--column-threshold')) as Record<string, number> | undefined;
    const correction = opts.correction ?? 'none';
    if (!['none', 'bonferroni', 'bh'].includes(correction)) throw new Error(`--correction ${correction}: expected none, bonferroni or bh`);
    return await compareSources(
      store, { kind: 'file', file: ref }, { kind: 'file', file: cur },
      { method: opts.method, threshold, methods, thresholds, correction: correction as 'none' | 'bonferroni' | 'bh', onProgress },
      { literal: true, columns: opts.column?.length ? new Set([...opts.column, ...(opts.categorical ?? [])]) : undefined, categorical: new Set(opts.categorical ?? []) },
    );
  } finally {
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A file's name and size for progress lines. */
function describeFile(p: string): string {
  const size = fs.statSync(p, { throwIfNoEntry: false })?.size;
  return size === undefined ? path.basename(p) : `${path.basename(p)} (${(size / 2 ** 20).toFixed(1)} MiB)`;
}

function progressBar(enabled: boolean): ((done: number, total: number) => void) | undefined {
  if (!enabled) return undefined;
  return (done, total) => {
    const w = 30;
    const k = Math.round((done / total) * w);
    process.stderr.write(`\r[${'#'.repeat(k)}${'.'.repeat(w - k)}] ${done}/${total} columns${done === total ? '\n' : ''}`);
  };
}

/** Exit status of a report under `--fail-on`: 0 pass, 1 drift, 2 nothing could be compared. */
export function exitStatus(r: DriftReport, failOn: Opts['failOn']): 0 | 1 | 2 {
  if (r.dataset.columns === 0) return 2;
  if (failOn === 'never') return 0;
  if (failOn === 'column') return r.columns.some((c) => c.drift) ? 1 : 0;
  return r.dataset.drift ? 1 : 0;
}

const EXIT_HELP = `
Exit status (like diff, so that a CI step fails on drift):
  0  no drift (under --fail-on)
  1  drift: dataset drift (--fail-on dataset, the default) or any drifted column (--fail-on column)
  2  error: unreadable file, bad flag, or no column that could be compared

Files are read as pandas, Polars, Spark and Arrow write them (CSV, TSV, Parquet, NDJSON): every
column of either file is reported, compared or skipped with its reason. Up to 1,000,000 values per
side every method is exact; above, quantile sketches are used (path "sketch"). See docs/drift.md.`;

/** Registers `modelwatch drift`. */
export function registerDrift(program: Command): void {
  program
    .command('drift')
    .description('compare two data files (CSV, Parquet, NDJSON) for drift, with no server running')
    .requiredOption('--reference <file>', 'reference data file')
    .requiredOption('--current <file>', 'current data file')
    .option('--method <name>', 'drift method for every column (default: by sample size and type)')
    .option('--column <name>', 'compare only these columns (repeatable)', collect)
    .option('--categorical <name>', 'treat this column as categorical (repeatable)', collect)
    .option('--threshold <x>', 'threshold for every column')
    .option('--column-method <column=method>', 'drift method for one column (repeatable; e.g. amount=anderson)', collect)
    .option('--column-threshold <column=x>', 'threshold for one column (repeatable)', collect)
    .option('--correction <c>', 'p-value correction over the columns: none | bonferroni | bh', 'none')
    .option('--format <fmt>', 'json | table | html', 'table')
    .option('--out <file>', 'write the report here instead of stdout')
    .option('--fail-on <what>', 'exit 1 on: dataset (dataset drift) | column (any drifted column) | never', 'dataset')
    .option('--progress', 'show a progress bar on stderr even when it is not a terminal')
    .addHelpText('after', EXIT_HELP)
    // Usage errors (a missing or unknown option) exit 2 like every other error; help exits 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (o: Opts) => {
      if (!['json', 'table', 'html'].includes(o.format)) {
        process.stderr.write(`modelwatch drift: --format ${o.format}: expected json, table or html\n`);
        process.exitCode = 2;
        return;
      }
      if (!['dataset', 'column', 'never'].includes(o.failOn)) {
        process.stderr.write(`modelwatch drift: --fail-on ${o.failOn}: expected dataset, column or never\n`);
        process.exitCode = 2;
        return;
      }
      try {
        const progress = Boolean(o.progress) || Boolean(process.stderr.isTTY);
        // Reading large files is most of the time: say so before the per-column bar starts.
        if (progress) process.stderr.write(`reading ${describeFile(o.reference)} and ${describeFile(o.current)} ...\n`);
        const report = await driftFiles(o, progressBar(progress));
        const text = o.format === 'json' ? JSON.stringify(toCliJson(report), null, 2) + '\n'
          : o.format === 'html' ? toHtml(report, `Drift: ${path.basename(o.current)} vs ${path.basename(o.reference)}`, htmlContext(o))
            : toTable(report);
        if (o.out) fs.writeFileSync(o.out, text);
        else process.stdout.write(text);
        const status = exitStatus(report, o.failOn);
        if (status === 2) process.stderr.write(`modelwatch drift: no column could be compared (${report.skipped.map((x) => `${x.column}: ${x.reason}`).join('; ') || 'no columns'})\n`);
        process.exitCode = status;
      } catch (err) {
        process.stderr.write(`modelwatch drift: ${(err as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
