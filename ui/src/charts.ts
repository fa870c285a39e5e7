/** Charts on uPlot: time series (lines) and grouped bars (histograms). Every chart is destroyed on navigation. */
import uPlot from 'uplot';
import { h } from './dom.ts';
import { AXIS_COLORS, PALETTE, shortLabel as short } from './axis.ts';
import { fmtDateTime, timeTicks } from './format.ts';

// The palette lives in axis.ts, shared with the drift HTML report; re-exported for the pages.
export { PALETTE };

const AXIS = { stroke: AXIS_COLORS.text, grid: { stroke: AXIS_COLORS.grid, width: 1 }, ticks: { stroke: AXIS_COLORS.tick, width: 1 }, font: '12px system-ui, sans-serif' };

const live = new Set<{ plot: uPlot; observer: ResizeObserver; wrap: HTMLElement }>();

/** Destroys the charts inside `within` (every chart by default: on navigation). */
export function destroyCharts(within?: Element): void {
  for (const c of live) {
    if (within && !within.contains(c.wrap)) continue;
    c.observer.disconnect();
    c.plot.destroy();
    live.delete(c);
  }
}

function mount(wrap: HTMLElement, make: (width: number) => uPlot, height: number): void {
  const plot = make(Math.max(280, wrap.clientWidth));
  // Follow the container's width (window resizes, grid reflow).
  const observer = new ResizeObserver(() => {
    const w = Math.max(280, wrap.clientWidth);
    if (Math.abs(w - plot.width) > 1) plot.setSize({ width: w, height });
  });
  observer.observe(wrap);
  live.add({ plot, observer, wrap });
}

/** One line of a time chart. */
export interface Line {
  label: string;
  values: (number | null)[];
  color?: string;
  dash?: number[];
}

/** Options of a time chart. */
export interface TimeChartOptions {
  /** Epoch seconds, ascending. */
  times: number[];
  lines: Line[];
  /** Formats y values (axis ticks and legend). */
  format: (v: number) => string;
  height?: number;
  /** Fixed y range ends; by default from 0 to a bit above the largest value. */
  yMin?: number;
  yMax?: number;
}

/** Appends a time-series chart to `host`. */
export function timeChart(host: HTMLElement, o: TimeChartOptions): HTMLElement {
  const wrap = h('div', { class: 'chart' });
  host.append(wrap);
  const height = o.height ?? 200;
  const few = o.lines.every((l) => l.values.filter((v) => v !== null).length <= 48);
  mount(wrap, (width) => new uPlot({
    width,
    height,
    scales: {
      x: { time: true },
      y: {
        range: (_u, min, max) => {
          const lo = o.yMin ?? Math.min(0, min ?? 0);
          const top = o.yMax ?? (max === null || max === undefined || max <= lo ? lo + 1 : max * 1.1);
          return [lo, top];
        },
      },
    },
    axes: [
      { ...AXIS, size: 48, values: (_u, splits, _ax, _space, incr) => timeTicks(splits, incr) },
      { ...AXIS, size: 64, values: (_u, splits) => splits.map((v) => o.format(v)) },
    ],
    series: [
      { value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '–' : fmtDateTime(v * 1000)) },
      ...o.lines.map((l, i) => ({
        label: l.label,
        stroke: l.color ?? PALETTE[i % PALETTE.length],
        width: 2,
        dash: l.dash,
        points: { show: few, size: 5 },
        value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '–' : o.format(v)),
      })),
    ],
    cursor: { drag: { x: true, y: false } },
  }, [o.times, ...o.lines.map((l) => l.values)] as uPlot.AlignedData, wrap), height);
  return wrap;
}

/** Options of a grouped bar chart over categories. */
export interface BarChartOptions {
  labels: string[];
  bars: { label: string; values: number[]; color?: string }[];
  format: (v: number) => string;
  height?: number;
}

/** Appends a bar chart: one group per label, one bar per series (at most two: left and right of the tick). */
export function barChart(host: HTMLElement, o: BarChartOptions): HTMLElement {
  const wrap = h('div', { class: 'chart' });
  host.append(wrap);
  const n = o.labels.length;
  const xs = o.labels.map((_, i) => i);
  const tilted = n > 6 || o.labels.some((l) => l.length > 10);
  const height = (o.height ?? 240) + (tilted ? 50 : 0);
  const max = Math.max(0, ...o.bars.flatMap((b) => b.values));
  const bars = uPlot.paths.bars!;
  mount(wrap, (width) => new uPlot({
    width,
    height,
    scales: { x: { time: false, range: () => [-0.6, n - 0.4] }, y: { range: () => [0, max > 0 ? max * 1.12 : 1] } },
    axes: [
      { ...AXIS, grid: { show: false }, splits: () => xs, values: (_u, splits) => splits.map((i) => short(o.labels[i] ?? '')), rotate: tilted ? -35 : 0, size: tilted ? 90 : 40, gap: 4 },
      { ...AXIS, size: 56, values: (_u, splits) => splits.map((v) => o.format(v)) },
    ],
    series: [
      { label: 'bin', value: (_u: uPlot, i: number | null) => (i === null || i === undefined ? '–' : o.labels[i] ?? '–') },
      ...o.bars.map((b, i) => {
        const color = b.color ?? PALETTE[i % PALETTE.length];
        return {
          label: b.label,
          stroke: color,
          fill: `${color}cc`,
          width: 1,
          paths: bars({ size: [o.bars.length > 1 ? 0.4 : 0.7, 48], align: o.bars.length > 1 ? (i === 0 ? -1 : 1) : 0 }),
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '–' : o.format(v)),
        };
      }),
    ],
    cursor: { drag: { x: false, y: false } },
  }, [xs, ...o.bars.map((b) => b.values)] as uPlot.AlignedData, wrap), height);
  return wrap;
}
