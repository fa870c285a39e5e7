import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { createStore } from '../../storage/client.ts';
import { compareSources, type ColumnDrift, type DriftReport } from '../../analyzer/drift/compute.ts';
import { fileSource } from '../../analyzer/drift/reference.ts';

/** The JSON shape `modelwatch drift --format json` prints. */
export interface DriftCliOutput {
  columns: { column: string; type: 'numeric' | 'categorical'; method: string; statistic: number; p_value: number | null; threshold: number; drift: boolean }[];
  dataset: { columns: number; drifted: number; share: number; drift: boolean };
}

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
export async function driftFiles(opts: Omit<Opts, 'format'>, onProgress?: (done: number, total: number) => void): Promise<DriftReport> {
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

/** The stable JSON form of a report. */
export function toCliJson(r: DriftReport): DriftCliOutput {
  return {
    columns: r.columns.map((c) => ({
      column: c.column, type: c.type, method: c.method, statistic: c.statistic, p_value: c.p_value, threshold: c.threshold, drift: c.drift,
    })),
    dataset: { columns: r.dataset.columns, drifted: r.dataset.drifted, share: r.dataset.share, drift: r.dataset.drift },
  };
}

/** A plain-text table of the report. */
export function toTable(r: DriftReport): string {
  const head = ['column', 'type', 'method', 'statistic', 'p_value', 'threshold', 'drift'];
  const rows = r.columns.map((c) => [c.column, c.type, c.method, c.statistic.toPrecision(4), c.p_value === null ? '-' : c.p_value.toPrecision(4), String(c.threshold), c.drift ? 'DRIFT' : 'ok']);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (x: string[]) => x.map((v, i) => v.padEnd(w[i])).join('  ');
  const d = r.dataset;
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line), '', `dataset: ${d.drifted}/${d.columns} columns drifted (share ${d.share.toFixed(3)}) -> ${d.drift ? 'DRIFT' : 'no drift'}`].join('\n') + '\n';
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Two overlaid bar histograms (reference grey, current blue) as inline SVG. */
export function histogramSvg(c: ColumnDrift): string {
  const bins = c.bins;
  if (!bins || bins.labels.length === 0) return '<p>no data</p>';
  const W = 520;
  const H = 160;
  const pad = 24;
  const n = bins.labels.length;
  const max = Math.max(1e-12, ...bins.reference, ...bins.current);
  const bw = (W - 2 * pad) / n;
  const bars: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = pad + i * bw;
    const hr = ((H - 2 * pad) * bins.reference[i]) / max;
    const hc = ((H - 2 * pad) * bins.current[i]) / max;
    bars.push(
      `<rect x="${(x + 1).toFixed(1)}" y="${(H - pad - hr).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${hr.toFixed(1)}" fill="#9aa0a6"><title>reference ${esc(bins.labels[i])}: ${(bins.reference[i] * 100).toFixed(1)}%</title></rect>`,
      `<rect x="${(x + bw / 2).toFixed(1)}" y="${(H - pad - hc).toFixed(1)}" width="${(bw / 2 - 1).toFixed(1)}" height="${hc.toFixed(1)}" fill="#1a73e8"><title>current ${esc(bins.labels[i])}: ${(bins.current[i] * 100).toFixed(1)}%</title></rect>`,
    );
    if (n <= 12) bars.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${H - 8}" font-size="8" text-anchor="middle">${esc(bins.labels[i].slice(0, 14))}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(c.column)} distributions"><line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#333"/>${bars.join('')}</svg>`;
}

/** One self-contained HTML report: no scripts, styles or images fetched from anywhere. */
export function toHtml(r: DriftReport, title: string): string {
  const d = r.dataset;
  const cols = r.columns.map((c) => `<section class="${c.drift ? 'drift' : 'ok'}"><h2>${esc(c.column)} <small>${c.type}</small> <b>${c.drift ? 'DRIFT' : 'no drift'}</b></h2>
<p>${esc(c.method)}: statistic ${c.statistic.toPrecision(4)}${c.p_value === null ? '' : `, p-value ${c.p_value.toPrecision(4)}`}, threshold ${c.threshold}${c.unseen?.length ? `; unseen categories: ${esc(c.unseen.slice(0, 20).join(', '))}` : ''}</p>
${histogramSvg(c)}</section>`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#202124}section{border-left:4px solid #34a853;padding:.2em 1em;margin:1em 0}section.drift{border-color:#ea4335}h2{font-size:1.1em}small{color:#5f6368;font-weight:normal}.legend span{display:inline-block;width:1em;height:1em;vertical-align:middle;margin:0 .3em}</style></head>
<body><h1>${esc(title)}</h1><p><b>Dataset drift: ${d.drift ? 'YES' : 'no'}</b> - ${d.drifted} of ${d.columns} columns drifted (share ${d.share.toFixed(3)}, threshold ${d.threshold}). Reference ${r.referenceRows} rows, current ${r.currentRows} rows.</p>
<p class="legend"><span style="background:#9aa0a6"></span>reference <span style="background:#1a73e8"></span>current</p>
${cols.join('\n')}</body></html>
`;
}

function progressBar(enabled: boolean): ((done: number, total: number) => void) | undefined {
  if (!enabled) return undefined;
  return (done, total) => {
    const w = 30;
    const k = Math.round((done / total) * w);
    process.stderr.write(`\r[${'#'.repeat(k)}${'.'.repeat(w - k)}] ${done}/${total} columns${done === total ? '\n' : ''}`);
  };
}

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
    .option('--progress', 'show a progress bar on stderr even when it is not a terminal')
    .action(async (o: Opts) => {
      if (!['json', 'table', 'html'].includes(o.format)) {
        process.stderr.write(`--format ${o.format}: expected json, table or html\n`);
        process.exitCode = 2;
        return;
      }
      try {
        const report = await driftFiles(o, progressBar(Boolean(o.progress) || Boolean(process.stderr.isTTY)));
        const text = o.format === 'json' ? JSON.stringify(toCliJson(report), null, 2) + '\n'
          : o.format === 'html' ? toHtml(report, `Drift: ${path.basename(o.current)} vs ${path.basename(o.reference)}`)
            : toTable(report);
        if (o.out) fs.writeFileSync(o.out, text);
        else process.stdout.write(text);
      } catch (err) {
        process.stderr.write(`modelwatch drift: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
