/**
 * One column's section of the drift HTML report: its verdict and what the score means, the two
 * distributions (bins and CDFs for numeric columns, shares for categorical ones), quantiles, nulls.
 * Everything is drawn from the report's aggregates (bins, shares, rates): rows never reach the file.
 */
import type { ColumnDrift, NullRate } from '../../../analyzer/drift/types.ts';
import { fmtCompact, fmtCount, fmtNum, fmtPct, fmtPctFixed, parseBinLabel } from '../format.ts';
import { explainScore, ruleOf } from './explain.ts';
import { binsSvg, categorySvg, cdfSvg, esc, type CategoryRow } from './svg.ts';

/**
 * A column as the report reads it: the analyzer's verdict plus, when the analyzer provides them,
 * each side's quantiles at probabilities `p` (exact CDFs and quantile table; without them both are
 * derived from the decile bins).
 */
export type ReportColumn = ColumnDrift & { quantiles?: { p: number[]; reference: number[]; current: number[] } };

/** Numeric bins read back from their labels: n + 1 edges, shares and cumulative shares per edge. */
export interface NumericGrid {
  edges: number[];
  /** The reference's inner cuts as binned (its deciles, ties kept): quantile i/bins is deciles[i - 1]. */
  deciles: number[];
  reference: number[];
  current: number[];
  /** Share of values <= each edge (0 at the first edge, the sum of the shares at the last). */
  refCdf: number[];
  curCdf: number[];
}

function cumulative(v: number[]): number[] {
  const out = [0];
  for (const x of v) out.push(out[out.length - 1] + x);
  return out;
}

/** The numeric grid of a column binned at the reference deciles, or null (categories, no bins). */
export function numericGrid(c: ColumnDrift): NumericGrid | null {
  const b = c.bins;
  if (c.type !== 'numeric' || !b || b.labels.length === 0) return null;
  const e = b.labels.map(parseBinLabel);
  if (e.some((x) => x === null)) return null;
  // Repeated deciles (ties) give bins of no width that can hold nothing: leave them out.
  const keep = e.map((x, i) => !(x![0] === x![1] && b.reference[i] === 0 && b.current[i] === 0 && e.length > 1));
  const kept = e.filter((_, i) => keep[i]);
  const reference = b.reference.filter((_, i) => keep[i]);
  const current = b.current.filter((_, i) => keep[i]);
  const edges = [kept[0]![0], ...kept.map((x) => x![1])];
  return { edges, deciles: e.slice(1).map((x) => x![0]), reference, current, refCdf: cumulative(reference), curCdf: cumulative(current) };
}

/**
 * x where a piecewise-linear CDF through (xs, F) reaches share p, or the side of the range it lies
 * on when that is an outer bin (open-ended: interpolating to the overall min or max would invent a value).
 */
function inverse(xs: number[], F: number[], p: number): number | { below: number } | { above: number } {
  const n = xs.length - 1;
  for (let j = 1; j <= n; j++) {
    if (F[j] >= p - 1e-12) {
      if (j === 1 && n > 2) return { below: xs[1] };
      if (j === n && n > 2) return { above: xs[n - 1] };
      const d = F[j] - F[j - 1];
      return d > 0 ? xs[j - 1] + ((p - F[j - 1]) / d) * (xs[j] - xs[j - 1]) : xs[j];
    }
  }
  return { above: xs[n - 1] };
}

const signed = (x: number) => (x > 0 ? `+${fmtCompact(x)}` : fmtCompact(x));

/** The quantiles side by side: exact when the column carries them, else read from the decile grid. */
function quantileTable(c: ReportColumn, g: NumericGrid | null): string {
  let rows: [string, number, ReturnType<typeof inverse>][];
  let foot: string;
  if (c.quantiles) {
    rows = c.quantiles.p.map((p, i) => [fmtPct(p), c.quantiles!.reference[i], c.quantiles!.current[i]]);
    foot = 'Both sides\' quantiles as computed by the analyzer.';
  } else if (g && g.refCdf[g.refCdf.length - 1] > 0 && g.curCdf[g.curCdf.length - 1] > 0) {
    const n = g.deciles.length + 1;
    rows = g.deciles.map((d, k) => [fmtPct((k + 1) / n), d, inverse(g.edges, g.curCdf, (k + 1) / n)]);
    foot = 'Reference: the bin edges (its deciles, 4 significant digits). Current: interpolated inside those bins (≈), as the report carries only the bins; in the two open-ended outer bins only the side is known (< or >).';
  } else {
    return '';
  }
  const cell = (r: number, q: ReturnType<typeof inverse>) => (typeof q === 'number'
    ? `<td>${c.quantiles ? '' : '≈ '}${fmtCompact(q, 4)}</td><td>${signed(Number((q - r).toPrecision(4)))}</td>`
    : 'below' in q ? `<td>&lt; ${fmtCompact(q.below, 4)}</td><td>–</td>` : `<td>&gt; ${fmtCompact(q.above, 4)}</td><td>–</td>`);
  const body = rows.map(([p, r, q]) => `<tr><td>${p}</td><td>${fmtCompact(r, 4)}</td>${cell(r, q)}</tr>`).join('');
  return `<table class="q"><thead><tr><th>quantile</th><th>reference</th><th>current</th><th>change</th></tr></thead><tbody>${body}</tbody></table><p class="foot">${foot}</p>`;
}

/** The two CDF charts' points and the largest gap where both are measured. */
function cdfChart(c: ReportColumn, g: NumericGrid | null): string {
  if (c.quantiles) {
    const q = c.quantiles;
    return `<figure><figcaption>Cumulative distributions: share of each side's values ≤ x${c.method === 'ks' ? '; KS reads the largest vertical gap' : ''}</figcaption>${cdfSvg({
      reference: q.reference.map((x, i) => [x, q.p[i]]), current: q.current.map((x, i) => [x, q.p[i]]), marks: false, xTitle: c.column, label: `${c.column} cumulative distributions`,
    })}</figure>`;
  }
  if (!g) return '';
  const pts = (F: number[]) => g.edges.map((x, i) => [x, F[i]] as [number, number]);
  let gap = { x: g.edges[0], a: 0, b: 0 };
  for (let i = 1; i < g.edges.length - 1; i++) {
    if (Math.abs(g.refCdf[i] - g.curCdf[i]) > Math.abs(gap.a - gap.b)) gap = { x: g.edges[i], a: g.refCdf[i], b: g.curCdf[i] };
  }
  const d = Math.abs(gap.a - gap.b);
  const ks = c.method === 'ks' ? ` (KS, over every value: D = ${fmtNum(c.statistic)})` : '';
  return `<figure><figcaption>Cumulative distributions, measured at the reference deciles (dots) and joined by straight lines</figcaption>${cdfSvg({
    reference: pts(g.refCdf), current: pts(g.curCdf), gap: d > 0 ? gap : undefined, marks: true, xTitle: c.column, label: `${c.column} cumulative distributions`,
  })}<p class="foot">Largest gap at these points: ${fmtPct(d)} of the values at x = ${fmtCompact(gap.x, 4)} (dashed). KS reads the largest gap over every value, so its D is at least this${ks}.</p></figure>`;
}

/** The top categories by share (either side), the rest summed into "other". */
export function topCategories(c: ColumnDrift, top = 10): { rows: CategoryRow[]; others: number } {
  const b = c.bins!;
  const unseen = new Set(c.unseen ?? []);
  const all: CategoryRow[] = b.labels.map((l, i) => ({
    label: l === '__other__' ? 'other (beyond those read)' : l,
    reference: b.reference[i], current: b.current[i],
    ...(unseen.has(l) || (b.reference[i] === 0 && b.current[i] > 0) ? { tag: 'new' as const } : b.current[i] === 0 && b.reference[i] > 0 ? { tag: 'gone' as const } : {}),
  }));
  const order = [...all].sort((x, y) => Math.max(y.reference, y.current) - Math.max(x.reference, x.current) || x.label.localeCompare(y.label));
  const keep = order.length <= top + 1 ? order : order.slice(0, top);
  const rest = order.slice(keep.length);
  // Values of a numeric column compared as categories read best in their numeric order.
  if (keep.every((r) => r.label.trim() !== '' && Number.isFinite(Number(r.label)))) keep.sort((x, y) => Number(x.label) - Number(y.label));
  if (rest.length) {
    keep.push({ label: `other (${fmtCount(rest.length)})`, reference: rest.reduce((s, r) => s + r.reference, 0), current: rest.reduce((s, r) => s + r.current, 0) });
  }
  return { rows: keep, others: rest.length };
}

function listNames(names: string[], shares: Map<string, number>, max = 20): string {
  const shown = names.slice(0, max).map((n) => `<code>${esc(n)}</code>${shares.has(n) ? ` ${fmtPctFixed(shares.get(n))}` : ''}`);
  return shown.join(', ') + (names.length > max ? ` and ${fmtCount(names.length - max)} more` : '');
}

function categoryPart(c: ColumnDrift): string {
  const b = c.bins!;
  const { rows, others } = topCategories(c);
  const cur = new Map(b.labels.map((l, i) => [l, b.current[i]]));
  const ref = new Map(b.labels.map((l, i) => [l, b.reference[i]]));
  const unseen = c.unseen?.length ? c.unseen : b.labels.filter((l, i) => b.reference[i] === 0 && b.current[i] > 0);
  const gone = b.labels.filter((l, i) => b.current[i] === 0 && b.reference[i] > 0);
  const what = c.type === 'numeric' ? 'value' : 'category';
  const caption = `Share of non-null values per ${what}: ${others ? `the ${rows.length - 1} largest, the other ${fmtCount(others)} summed` : `all ${fmtCount(b.labels.length)}`}`;
  const extra = [
    unseen.length ? `<p class="unseen"><b>${fmtCount(unseen.length)} ${unseen.length === 1 ? what : `${what === 'value' ? 'values' : 'categories'}`} only in current</b> (unseen in reference; share of current): ${listNames(unseen, cur)}</p>` : '',
    gone.length ? `<p class="gone"><b>${fmtCount(gone.length)} missing from current</b> (share of reference): ${listNames(gone, ref)}</p>` : '',
  ].join('');
  return `<div class="charts"><figure><figcaption>${caption}</figcaption>${categorySvg(rows, { xTitle: 'share of non-null values', label: `${c.column} shares` })}</figure><div class="side">${extra}</div></div>`;
}

const PATH: Record<ColumnDrift['path'], string> = {
  exact: 'exact (every value)', sketch: 'from quantile sketches (above the exact limit)', mixed: 'values on one side, a sketch on the other', sampled: 'on a uniform sample',
};

/** Path, sample sizes and method details in one line. */
function facts(c: ColumnDrift): string {
  const d = c.details ?? {};
  const parts = [`${esc(c.method)}`, `score ${fmtNum(c.statistic)}`];
  if (c.p_value !== null) parts.push(`p-value ${fmtNum(c.p_value)}`);
  parts.push(`drift when ${ruleOf(c)}`, PATH[c.path] ?? c.path, `n = ${fmtCount(c.reference_n)} reference, ${fmtCount(c.current_n)} current`);
  if (typeof d.p_method === 'string') parts.push(`${d.p_method} p-value`);
  if (typeof d.p_value_raw === 'number') parts.push(`p-value before ${esc(String(d.correction))} correction ${fmtNum(d.p_value_raw)}`);
  const ss = d.sample_size as { reference?: number; current?: number } | undefined;
  if (ss) parts.push(`sampled ${fmtCount(ss.reference)} / ${fmtCount(ss.current)} values`);
  return parts.join(' · ');
}

/** The null-rate lines of a column: both sides with counts, and whether the rise is flagged. */
function nullsPart(c: ColumnDrift, rows: { reference: number; current: number }, flag?: NullRate): string {
  const nr = c.null_rate ?? { reference: 0, current: 0 };
  const side = (name: string, rate: number, n: number) =>
    `<div class="nl"><span>${name}</span><span class="nbar"><i style="width:${(Math.min(1, rate) * 100).toFixed(1)}%"></i></span><span>${fmtPctFixed(rate, 2)}</span><span class="muted">${fmtCount(Math.round(rate * n))} of ${fmtCount(n)} rows</span></div>`;
  const rise = nr.current - nr.reference;
  const flagged = flag?.drift ? `<p class="flag">Null rate rose by ${fmtNum(rise * 100)} points (flagged above ${fmtNum((flag.threshold ?? 0.05) * 100)} points).</p>` : '';
  const inf = c.non_finite ? `<p class="muted">Infinite values, left out of every statistic: ${fmtCount(c.non_finite.reference)} in reference, ${fmtCount(c.non_finite.current)} in current.</p>` : '';
  return `<div class="nulls"><h4>Nulls</h4>${side('reference', nr.reference, rows.reference)}${side('current', nr.current, rows.current)}${flagged}${inf}</div>`;
}

const VERDICT = (c: ColumnDrift) => (c.status === 'nodata' ? ['nodata', 'no data'] : c.drift ? ['drift', 'drift'] : ['ok', 'no drift']);

/** The report section of one compared column; `id` is its anchor (column names can hold anything). */
export function columnSection(c: ReportColumn, id: string, rows: { reference: number; current: number }, flag?: NullRate): string {
  const [kind, word] = VERDICT(c);
  const g = numericGrid(c);
  const drawn = Boolean(c.bins && c.bins.labels.length && (c.reference_n > 0 || c.current_n > 0));
  let charts: string;
  if (!drawn) {
    charts = '<p class="muted">No values to draw.</p>';
  } else if (g) {
    const n = g.deciles.length + 1;
    charts = `<div class="charts"><figure><figcaption>Distribution: share of values per bin; the bins are cut at the reference deciles, so each holds about ${fmtPct(1 / n)} of the reference and the current bars show where values moved</figcaption>${binsSvg({
      edges: g.edges, reference: g.reference, current: g.current, xTitle: `${c.column} (bin edges)`, label: `${c.column} distributions`,
    })}</figure>${cdfChart(c, g)}</div>`;
  } else {
    charts = categoryPart(c);
  }
  const numericExtra = c.type === 'numeric' && (g || c.quantiles) ? `<div class="quant"><h4>Quantiles</h4>${quantileTable(c, g)}</div>` : '';
  return `<section class="col ${kind}" id="${id}"><h3><span class="cn">${esc(c.column || '""')}</span> <span class="ty">${c.type}</span> <span class="badge ${kind}">${word}</span></h3>`
    + `<p class="explain">${esc(explainScore(c))}</p><p class="facts">${facts(c)}</p>`
    + `${c.note ? `<p class="note">Note: ${esc(c.note)}</p>` : ''}`
    + `<p class="legend"><i class="kr"></i>reference (n = ${fmtCount(c.reference_n)}) <i class="kc"></i>current (n = ${fmtCount(c.current_n)})</p>`
    + `${charts}<div class="below">${numericExtra}${nullsPart(c, rows, flag)}</div></section>`;
}
