/**
 * The drift HTML report: one self-contained file (inline CSS and SVG, one small inline script that
 * only sorts the summary; no request ever leaves the page). The verdict, the sources and settings,
 * a summary of every column, the columns not compared with their reasons, then one section per column.
 */
import type { ColumnDrift, DriftReport } from '../../../analyzer/drift/types.ts';
import { fmtBytes, fmtCount, fmtNum, fmtPct, fmtPctFixed } from '../format.ts';
import { columnSection, type ReportColumn } from './column.ts';
import { correctionLine, DEFAULT_RULE, overrides, ruleOf, type ReportOptions } from './explain.ts';
import { REPORT_CSS, SORT_SCRIPT } from './style.ts';
import { esc, gaugeSvg, markerDefs } from './svg.ts';

/** What is known of one side: a file (size, modification time) or a time window. */
export interface ReportSource {
  /** Shown name: a file's base name, or a window's description. */
  name: string;
  path?: string;
  bytes?: number;
  /** ISO times. */
  modified?: string;
  from?: string;
  to?: string;
}

/** Everything a report shows besides the DriftReport itself. */
export interface ReportMeta {
  title: string;
  reference?: ReportSource;
  current?: ReportSource;
  options?: ReportOptions;
  /** ISO time the report was made. */
  generated?: string;
  /** "modelwatch 0.1.0". */
  tool?: string;
}

const VERDICT_ORDER = (c: ColumnDrift) => (c.status === 'nodata' ? 2 : c.drift ? 0 : 1);

/** Drifted columns first, then the others, then those without data; by name within each group. */
export function reportOrder(cols: ColumnDrift[]): ColumnDrift[] {
  return [...cols].sort((a, b) => VERDICT_ORDER(a) - VERDICT_ORDER(b) || a.column.localeCompare(b.column));
}

// Times in UTC: the file is read in other time zones than the one it was made in.
const utc = (iso: string) => {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
};

function sourceTile(label: string, s: ReportSource | undefined, rows: number): string {
  const hints = [`${fmtCount(rows)} rows`];
  if (s?.bytes !== undefined) hints.push(fmtBytes(s.bytes));
  if (s?.from && s?.to) hints.push(`${utc(s.from)} to ${utc(s.to)}`);
  else if (s?.modified) hints.push(`modified ${utc(s.modified)}`);
  return `<div class="tile"><div class="tl">${label}</div><div class="tv"${s?.path ? ` title="${esc(s.path)}"` : ''}>${esc(s?.name ?? label.toLowerCase())}</div><div class="th">${hints.join(' · ')}</div></div>`;
}

function verdictBlock(r: DriftReport): string {
  const d = r.dataset;
  if (d.columns === 0) {
    const noShared = r.skipped.length > 0 && r.skipped.every((s) => s.reason.startsWith('only in') || s.reason.startsWith('index column'));
    const why = r.columns.length === 0 && noShared
      ? 'The two sides share no column: every column is only in the reference or only in the current data (listed below).'
      : r.columns.length === 0
        ? 'Every column was skipped; the reasons are listed below.'
        : 'Every shared column is empty on one side, so there is nothing to compare.';
    return `<div class="verdict none" id="verdict" data-verdict="none"><b>No verdict</b><span><strong>No column could be compared.</strong> ${why} modelwatch drift exits with status 2 here.</span></div>`;
  }
  const word = d.drift ? 'Dataset drift' : 'No dataset drift';
  return `<div class="verdict ${d.drift ? 'drift' : 'ok'}" id="verdict" data-verdict="${d.drift ? 'drift' : 'ok'}"><b>${word}</b><span>${fmtCount(d.drifted)} of ${fmtCount(d.columns)} compared columns drifted (${fmtPct(d.share)}); the dataset drifts when ${fmtPct(d.threshold)} or more do.</span></div>`;
}

function settings(r: DriftReport, meta: ReportMeta): string {
  const used = new Map<string, number>();
  for (const c of r.columns) used.set(c.method, (used.get(c.method) ?? 0) + 1);
  const usedLine = [...used].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${esc(m)} × ${n}`).join(', ') || 'none';
  const nullT = r.nullRates[0]?.threshold ?? 0.05;
  const made = [meta.generated ? utc(meta.generated) : '', meta.tool ? `by ${esc(meta.tool)}` : ''].filter(Boolean).join(' ');
  return `<dl class="settings"><dt>Methods</dt><dd>Used: ${usedLine}. ${esc(DEFAULT_RULE)} Set for this report: ${esc(overrides(meta.options))}.</dd>`
    + `<dt>Correction</dt><dd>${esc(correctionLine(meta.options, r.columns))}.</dd>`
    + `<dt>Nulls</dt><dd>Nulls never enter a test; the null rate is its own signal, flagged ▲ when it rises by more than ${fmtNum(nullT * 100)} points.</dd>`
    + `<dt>Contents</dt><dd>Aggregates only (bin and category shares, rates, scores); no row of either side is in this file.${made ? ` Made ${made}.` : ''}</dd></dl>`;
}

const td = (v: string, sort?: number | null, cls = 'num') => `<td class="${cls}"${sort === undefined || sort === null || !Number.isFinite(sort) ? '' : ` data-v="${sort}"`}>${v}</td>`;

function summaryRow(c: ColumnDrift, id: string, nullUp: boolean): string {
  const [kind, word, rank] = c.status === 'nodata' ? ['nodata', 'no data', 2] : c.drift ? ['drift', 'drift', 0] : ['ok', 'ok', 1];
  const nr = c.null_rate ?? { reference: 0, current: 0 };
  const unseen = c.unseen?.length ?? 0;
  return `<tr class="${kind}" data-column="${esc(c.column)}"><td><a href="#${id}">${esc(c.column || '""')}</a></td><td>${c.type}</td><td>${esc(c.method)}</td>`
    + td(fmtNum(c.statistic), c.statistic) + td(c.p_value === null ? '–' : fmtNum(c.p_value), c.p_value) + td(esc(ruleOf(c).replace(/^score /, '')), c.threshold)
    + `<td data-v="${rank}"><span class="badge ${kind}">${word}</span></td>`
    + td(`${fmtCount(c.reference_n)} / ${fmtCount(c.current_n)}`, c.current_n)
    + td(`${fmtPctFixed(nr.reference)} / ${fmtPctFixed(nr.current)}${nullUp ? ' <span class="up" title="null rate rose">▲</span>' : ''}`, nr.current)
    + td(unseen ? `<span title="${esc((c.unseen ?? []).slice(0, 20).join(', '))}">${fmtCount(unseen)}</span>` : c.type === 'categorical' ? '0' : '–', unseen)
    + `<td>${c.path}</td></tr>`;
}

function summaryTable(r: DriftReport, ids: Map<ColumnDrift, string>, order: ColumnDrift[]): string {
  if (order.length === 0) return '<p class="muted" id="summary-empty">No column was compared.</p>';
  const nullUp = new Set(r.nullRates.filter((n) => n.drift).map((n) => n.column));
  const head = ['column', 'type', 'method', '#score', '#p-value', '#threshold', 'verdict', '#n ref / cur', '#nulls ref / cur', '#unseen', 'path']
    .map((h) => (h.startsWith('#') ? `<th class="num">${h.slice(1)}</th>` : h === 'verdict' ? '<th data-num>verdict</th>' : `<th>${h}</th>`)).join('');
  return `<div class="tablewrap"><table class="sum" id="summary"><thead><tr>${head}</tr></thead><tbody>${order.map((c) => summaryRow(c, ids.get(c)!, nullUp.has(c.column))).join('')}</tbody></table></div>`;
}

function skippedTable(r: DriftReport): string {
  if (r.skipped.length === 0) return '';
  // One cell per column and reason, as the CLI tests read them.
  const rows = r.skipped.map((s) => `<tr><td>${esc(s.column || '""')}</td><td>${esc(s.reason)}</td></tr>`).join('\n');
  return `<h2 id="skipped-h">Not compared (${fmtCount(r.skipped.length)})</h2><div class="tablewrap"><table class="skipped" id="skipped"><thead><tr><th>column</th><th>reason</th></tr></thead><tbody>\n${rows}</tbody></table></div>`;
}

/** The whole report as one HTML document. */
export function renderDriftReport(r: DriftReport, meta: ReportMeta): string {
  const d = r.dataset;
  const order = reportOrder(r.columns);
  const ids = new Map(order.map((c, i) => [c, `c${i + 1}`]));
  const flags = new Map(r.nullRates.map((n) => [n.column, n]));
  const rows = { reference: r.referenceRows, current: r.currentRows };
  const driftTile = d.columns === 0
    ? `<div class="tile"><div class="tl">Drifted columns</div><div class="tv">–</div><div class="th">nothing compared</div></div>`
    : `<div class="tile"><div class="tl">Drifted columns</div><div class="tv">${fmtCount(d.drifted)} of ${fmtCount(d.columns)}</div>${gaugeSvg(d.share, d.threshold, d.drift)}<div class="th">share ${fmtPct(d.share)}; dataset drift at ≥ ${fmtPct(d.threshold)} (the line)</div></div>`;
  const skippedTile = `<div class="tile"><div class="tl">Not compared</div><div class="tv">${fmtCount(r.skipped.length)}</div><div class="th">${r.skipped.length ? '<a href="#skipped-h">columns and reasons</a>' : 'every column was compared'}</div></div>`;
  const sections = order.map((c) => columnSection(c as ReportColumn, ids.get(c)!, rows, flags.get(c.column))).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`
    + `<title>${esc(meta.title)}</title><style>${REPORT_CSS}</style></head><body>${markerDefs()}<main>`
    + `<header><p class="kicker">modelwatch drift report</p><h1>${esc(meta.title)}</h1>${verdictBlock(r)}`
    + `<div class="tiles">${driftTile}${sourceTile('Reference', meta.reference, r.referenceRows)}${sourceTile('Current', meta.current, r.currentRows)}${skippedTile}</div>`
    + `${settings(r, meta)}</header>`
    + `<h2 id="summary-h">Summary</h2><p class="muted">Every compared column, drifted first. A column's name leads to its charts; with JavaScript on, a heading sorts the table.</p>`
    + `${summaryTable(r, ids, order)}${skippedTable(r)}`
    + `${order.length ? `<h2 id="columns-h">Columns</h2>\n${sections}` : ''}`
    + `<footer>Made by modelwatch from aggregates only; methods and their definitions: docs/drift.md.</footer></main><script>${SORT_SCRIPT}</script></body></html>\n`;
}
