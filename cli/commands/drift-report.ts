/** The forms `modelwatch drift` prints a report in: JSON for machines, a table for terminals, one HTML file. */
import type { ColumnDrift, DriftReport } from '../../analyzer/drift/compute.ts';

/** One compared column in `--format json`. */
export interface CliColumn {
  column: string;
  type: 'numeric' | 'categorical';
  method: string;
  statistic: number;
  p_value: number | null;
  threshold: number;
  drift: boolean;
  /** exact (every value), sketch (quantile sketches, above the exact limit), mixed or sampled. */
  path: ColumnDrift['path'];
  reference_n: number;
  current_n: number;
  null_rate: { reference: number; current: number };
  non_finite?: { reference: number; current: number };
  note?: string;
  unseen?: string[];
}

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
<p>${esc(c.method)}: statistic ${c.statistic.toPrecision(4)}${c.p_value === null ? '' : `, p-value ${c.p_value.toPrecision(4)}`}, threshold ${c.threshold} (${c.path}); nulls ${pct(c.null_rate?.reference)} reference, ${pct(c.null_rate?.current)} current${c.unseen?.length ? `; unseen categories: ${esc(c.unseen.slice(0, 20).join(', '))}` : ''}</p>
${c.note ? `<p class="note">${esc(c.note)}</p>` : ''}${histogramSvg(c)}</section>`);
  const verdict = d.columns === 0
    ? '<b>No column could be compared</b> - there is no drift verdict; see the skipped columns below.'
    : `<b>Dataset drift: ${d.drift ? 'YES' : 'no'}</b> - ${d.drifted} of ${d.columns} columns drifted (share ${d.share.toFixed(3)}, threshold ${d.threshold}).`;
  const skipped = r.skipped.length === 0 ? '' : `<h2>Skipped columns</h2><table class="skipped"><thead><tr><th>column</th><th>reason</th></tr></thead><tbody>
${r.skipped.map((s) => `<tr><td>${esc(s.column || '""')}</td><td>${esc(s.reason)}</td></tr>`).join('\n')}</tbody></table>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#202124}section{border-left:4px solid #34a853;padding:.2em 1em;margin:1em 0}section.drift{border-color:#ea4335}h2{font-size:1.1em}small{color:#5f6368;font-weight:normal}.legend span{display:inline-block;width:1em;height:1em;vertical-align:middle;margin:0 .3em}table.skipped td,table.skipped th{text-align:left;padding:.1em 1em .1em 0}.note{color:#5f6368}</style></head>
<body><h1>${esc(title)}</h1><p>${verdict} Reference ${r.referenceRows} rows, current ${r.currentRows} rows.</p>
<p class="legend"><span style="background:#9aa0a6"></span>reference <span style="background:#1a73e8"></span>current</p>
${cols.join('\n')}
${skipped}</body></html>
`;
}
