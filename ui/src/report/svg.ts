/**
 * Static SVG charts of the drift HTML report, drawn in Node (the report works with JavaScript off):
 * binned distributions, empirical CDFs, category shares and the drift-share gauge. Ticks, colours
 * and label layout come from ../axis.ts and ../format.ts, shared with the web UI.
 */
import { AXIS_COLORS, SIDE_COLORS, fitLabel, layoutTicks, niceTicks, textWidth, type TickLayout } from '../axis.ts';
import { fmtCompact, fmtPct, fmtPctFixed } from '../format.ts';

/** Escapes text for HTML and SVG content and attribute values. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const FONT = 11;
const W = 560;
const f1 = (x: number) => String(Math.round(x * 10) / 10);

/** Text colours of the two sides: the bar colours darkened to read on white. */
export const SIDE_TEXT = { reference: '#3d5f9e', current: '#a0560b' } as const;

/** 0 up to a round value at or above `max`, with about `count` ticks. */
function shareTicks(max: number, count = 4): number[] {
  const top = max > 0 ? max : 1;
  const t = niceTicks(0, top, count);
  if (t[t.length - 1] < top) t.push(Number((t[t.length - 1] + (t[1] - t[0])).toPrecision(12)));
  return t;
}

// Tick labels ('t') carry no class: they are most of the text, and the default style is theirs.
function text(x: number, y: number, s: string, cls: string, extra = ''): string {
  return `<text${cls === 't' ? '' : ` class="${cls}"`} x="${f1(x)}" y="${f1(y)}"${extra}>${esc(s)}</text>`;
}

/** Labels of a horizontal axis under y = `y0`, laid out by layoutTicks. */
function xLabels(xs: number[], lay: TickLayout, y0: number): string {
  return lay.labels.map((l, i) => {
    if (!l) return '';
    // Both forms start a few pixels below the axis so they clear the lowest y label ("0%").
    if (lay.angle === 0) return text(xs[i], y0 + 8 + FONT, l, 't', ' text-anchor="middle"');
    const x = xs[i] + FONT * 0.35;
    const y = y0 + 12;
    return text(x, y, l, 't', ` text-anchor="end" transform="rotate(-45 ${f1(x)} ${f1(y)})"`);
  }).join('');
}

/** A vertical share axis: grid lines, tick labels and its title; returns the SVG and the label width. */
function yAxis(ticks: number[], left: number, right: number, y: (v: number) => number, fmt: (v: number) => string): string {
  const parts: string[] = [];
  for (const t of ticks) {
    parts.push(`<path class="g" d="M${f1(left)} ${f1(y(t))}H${f1(right)}"/>`);
    parts.push(text(left - 6, y(t) + FONT * 0.35, fmt(t), 't', ' text-anchor="end"'));
  }
  return parts.join('');
}

function yTitle(title: string, top: number, bottom: number): string {
  const cy = (top + bottom) / 2;
  return text(FONT + 1, cy, title, 'at', ` text-anchor="middle" transform="rotate(-90 ${FONT + 1} ${f1(cy)})"`);
}

function svgOpen(h: number, label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${W} ${f1(h)}" width="${W}" height="${f1(h)}" role="img" aria-label="${esc(label)}">`;
}

/** Finds a left margin and tick layout that agree: the first label may need more room than the y labels. */
function fitX(n: number, minLeft: number, right: number, labels: string[], thin: boolean): { left: number; xs: number[]; lay: TickLayout } {
  let left = minLeft;
  for (let pass = 0; ; pass++) {
    const xs = Array.from({ length: n }, (_, i) => left + (n === 1 ? 0 : (i * (W - right - left)) / (n - 1)));
    const lay = layoutTicks(labels, xs, FONT, { thin });
    const need = Math.max(minLeft, Math.ceil(lay.left) + 4);
    if (need <= left || pass >= 3) return { left, xs, lay };
    left = need;
  }
}

/** Options of a binned distribution chart. */
export interface BinsChart {
  /** Bin edges (n + 1 values) for numeric bins, labelled at the bin boundaries. */
  edges: number[];
  reference: number[];
  current: number[];
  xTitle: string;
  label: string;
}

/** Reference and current shares per bin as grouped bars; bins drawn equally wide, labelled at their edges. */
export function binsSvg(o: BinsChart): string {
  const n = o.reference.length;
  const yt = shareTicks(Math.max(...o.reference, ...o.current));
  const yLab = yt.map((v) => fmtPct(v, 3));
  const minLeft = Math.max(...yLab.map((s) => textWidth(s, FONT))) + 6 + FONT * 2 + 4;
  const right = 16;
  const { left, xs, lay } = fitX(n + 1, minLeft, right, o.edges.map((e) => fmtCompact(e, 4)), true);
  const top = 10;
  const plotH = 150;
  const y0 = top + plotH;
  const h = y0 + lay.height + FONT + 12;
  const y = (v: number) => y0 - (plotH * v) / yt[yt.length - 1];
  const bw = (W - right - left) / n;
  let refD = '';
  let curD = '';
  const hits: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = left + i * bw;
    const half = Math.max(1, bw * 0.4);
    const hr = y0 - y(o.reference[i]);
    const hc = y0 - y(o.current[i]);
    if (hr > 0) refD += `M${f1(x + bw * 0.1)} ${f1(y0)}v${f1(-hr)}h${f1(half)}v${f1(hr)}z`;
    if (hc > 0) curD += `M${f1(x + bw * 0.5)} ${f1(y0)}v${f1(-hc)}h${f1(half)}v${f1(hc)}z`;
    const range = `${fmtCompact(o.edges[i], 4)} to ${fmtCompact(o.edges[i + 1], 4)}`;
    hits.push(`<rect class="hit" x="${f1(x)}" y="${top}" width="${f1(bw)}" height="${plotH}"><title>${esc(range)}: reference ${fmtPctFixed(o.reference[i])}, current ${fmtPctFixed(o.current[i])}</title></rect>`);
  }
  const ticks = xs.map((x) => `M${f1(x)} ${f1(y0)}v4`).join('');
  return `${svgOpen(h, o.label)}${yAxis(yt, left, W - right, y, (v) => fmtPct(v, 3))}${yTitle('share of values', top, y0)}`
    + `<path fill="${SIDE_COLORS.reference}" d="${refD}"/><path fill="${SIDE_COLORS.current}" d="${curD}"/>${hits.join('')}`
    + `<path class="ax" d="M${f1(left)} ${f1(y0)}H${f1(W - right)}${ticks}"/>${xLabels(xs, lay, y0)}`
    + `${text((left + W - right) / 2, h - 4, o.xTitle, 'at', ' text-anchor="middle"')}</svg>`;
}

/** Options of an empirical CDF chart: each side's (x, share of values <= x) points. */
export interface CdfChart {
  reference: [number, number][];
  current: [number, number][];
  /** The largest vertical gap between the curves, drawn as a dashed line. */
  gap?: { x: number; a: number; b: number };
  /** Marks on the points (where the CDFs were measured). */
  marks: boolean;
  xTitle: string;
  label: string;
}

/** Two empirical CDFs on a numeric x axis, y from 0 to 100%. */
export function cdfSvg(o: CdfChart): string {
  const all = [...o.reference, ...o.current].map((p) => p[0]);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (!(hi > lo)) {
    const d = Math.abs(lo) * 0.5 || 1;
    lo -= d;
    hi += d;
  }
  const yt = [0, 0.25, 0.5, 0.75, 1];
  const minLeft = textWidth('100%', FONT) + 6 + FONT * 2 + 4;
  const right = 16;
  const top = 10;
  const plotH = 150;
  const y0 = top + plotH;
  const left = minLeft;
  const xOf = (v: number) => left + ((v - lo) / (hi - lo)) * (W - right - left);
  // Fewer round ticks until their labels sit side by side, inside the chart, without touching.
  let pick: { xs: number[]; lay: TickLayout } | undefined;
  for (let count = 7; count >= 2; count--) {
    const ticks = niceTicks(lo, hi, count);
    const xs = ticks.map(xOf);
    const lay = layoutTicks(ticks.map((t) => fmtCompact(t)), xs, FONT);
    pick = { xs, lay };
    if (lay.angle === 0 && xs[0] - lay.left >= FONT * 2 && xs[xs.length - 1] + lay.right <= W) break;
  }
  const { xs, lay: layout } = pick!;
  const h = y0 + layout.height + FONT + 12;
  const y = (v: number) => y0 - plotH * v;
  const line = (pts: [number, number][]) => pts.map((p, i) => `${i ? 'L' : 'M'}${f1(xOf(p[0]))} ${f1(y(p[1]))}`).join('');
  const mark = (side: string) => (o.marks ? ` class="mk${side}"` : '');
  const gap = o.gap ? `<path class="gap" d="M${f1(xOf(o.gap.x))} ${f1(y(o.gap.a))}V${f1(y(o.gap.b))}"/>` : '';
  return `${svgOpen(h, o.label)}${yAxis(yt, left, W - right, y, (v) => fmtPct(v))}${yTitle('share of values ≤ x', top, y0)}`
    + `<path class="ax" d="M${f1(left)} ${f1(y0)}H${f1(W - right)}${xs.map((x) => `M${f1(x)} ${f1(y0)}v4`).join('')}"/>`
    + `<path${mark('r')} fill="none" stroke="${SIDE_COLORS.reference}" stroke-width="2" d="${line(o.reference)}"/>`
    + `<path${mark('c')} fill="none" stroke="${SIDE_COLORS.current}" stroke-width="2" d="${line(o.current)}"/>${gap}`
    + `${xLabels(xs, layout, y0)}${text((left + W - right) / 2, h - 4, o.xTitle, 'at', ' text-anchor="middle"')}</svg>`;
}

/** One row of a category chart. */
export interface CategoryRow {
  label: string;
  reference: number;
  current: number;
  /** 'new': only in current; 'gone': only in reference. */
  tag?: 'new' | 'gone';
}

/** Reference and current share per category as horizontal bars, each row with both values printed. */
export function categorySvg(rows: CategoryRow[], o: { xTitle: string; label: string }): string {
  const rowH = 24;
  const top = 18;
  const valW = 56;
  const labels = rows.map((r) => fitLabel(r.label, 150 - (r.tag ? textWidth(` (${r.tag})`, FONT) : 0), FONT) + (r.tag ? ` (${r.tag})` : ''));
  const left = Math.max(40, ...labels.map((l) => textWidth(l, FONT))) + 10;
  const right = 2 * valW + 12;
  const xt = shareTicks(Math.max(...rows.map((r) => Math.max(r.reference, r.current))), 4);
  const plotW = W - right - left;
  const x = (v: number) => left + (plotW * v) / xt[xt.length - 1];
  const y0 = top + rows.length * rowH;
  const xs = xt.map(x);
  const lay = layoutTicks(xt.map((v) => fmtPct(v, 3)), xs, FONT);
  const h = y0 + lay.height + FONT + 12;
  const parts: string[] = [];
  for (const v of xt) parts.push(`<path class="g" d="M${f1(x(v))} ${top - 4}V${f1(y0)}"/>`);
  parts.push(text(W - valW - 8, top - 6, 'ref', 'vh', ' text-anchor="end"'), text(W - 8, top - 6, 'cur', 'vh', ' text-anchor="end"'));
  rows.forEach((r, i) => {
    const ry = top + i * rowH;
    const base = ry + rowH / 2 + FONT * 0.35;
    parts.push(text(left - 8, base, labels[i], r.tag ? 't tag' : 't', ' text-anchor="end"'));
    parts.push(`<path fill="${SIDE_COLORS.reference}" d="M${f1(left)} ${ry + 3}h${f1(x(r.reference) - left)}v8h${f1(left - x(r.reference))}z"/>`);
    parts.push(`<path fill="${SIDE_COLORS.current}" d="M${f1(left)} ${ry + 12}h${f1(x(r.current) - left)}v8h${f1(left - x(r.current))}z"/>`);
    parts.push(text(W - valW - 8, base, fmtPctFixed(r.reference), 'v vr', ' text-anchor="end"'), text(W - 8, base, fmtPctFixed(r.current), 'v vc', ' text-anchor="end"'));
  });
  parts.push(`<path class="ax" d="M${f1(left)} ${f1(y0)}H${f1(W - right)}${xs.map((v) => `M${f1(v)} ${f1(y0)}v4`).join('')}"/>`);
  return `${svgOpen(h, o.label)}${parts.join('')}${xLabels(xs, lay, y0)}${text((left + W - right) / 2, h - 4, o.xTitle, 'at', ' text-anchor="middle"')}</svg>`;
}

/** The share of drifted columns as a bar with the threshold marked (no text: the page says the numbers). */
export function gaugeSvg(share: number, threshold: number, drift: boolean): string {
  const w = 240;
  const s = Math.min(1, Math.max(0, share));
  const t = Math.min(1, Math.max(0, threshold));
  return `<svg xmlns="http://www.w3.org/2000/svg" class="gauge" viewBox="0 0 ${w} 18" width="${w}" height="18" role="img" aria-label="drift share ${esc(fmtPct(share))} against threshold ${esc(fmtPct(threshold))}">`
    + `<rect x="0" y="4" width="${w}" height="10" rx="5" fill="#eceff3"/><rect x="0" y="4" width="${f1(w * s)}" height="10" rx="5" fill="${drift ? '#b42318' : '#1d7a36'}"/>`
    + `<path d="M${f1(w * t)} 0V18" stroke="${AXIS_COLORS.text}" stroke-width="2"/></svg>`;
}

/** Marker shapes the CDF charts point at (`url(#mw-mr)`): defined once per page, in a hidden SVG. */
export function markerDefs(): string {
  const m = (id: string, color: string) => `<marker id="${id}" viewBox="0 0 6 6" refX="3" refY="3" markerWidth="6" markerHeight="6" markerUnits="userSpaceOnUse"><circle cx="3" cy="3" r="2.6" fill="#fff" stroke="${color}" stroke-width="1.2"/></marker>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0" class="defs" aria-hidden="true"><defs>${m('mw-mr', SIDE_COLORS.reference)}${m('mw-mc', SIDE_COLORS.current)}</defs></svg>`;
}
