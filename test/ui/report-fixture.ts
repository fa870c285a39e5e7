/**
 * Synthetic DriftReport objects for the HTML report's tests and benchmark: numeric columns over
 * very different scales (1e-5 to 1e9), categorical columns from 2 to 60 categories with long and
 * non-Latin names, unseen and vanished categories, nulls, a column without data, skipped columns.
 * No ClickHouse needed: the report is rendered from these aggregates alone.
 */
import type { ColumnDrift, DriftReport } from '../../analyzer/drift/types.ts';
import { prng as rng } from '../analyzer/seed.ts';

const fmt = (x: number) => Number(x.toPrecision(4)).toString();
const norm = (v: number[]) => {
  const t = v.reduce((s, x) => s + x, 0);
  return v.map((x) => (t > 0 ? x / t : 0));
};

const SCALES = [1e-5, 0.01, 1, 100, 12_345, 1e9];
const NAMES = ['Zürich', 'São Paulo', '東京', 'a-very-long-category-name-that-goes-on-and-on', 'WWWWWWWWWWWWWWWW', 'x', 'mmmmmmmmmmmm', 'New York City, NY, United States'];

function numeric(name: string, r: () => number, drift: boolean, withQuantiles: boolean): ColumnDrift {
  const scale = SCALES[Math.floor(r() * SCALES.length)];
  const centre = (r() - 0.3) * 10 * scale;
  // Normal deciles (z-scores) give a realistic, unevenly spaced grid of edges.
  const z = [-3.2, -1.2816, -0.8416, -0.5244, -0.2533, 0, 0.2533, 0.5244, 0.8416, 1.2816, 3.4];
  const edges = z.map((q) => centre + q * scale);
  const shift = drift ? 0.4 + r() * 0.6 : r() * 0.05;
  const cur = norm(z.slice(1).map((_, i) => 0.1 * Math.exp(shift * (i - 4.5) / 4.5) * (0.9 + r() * 0.2)));
  const col: ColumnDrift & { quantiles?: { p: number[]; reference: number[]; current: number[] } } = {
    column: name, type: 'numeric', method: 'wasserstein', statistic: shift / 2, p_value: null, threshold: 0.1, drift: shift / 2 >= 0.1,
    status: shift / 2 >= 0.1 ? 'drift' : 'ok', path: r() < 0.8 ? 'exact' : 'sketch', reference_n: 100_000, current_n: 80_000 + Math.floor(r() * 20_000),
    bins: { labels: edges.slice(1).map((e, i) => `${fmt(edges[i])}..${fmt(e)}`), reference: Array(10).fill(0.1), current: cur },
    null_rate: { reference: r() * 0.02, current: r() < 0.1 ? 0.1 + r() * 0.2 : r() * 0.02 },
    unseen: [],
  };
  if (withQuantiles) {
    const p = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99];
    const zp = [-2.326, -1.645, -1.2816, -0.6745, 0, 0.6745, 1.2816, 1.645, 2.326];
    col.quantiles = { p, reference: zp.map((q) => centre + q * scale), current: zp.map((q) => centre + (q + shift) * scale) };
  }
  return col;
}

function categorical(name: string, r: () => number, drift: boolean): ColumnDrift {
  const k = [2, 3, 5, 12, 60][Math.floor(r() * 5)];
  const labels = Array.from({ length: k }, (_, i) => (i < NAMES.length && r() < 0.5 ? `${NAMES[i]}` : `cat_${i}`));
  const uniq = [...new Set(labels)].sort();
  const ref = norm(uniq.map((_, i) => 1 / (i + 1)));
  let cur = ref.map((x) => x * (drift ? 0.3 + r() * 1.4 : 0.95 + r() * 0.1));
  // A vanished category (reference only) and two new ones (current only) when there are enough.
  const unseen: string[] = [];
  if (uniq.length > 4) {
    cur[uniq.length - 1] = 0;
    uniq.push('brand-new-value', 'another unseen category');
    ref.push(0, 0);
    cur = [...cur, 0.03, 0.01];
    unseen.push('brand-new-value', 'another unseen category');
  }
  const stat = drift ? 0.1 + r() * 0.3 : r() * 0.05;
  return {
    column: name, type: 'categorical', method: 'jensenshannon', statistic: stat, p_value: null, threshold: 0.1, drift: stat >= 0.1, status: stat >= 0.1 ? 'drift' : 'ok',
    path: 'exact', reference_n: 100_000, current_n: 90_000, bins: { labels: uniq, reference: ref, current: norm(cur) }, unseen,
    null_rate: { reference: r() * 0.01, current: r() * 0.03 },
  };
}

/** A report of `n` compared columns (about 70% numeric), a fifth of them drifted, plus five skipped columns. */
export function syntheticReport(n: number, seed = 42, opts: { quantiles?: boolean } = {}): DriftReport {
  const r = rng(seed);
  const columns: ColumnDrift[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${r() < 0.7 ? 'num' : 'cat'}_${String(i).padStart(4, '0')}`;
    const drift = r() < 0.2;
    columns.push(name.startsWith('num') ? numeric(name, r, drift, Boolean(opts.quantiles) && i % 2 === 0) : categorical(name, r, drift));
  }
  if (n > 2) {
    // One column without values on the current side: no verdict, no charts.
    Object.assign(columns[n - 1], { status: 'nodata', drift: false, current_n: 0, statistic: 0, bins: { labels: [], reference: [], current: [] }, null_rate: { reference: 0, current: 1 } });
  }
  const compared = columns.filter((c) => c.status !== 'nodata');
  const drifted = compared.filter((c) => c.drift).length;
  return {
    columns,
    dataset: { columns: compared.length, drifted, share: compared.length ? drifted / compared.length : 0, drift: compared.length > 0 && drifted / compared.length >= 0.5, threshold: 0.5 },
    nullRates: columns.map((c) => ({ column: c.column, reference: c.null_rate!.reference, current: c.null_rate!.current, threshold: 0.05, drift: c.null_rate!.current - c.null_rate!.reference > 0.05 })),
    schema: { added: ['new_feature'], removed: ['old_feature'], typeChanged: ['mixed'] },
    skipped: [
      { column: '', reason: 'index column (as pandas writes it)' }, { column: 'old_feature', reason: 'only in reference' }, { column: 'new_feature', reason: 'only in current' },
      { column: 'mixed', reason: 'types differ: Float64 vs String' }, { column: 'event_time', reason: 'date/time column (DateTime64(6))' },
    ],
    referenceRows: 100_000,
    currentRows: 100_000,
  };
}
