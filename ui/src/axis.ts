/**
 * Chart pieces shared by the web UI (uPlot, in the browser) and the drift HTML report (SVG drawn in
 * Node): colours, label shortening, text width estimates, nice tick values and tick-label layout.
 * Pure functions only: no DOM, so both sides import it.
 */

/** Colours of the series, in order (readable on white, distinct for common colour blindness). */
export const PALETTE = ['#2f6fde', '#e8871e', '#c23b3b', '#2e9d5b', '#7a4fd0', '#0f8b8d', '#a05a2c', '#5b6475'];

/** Reference and current colours of the drift views (the UI's drift page and the HTML report). */
export const SIDE_COLORS = { reference: '#5b7fbf', current: '#e8871e' } as const;

/** Axis colours: labels, grid lines, tick marks. */
export const AXIS_COLORS = { text: '#5b6475', grid: '#eceef2', tick: '#e3e6ea' } as const;

/** `s` cut to `n` characters with an ellipsis. */
export function shortLabel(s: string, n = 18): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

// Advance widths in em, taken from DejaVu Sans (Debian's default sans, and wider than Arial,
// Helvetica or Segoe UI): estimates from it err on the wide side, so labels spaced by them never touch.
const NARROW = new Set([...".,:;'|!iIjlf()[] "]);
const SEMI = new Set([...'-rt/\\"`']);
const WIDE = new Set([...'mwMW%@…—']);

function charEm(ch: string): number {
  if (NARROW.has(ch)) return 0.34;
  if (SEMI.has(ch)) return 0.42;
  if (WIDE.has(ch)) return 1.0;
  if (ch >= '0' && ch <= '9') return 0.64;
  if (ch >= 'a' && ch <= 'z') return 0.62;
  if (ch >= 'A' && ch <= 'Z') return 0.76;
  // Anything else (symbols, accented letters, CJK): a full em, the widest a glyph usually gets.
  return ch.charCodeAt(0) < 128 ? 0.7 : 1.0;
}

/** Estimated rendered width of `s` in pixels at `fontPx` (an upper bound for common sans fonts). */
export function textWidth(s: string, fontPx: number): number {
  let em = 0;
  for (const ch of s) em += charEm(ch);
  return em * fontPx;
}

/** Longest prefix of `s` (with an ellipsis when cut) whose estimated width is at most `px`. */
export function fitLabel(s: string, px: number, fontPx: number): string {
  if (textWidth(s, fontPx) <= px) return s;
  // No glyph is narrower than a third of an em: more characters than that cannot fit anyway.
  const chars = [...s].slice(0, Math.ceil(px / (fontPx / 3)) + 1);
  let n = chars.length - 1;
  while (n > 1 && textWidth(`${chars.slice(0, n).join('')}…`, fontPx) > px) n--;
  return `${chars.slice(0, n).join('')}…`;
}

/** About `count` round tick values (steps of 1, 2 or 5 times a power of ten) from `lo` to `hi`. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * mag;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** Where and how the labels of a horizontal axis are drawn. */
export interface TickLayout {
  /** 0 (horizontal, centred on the tick) or -45 (rotated, hanging down-left from the tick). */
  angle: 0 | -45;
  /** The label of each tick, or '' where it is left out (thinned). */
  labels: string[];
  /** Vertical room the labels take below the axis line, in pixels. */
  height: number;
  /** How far the labels reach left of the first tick and right of the last one. */
  left: number;
  right: number;
}

/**
 * Lays out tick labels at x positions so that none overlap: horizontal when they fit, else every
 * other one horizontally when `thin` allows, else rotated by 45 degrees, thinned until they fit.
 * Labels are cut to `maxPx` first.
 */
export function layoutTicks(labels: string[], xs: number[], fontPx: number, opts: { maxPx?: number; thin?: boolean } = {}): TickLayout {
  const cut = labels.map((l) => fitLabel(l, opts.maxPx ?? fontPx * 9, fontPx));
  const w = cut.map((l) => textWidth(l, fontPx));
  const gap = fontPx * 0.6;
  const keep = (k: number) => cut.map((l, i) => (i % k === 0 ? l : ''));
  const shown = (k: number) => xs.map((_, i) => i).filter((i) => i % k === 0 && cut[i] !== '');
  const flatFits = (k: number) => shown(k).every((i, j, a) => j === 0 || xs[i] - xs[a[j - 1]] >= (w[i] + w[a[j - 1]]) / 2 + gap);
  // Rotated labels are parallel strips: they clear each other when their baselines are a line height apart.
  const tiltFits = (k: number) => shown(k).every((i, j, a) => j === 0 || (xs[i] - xs[a[j - 1]]) * Math.SQRT1_2 >= fontPx * 1.35);
  const flat = (k: number): TickLayout => {
    const l = keep(k);
    const first = l.findIndex((s) => s !== '');
    const last = l.length - 1 - [...l].reverse().findIndex((s) => s !== '');
    return { angle: 0, labels: l, height: fontPx * 1.6, left: first < 0 ? 0 : w[first] / 2, right: last < 0 || last >= l.length ? 0 : w[last] / 2 };
  };
  if (flatFits(1)) return flat(1);
  if (opts.thin && labels.length > 4 && flatFits(2)) return flat(2);
  let k = 1;
  while (!tiltFits(k) && k < labels.length) k++;
  const l = keep(k);
  const longest = Math.max(0, ...l.map((s, i) => (s ? w[i] : 0)));
  const first = l.findIndex((s) => s !== '');
  return { angle: -45, labels: l, height: longest * Math.SQRT1_2 + fontPx * 1.6, left: first < 0 ? 0 : w[first] * Math.SQRT1_2 + fontPx, right: fontPx };
}
