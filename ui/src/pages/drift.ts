/** Drift page: dataset drift share over time, per-feature verdicts of the latest window, histograms of a feature. */
import { api, ApiError } from '../api.ts';
import { barChart, destroyCharts, timeChart } from '../charts.ts';
import { badge, card, h, note, tile } from '../dom.ts';
import { fmtBinLabel, fmtCount, fmtNum, fmtPct, fmtWindow } from '../format.ts';
import { hrefOf, rangeOf, referenceParam } from '../router.ts';
import { pageHead, rangePicker, rangeTimes, type View } from '../view.ts';

interface HistoryPoint {
  window_start: string;
  window_end: string;
  version: string;
  share: number;
  threshold: number | null;
  status: string;
  columns: number | null;
  drifted: number | null;
  reference: string;
}

interface ResultRow {
  window_start: string;
  window_end: string;
  version: string;
  segment: string;
  subject: string;
  metric: string;
  value: number;
  threshold: number | null;
  p_value: number | null;
  method: string;
  status: string;
  reference: string;
  details: Record<string, unknown>;
}

interface DriftAnswer {
  window_start: string;
  window_end: string;
  reference: string;
  source: string;
  results: ResultRow[];
}

interface Histogram {
  feature: string;
  type: string;
  method: string;
  statistic: number | null;
  p_value: number | null;
  threshold: number;
  drift: boolean;
  reference_n: number;
  current_n: number;
  bins: { labels: string[]; reference: number[]; current: number[] };
}

const DATASET = '__dataset__';
const PREDICTION = '__prediction__';
const featureName = (s: string) => (s === PREDICTION ? 'prediction (model output)' : s);
const VERDICT: Record<string, [string, string]> = { drift: ['drift', 'drifted'], ok: ['ok', 'ok'], nodata: ['nodata', 'no data'], warn: ['warn', 'warning'] };

/** "previous window", a time range, or the file a reference came from. */
function describeReference(ref: string): string {
  if (ref.startsWith('previous:')) {
    const [a, b] = ref.slice(9).split('..');
    return `the previous window (${fmtWindow(a, b)})`;
  }
  if (ref.startsWith('file:')) return `reference file ${ref.slice(5)}`;
  const [a, b] = ref.split('..');
  return a && b ? `${fmtWindow(a, b)}` : ref;
}

/** Columns the drift job did not compare (only on one side, types differ, all null...), from the dataset row. */
function skippedOf(dataset: ResultRow | undefined): { column: string; reason: string }[] {
  const s = dataset?.details.skipped;
  return Array.isArray(s) ? s.filter((x): x is { column: string; reason: string } => typeof x?.column === 'string' && typeof x?.reason === 'string') : [];
}

/** A table of the columns not compared, with the reason for each. */
function skippedList(skipped: { column: string; reason: string }[]): HTMLElement {
  return h('div', { class: 'skipped' },
    h('div', { class: 'card-sub' }, `Not compared (${fmtCount(skipped.length)}): these columns have no verdict and do not count in the drift share`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'skipped-table' },
      h('thead', null, h('tr', null, h('th', null, 'Column'), h('th', null, 'Reason'))),
      h('tbody', null, ...skipped.map((x) => h('tr', { 'data-column': x.column }, h('td', null, x.column || '""'), h('td', null, x.reason)))))));
}

/** Renders the drift page of a model. */
export async function driftPage(v: View, model: string): Promise<void> {
  const route = { page: 'drift' as const, model };
  const range = rangeOf(v.query, '24h');
  const { from, to } = rangeTimes(range.ms);
  const enc = encodeURIComponent(model);
  const past = await api<{ points: HistoryPoint[] }>(`/api/v1/models/${enc}/drift/history?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  if (!v.current()) return;
  const wanted = v.query.get('version') ?? '';
  const latest = [...past.points].reverse().find((p) => !wanted || p.version === wanted);
  // The latest stored window, read back as stored; without one, the drift API computes the current window.
  const dq = new URLSearchParams();
  if (latest) {
    dq.set('from', latest.window_start);
    dq.set('to', latest.window_end);
    dq.set('version', latest.version);
    const ref = referenceParam(latest.reference);
    if (ref) dq.set('reference', ref);
  } else if (wanted) {
    dq.set('version', wanted);
  }
  let drift: DriftAnswer | null = null;
  let driftError: string | null = null;
  try {
    drift = await api<DriftAnswer>(`/api/v1/models/${enc}/drift?${dq}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    driftError = `${err.code}: ${err.message}`;
  }
  if (!v.current()) return;

  v.main.append(pageHead(
    [['Models', hrefOf({ page: 'models' })], [model, hrefOf({ page: 'model', model })]],
    ['Drift of ', model],
    rangePicker(route, v.query, range.name),
  ));

  const rows = (drift?.results ?? []).filter((r) => r.metric === 'drift' && r.segment === '');
  const dataset = (drift?.results ?? []).find((r) => r.subject === DATASET && r.metric === 'drift_share' && r.segment === '');
  const nullRate = new Map((drift?.results ?? []).filter((r) => r.metric === 'null_rate' && r.segment === '').map((r) => [`${r.version}/${r.subject}`, r]));
  const unseen = new Map((drift?.results ?? []).filter((r) => r.metric === 'unseen_categories' && r.segment === '').map((r) => [`${r.version}/${r.subject}`, r]));
  const drifted = rows.filter((r) => r.status === 'drift' && r.subject !== PREDICTION);
  const features = rows.filter((r) => r.subject !== PREDICTION && r.status !== 'nodata');

  if (dataset && drift) {
    const verdict = dataset.status === 'drift' ? badge('drift', 'dataset drift') : dataset.status === 'nodata' ? badge('nodata', 'no data') : badge('ok', 'no dataset drift');
    v.main.append(h('div', { class: 'tiles' },
      tile('Drift share', fmtPct(dataset.value, 2), `threshold ${fmtPct(dataset.threshold, 2)}`),
      tile('Drifted features', `${drifted.length} of ${features.length}`),
      h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, 'Verdict'), h('div', { class: 'tile-value' }, verdict)),
      tile('Window', fmtWindow(drift.window_start, drift.window_end), `vs ${describeReference(drift.reference)}${drift.source === 'stored' ? '' : ', computed now'}`),
    ));
  }

  // Drift share over time, one line per version, with the dataset threshold.
  const chartCard = card('Drift share over time', h('div', { class: 'card-sub' }, 'share of features drifted per analyzer window (plotted at the window end)'));
  v.main.append(chartCard);
  if (past.points.length === 0) {
    chartCard.append(note('info', 'No drift results stored in this range yet: the analyzer writes one per pass.'));
  } else {
    const ends = [...new Set(past.points.map((p) => p.window_end))].sort();
    const versions = [...new Set(past.points.map((p) => p.version))].sort();
    const at = new Map(past.points.map((p) => [`${p.version}@${p.window_end}`, p.share]));
    const threshold = past.points.find((p) => p.threshold !== null)?.threshold ?? null;
    timeChart(chartCard, {
      times: ends.map((e) => Date.parse(e) / 1000),
      lines: [
        ...versions.map((ver) => ({ label: versions.length > 1 ? `drift share ${ver}` : 'drift share', values: ends.map((e) => at.get(`${ver}@${e}`) ?? null) })),
        ...(threshold === null ? [] : [{ label: 'threshold', values: ends.map(() => threshold), color: '#8a93a3', dash: [6, 4] }]),
      ],
      format: (x) => fmtPct(x, 2),
      yMin: 0,
      yMax: 1,
      height: 150,
    });
  }

  const lower = h('div', { class: 'grid-drift' });
  v.main.append(lower);
  const tableCard = card('Features', h('div', { class: 'card-sub' }, 'verdict of each feature in the current window; select one to compare its distributions'));
  const histCard = card('Distribution');
  lower.append(tableCard, histCard);
  if (driftError) {
    tableCard.append(note('error', driftError));
    return;
  }
  const skipped = skippedOf(dataset);
  if (rows.length === 0) {
    tableCard.append(note('info', skipped.length ? 'No feature could be compared in this window: see below.' : 'No feature results for this window.'));
    if (skipped.length) tableCard.append(skippedList(skipped));
    return;
  }

  const order = (r: ResultRow) => (r.status === 'drift' ? 0 : r.status === 'ok' ? 1 : 2);
  rows.sort((a, b) => order(a) - order(b) || (a.subject === PREDICTION ? 1 : 0) - (b.subject === PREDICTION ? 1 : 0) || a.subject.localeCompare(b.subject));
  const multi = new Set(rows.map((r) => r.version)).size > 1;
  const trs = new Map<string, HTMLTableRowElement>();
  const tbody = h('tbody', null);
  for (const r of rows) {
    const [kind, text] = VERDICT[r.status] ?? ['nodata', r.status];
    const nr = nullRate.get(`${r.version}/${r.subject}`);
    const un = unseen.get(`${r.version}/${r.subject}`);
    const tr = h('tr', {
      class: `selectable${r.status === 'drift' ? ' row-drifted' : ''}`, 'data-feature': r.subject, 'data-status': r.status, tabindex: 0,
      onclick: () => void select(r), onkeydown: (ev: KeyboardEvent) => { if (ev.key === 'Enter') void select(r); },
    },
      h('td', null, h('strong', null, featureName(r.subject)), multi ? h('span', { class: 'muted' }, ` ${r.version}`) : null,
        h('div', { class: 'small muted' }, [r.details.type, un && un.value > 0 ? `${fmtCount(un.value)} unseen categories` : null].filter(Boolean).join(' · '))),
      h('td', null, r.method),
      h('td', { class: 'num' }, fmtNum(r.value)),
      h('td', { class: 'num' }, r.p_value === null ? '–' : fmtNum(r.p_value)),
      h('td', { class: 'num' }, fmtNum(r.threshold)),
      h('td', { class: 'num' }, nr ? h('span', { title: `reference ${fmtPct(Number(nr.details.reference), 2)}` }, fmtPct(nr.value, 2), nr.status === 'drift' ? ' ▲' : '') : '–'),
      h('td', null, badge(kind, text)),
    );
    trs.set(`${r.version}/${r.subject}`, tr);
    tbody.append(tr);
  }
  tableCard.append(h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'features-table' },
    h('thead', null, h('tr', null,
      h('th', null, 'Feature'), h('th', null, 'Method'), h('th', { class: 'num' }, 'Score'),
      h('th', { class: 'num' }, 'p-value'), h('th', { class: 'num' }, 'Threshold'), h('th', { class: 'num' }, 'Null rate'), h('th', null, 'Verdict'))),
    tbody)));
  if (skipped.length) tableCard.append(skippedList(skipped));

  let histToken = 0;
  async function select(r: ResultRow): Promise<void> {
    const token = ++histToken;
    for (const [k, tr] of trs) tr.classList.toggle('selected', k === `${r.version}/${r.subject}`);
    // Keep the choice in the address without a new render (replaceState fires no hashchange).
    const keep = Object.fromEntries([...v.query.entries()].filter(([k]) => k !== 'feature'));
    history.replaceState(null, '', hrefOf(route, { ...keep, feature: r.subject }));
    const hq = new URLSearchParams({ feature: r.subject, version: r.version, from: r.window_start, to: r.window_end });
    const ref = referenceParam(r.reference);
    if (ref) hq.set('reference', ref);
    destroyCharts(histCard);
    histCard.replaceChildren(h('h2', { class: 'card-title' }, `Distribution of ${featureName(r.subject)}`), h('div', { class: 'muted' }, 'Loading…'));
    let hist: Histogram;
    try {
      hist = await api<Histogram>(`/api/v1/models/${enc}/drift/histogram?${hq}`);
    } catch (err) {
      if (token !== histToken || !v.current()) return;
      histCard.lastChild?.replaceWith(note('error', err instanceof ApiError ? `${err.code}: ${err.message}` : String(err)));
      return;
    }
    if (token !== histToken || !v.current()) return;
    destroyCharts(histCard);
    const [kind, text] = VERDICT[hist.drift ? 'drift' : hist.reference_n && hist.current_n ? 'ok' : 'nodata'];
    histCard.replaceChildren(
      h('h2', { class: 'card-title' }, `Distribution of ${featureName(hist.feature)} `, badge(kind, text)),
      h('div', { class: 'card-sub' }, `reference vs current, share of values per ${hist.type === 'numeric' ? 'bin (cut at the reference deciles)' : 'category'}`),
    );
    barChart(histCard, {
      labels: hist.type === 'numeric' ? hist.bins.labels.map(fmtBinLabel) : hist.bins.labels,
      bars: [
        { label: `reference (n=${fmtCount(hist.reference_n)})`, values: hist.bins.reference, color: '#5b7fbf' },
        { label: `current (n=${fmtCount(hist.current_n)})`, values: hist.bins.current, color: '#e8871e' },
      ],
      format: (x) => fmtPct(x, 2),
    });
    histCard.append(h('p', { class: 'small muted' },
      `${hist.method}: ${fmtNum(hist.statistic)}${hist.p_value !== null ? ` (p = ${fmtNum(hist.p_value)})` : ''}, threshold ${fmtNum(hist.threshold)}`));
  }

  const pick = v.query.get('feature');
  const first = rows.find((r) => r.subject === pick) ?? drifted[0] ?? rows[0];
  await select(first);
}
