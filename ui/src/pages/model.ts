/** Model page: throughput, latency percentiles, error rate and GPU use over a time range. */
import { api, apiOptional } from '../api.ts';
import { timeChart } from '../charts.ts';
import { badge, card, h, link, note, tile } from '../dom.ts';
import { fmtAgo, fmtBytes, fmtCount, fmtMs, fmtNum, fmtPct } from '../format.ts';
import { hrefOf, rangeOf } from '../router.ts';
import { alertsOfModel, FIRING_STATES, modelStatus, STATUS_LABEL, type ActiveAlert, type OverviewModel } from '../status.ts';
import { pageHead, rangePicker, rangeTimes, type View } from '../view.ts';

interface Point {
  t: string;
  predictions: number;
  errors: number;
  error_rate: number | null;
  latency_p50: number | null;
  latency_p95: number | null;
  latency_p99: number | null;
}

interface Series {
  step_seconds: number;
  totals: { predictions: number; errors: number; error_rate: number | null; latency_p50: number | null; latency_p95: number | null; latency_p99: number | null };
  points: Point[];
}

interface GpuSeries {
  gpus: { host: string; gpu_id: string; gpu_name: string; points: { t: string; utilization: number | null; memory_used_bytes: number | null; memory_limit_bytes: number | null }[] }[];
}

const secs = (iso: string) => Date.parse(iso) / 1000;
const GIB = 1024 ** 3;

/** Renders the page of one model. */
export async function modelPage(v: View, model: string): Promise<void> {
  const route = { page: 'model' as const, model };
  const range = rangeOf(v.query, '6h');
  const { from, to } = rangeTimes(range.ms);
  const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const enc = encodeURIComponent(model);
  const [series, gpu, ov, alerts] = await Promise.all([
    api<Series>(`/api/v1/models/${enc}/series?${q}`),
    api<GpuSeries>(`/api/v1/gpu/series?${q}`),
    api<{ models: OverviewModel[]; window_minutes: number }>('/api/v1/overview'),
    apiOptional<{ alerts: ActiveAlert[] }>(`/api/v1/alerts?model=${enc}`),
  ]);
  if (!v.current()) return;
  const info = ov.models.find((m) => m.model === model);
  const st = info ? modelStatus(info, alerts?.alerts ?? null) : null;

  v.main.append(pageHead(
    [['Models', hrefOf({ page: 'models' })]],
    [model, ' ', st ? badge(st.status, STATUS_LABEL[st.status], st.reason) : badge('nodata', 'unknown model')],
    rangePicker(route, v.query, range.name),
    link(hrefOf({ page: 'drift', model }), h('span', { class: 'btn' }, 'Drift →')),
  ));
  if (info) {
    v.main.append(h('p', { class: 'muted subline' },
      `Versions ${info.versions.join(', ')} · ${fmtCount(info.predictions_total)} predictions stored · last prediction ${fmtAgo(info.last_seen)}`));
  } else {
    v.main.append(note('info', `No predictions of ${model} have been stored.`));
  }

  const t = series.totals;
  const minutes = range.ms / 60_000;
  v.main.append(h('div', { class: 'tiles' },
    tile(`Predictions (${range.name})`, fmtCount(t.predictions)),
    tile('Throughput', `${fmtNum(t.predictions / minutes)} /min`, 'average over the range'),
    tile('p50 latency', fmtMs(t.latency_p50)),
    tile('p95 latency', fmtMs(t.latency_p95)),
    tile('p99 latency', fmtMs(t.latency_p99)),
    tile('Error rate', fmtPct(t.error_rate), `${fmtCount(t.errors)} errors`),
  ));

  const active = alertsOfModel(alerts?.alerts ?? null, model);
  if (active.length > 0) {
    v.main.append(card('Active alerts',
      h('ul', { class: 'plain' }, active.map((a) => h('li', null,
        badge(FIRING_STATES.has(a.state) ? 'firing' : a.state, a.state), ' ',
        h('strong', null, a.rule), ' ', a.annotations.summary ?? '', a.silenced ? h('span', { class: 'muted' }, ' (silenced)') : null))),
      link(hrefOf({ page: 'alerts' }), 'All alerts →')));
  }

  const times = series.points.map((p) => secs(p.t));
  const perMin = 60 / series.step_seconds;
  const grid = h('div', { class: 'grid2' });
  v.main.append(grid);

  const c1 = card('Throughput', h('div', { class: 'card-sub' }, `predictions per minute, ${series.step_seconds / 60}-min buckets`));
  grid.append(c1);
  timeChart(c1, { times, lines: [{ label: 'predictions/min', values: series.points.map((p) => p.predictions * perMin) }], format: (x) => fmtNum(x) });

  const c2 = card('Latency', h('div', { class: 'card-sub' }, 'percentiles per bucket (quantile sketches, 1% relative accuracy)'));
  grid.append(c2);
  timeChart(c2, {
    times,
    lines: [
      { label: 'p50', values: series.points.map((p) => p.latency_p50), color: '#2e9d5b' },
      { label: 'p95', values: series.points.map((p) => p.latency_p95), color: '#e8871e' },
      { label: 'p99', values: series.points.map((p) => p.latency_p99), color: '#c23b3b' },
    ],
    format: (x) => fmtMs(x),
  });

  const c3 = card('Error rate', h('div', { class: 'card-sub' }, 'share of predictions with an error'));
  grid.append(c3);
  timeChart(c3, { times, lines: [{ label: 'error rate', values: series.points.map((p) => p.error_rate), color: '#c23b3b' }], format: (x) => fmtPct(x, 2) });

  const c4 = card('GPU utilization', h('div', { class: 'card-sub' }, 'per GPU reporting to this server'));
  grid.append(c4);
  const gTimes = gpu.gpus[0]?.points.map((p) => secs(p.t)) ?? [];
  const gpuName = (g: GpuSeries['gpus'][number]) => `${g.host}/${g.gpu_id}${g.gpu_name ? ` (${g.gpu_name})` : ''}`;
  if (gpu.gpus.length === 0) {
    c4.append(note('info', 'No GPU metrics in this range (the SDK’s GPU sampler sends hw.gpu.* metrics).'));
  } else {
    timeChart(c4, { times: gTimes, lines: gpu.gpus.map((g) => ({ label: gpuName(g), values: g.points.map((p) => p.utilization) })), format: (x) => fmtPct(x, 2), yMax: 1 });
    const c5 = card('GPU memory', h('div', { class: 'card-sub' }, 'memory used per GPU (GiB); the top of the axis is the largest memory size'));
    grid.append(c5);
    const limit = Math.max(0, ...gpu.gpus.flatMap((g) => g.points.map((p) => p.memory_limit_bytes ?? 0)));
    timeChart(c5, {
      times: gTimes,
      lines: gpu.gpus.map((g) => ({ label: gpuName(g), values: g.points.map((p) => (p.memory_used_bytes === null ? null : p.memory_used_bytes / GIB)) })),
      format: (x) => fmtBytes(x * GIB),
      yMax: limit > 0 ? limit / GIB : undefined,
    });
  }
}
