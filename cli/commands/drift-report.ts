/** The forms `modelwatch drift` prints a report in: JSON for machines, a table for terminals, one HTML file. */
import fs from 'node:fs';
import path from 'node:path';
import type { ColumnDrift, DriftReport } from '../../analyzer/drift/compute.ts';
import type { ReportOptions } from '../../ui/src/report/explain.ts';
import { renderDriftReport, type ReportSource } from '../../ui/src/report/page.ts';

/** One compared column in `--format json`: the report's verdict fields, with the null rate always present. */
export type CliColumn = Pick<
  ColumnDrift, 'column' | 'type' | 'method' | 'statistic' | 'p_value' | 'threshold' | 'drift' | 'path' | 'reference_n' | 'current_n' | 'non_finite' | 'note' | 'unseen'
> & { null_rate: { reference: number; current: number } };

/** The JSON shape `modelwatch drift --format json` prints. */
export interface DriftCliOutput {
  columns: CliColumn[];
  skipped: { column: string; reason: string }[];
  dataset: { columns: number; drifted: number; share: number; drift: boolean };
  rows: { reference: number; current: number };
}

/** The stable JSON form of a report. */
export function toCliJson(r: DriftReport): DriftCliOutput {
  return {
    columns: r.columns.map((c) => ({
      column: c.column, type: c.type, method: c.method, statistic: c.statistic, p_value: c.p_value, threshold: c.threshold, drift: c.drift,
      path: c.path, reference_n: c.reference_n, current_n: c.current_n, null_rate: c.null_rate ?? { reference: 0, current: 0 },
      ...(c.non_finite ? { non_finite: c.non_finite } : {}),
      ...(c.note ? { note: c.note } : {}),
      ...(c.unseen?.length ? { unseen: c.unseen } : {}),
    })),
    skipped: r.skipped,
    dataset: { columns: r.dataset.columns, drifted: r.dataset.drifted, share: r.dataset.share, drift: r.dataset.drift },
    rows: { reference: r.referenceRows, current: r.currentRows },
  };
}

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);

/** The dataset line: the verdict, or that nothing could be compared. */
export function datasetLine(r: DriftReport): string {
  const d = r.dataset;
  if (d.columns === 0) return `dataset: no column could be compared (${r.skipped.length} skipped) -> no verdict`;
  return `dataset: ${d.drifted}/${d.columns} columns drifted (share ${d.share.toFixed(3)}, threshold ${d.threshold}) -> ${d.drift ? 'DRIFT' : 'no drift'}`;
}

/** A plain-text table of the report, then the skipped columns and resolved type conflicts. */
export function toTable(r: DriftReport): string {
  const head = ['column', 'type', 'method', 'statistic', 'p_value', 'threshold', 'drift', 'path', 'null ref', 'null cur'];
  const rows = r.columns.map((c) => [
    c.column, c.type, c.method, c.statistic.toPrecision(4), c.p_value === null ? '-' : c.p_value.toPrecision(4), String(c.threshold), c.drift ? 'DRIFT' : 'ok',
    c.path, pct(c.null_rate?.reference), pct(c.null_rate?.current),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (x: string[]) => x.map((v, i) => v.padEnd(w[i])).join('  ').trimEnd();
  const out = [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line), ''];
  const notes = r.columns.filter((c) => c.note || c.non_finite);
  if (notes.length) {
    out.push('notes:');
    for (const c of notes) {
      const parts = [c.note, c.non_finite ? `infinite values ignored: ${c.non_finite.reference} in reference, ${c.non_finite.current} in current` : undefined];
      out.push(`  ${c.column}: ${parts.filter(Boolean).join('; ')}`);
    }
    out.push('');
  }
  if (r.skipped.length) {
    out.push('skipped:');
    const cw = Math.max(...r.skipped.map((s) => s.column.length || 2));
    for (const s of r.skipped) out.push(`  ${(s.column || '""').padEnd(cw)}  ${s.reason}`);
    out.push('');
  }
  out.push(datasetLine(r));
  return out.join('\n') + '\n';
}

/** What `modelwatch drift` knows besides the report: the files and the options given. */
export interface HtmlContext {
  reference?: string;
  current?: string;
  options?: ReportOptions;
}

/** The raw `modelwatch drift` flags the report repeats. */
interface DriftFlags {
  reference: string;
  current: string;
  method?: string;
  threshold?: string;
  columnMethod?: string[];
  columnThreshold?: string[];
  correction?: string;
  column?: string[];
  categorical?: string[];
}

/** The report's context from the command's flags (already validated by the comparison). */
export function htmlContext(o: DriftFlags): HtmlContext {
  const pairs = (items: string[] | undefined) => Object.fromEntries((items ?? []).map((x) => [x.slice(0, x.lastIndexOf('=')), x.slice(x.lastIndexOf('=') + 1)]));
  const thresholds = Object.fromEntries(Object.entries(pairs(o.columnThreshold)).map(([k, v]) => [k, Number(v)]));
  return {
    reference: o.reference,
    current: o.current,
    options: {
      method: o.method, threshold: o.threshold === undefined ? undefined : Number(o.threshold), methods: pairs(o.columnMethod), thresholds,
      correction: o.correction ?? 'none', columns: o.column, categorical: o.categorical,
    },
  };
}

function fileSourceInfo(file: string): ReportSource {
  try {
    const st = fs.statSync(file);
    // The path as given: an absolute one would put the local directory layout into a file that gets shared.
    return { name: path.basename(file), path: file, bytes: st.size, modified: st.mtime.toISOString() };
  } catch {
    return { name: path.basename(file), path: file };
  }
}

let version: string | undefined;
function toolName(): string {
  try {
    version ??= (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    version = '';
  }
  return `modelwatch${version ? ` ${version}` : ''}`;
}

/**
 * One self-contained HTML report (inline CSS and SVG, a small inline sorting script; nothing is
 * fetched): the verdict, sources and settings, a summary of every column, then each column's charts.
 */
export function toHtml(r: DriftReport, title: string, ctx: HtmlContext = {}): string {
  return renderDriftReport(r, {
    title,
    reference: ctx.reference ? fileSourceInfo(ctx.reference) : undefined,
    current: ctx.current ? fileSourceInfo(ctx.current) : undefined,
    options: ctx.options,
    generated: new Date().toISOString(),
    tool: toolName(),
  });
}
