/**
 * The facts `modelwatch check` judges, read with the drift file readers: each column typed from
 * every row and loaded once into a table (scanFile, planColumns), profiled there as drift profiles
 * it (loadedProfile: null counts, infinities, finite min/max, category counts), plus drift against
 * the reference (compareSources).
 */
import type { Store } from '../../storage/client.ts';
import { compareSources } from '../drift/compute.ts';
import { dropLoaded, loadedFile, type LoadedColumn } from '../drift/file-load.ts';
import { loadedProfile } from '../drift/file-profile.ts';
import { isIndexColumn, planColumns } from '../drift/file-plan.ts';
import { scanFile, type FileScan, type ScannedColumn, type ScanType } from '../drift/file-scan.ts';
import type { FileSource } from '../drift/reference.ts';
import { MAX_CATEGORIES } from '../drift/source.ts';
import { DEFAULT_MAX_SHARE, driftSpec, type Contract } from './contract.ts';
import type { ColumnDriftFact, DriftFacts, Observed, ObservedColumn, ObservedType } from './observed.ts';

const KIND: Record<ScanType, ObservedType> = {
  Int64: 'numeric', Float64: 'numeric', Bool: 'boolean', String: 'categorical', DateTime: 'datetime', Null: 'null', Unsupported: 'unsupported',
};

/** Columns the contract reads as categories (a numeric column declared categorical is counted, not ranged). */
function categoricalNames(contract: Contract | undefined, extra: Iterable<string> = []): Set<string> {
  const out = new Set(extra);
  for (const [name, c] of Object.entries(contract?.columns ?? {})) if (c.type === 'categorical') out.add(name);
  return out;
}

/**
 * Values outside the contract's min/max of each bounded numeric column, in one pass over the loaded
 * table. Nulls and infinities are left out (infinities are the `finite` check's).
 */
async function outsideBounds(store: Store, table: string, cols: LoadedColumn[], contract: Contract | undefined) {
  const out = new Map<string, { below?: number; above?: number }>();
  const bounded = cols.filter((c) => contract?.columns[c.name]?.min !== undefined || contract?.columns[c.name]?.max !== undefined);
  if (bounded.length === 0) return out;
  // Aliases start with __c: the loaded table's own columns are n<k> and t<k>, and an alias would shadow them.
  const params: Record<string, number> = {};
  const exprs = bounded.flatMap((c, i) => {
    const ok = `${c.expr} IS NOT NULL AND isFinite(assumeNotNull(${c.expr}))`;
    const v = `assumeNotNull(${c.expr})`;
    const b = contract!.columns[c.name];
    if (b.min !== undefined) params[`lo${i}`] = b.min;
    if (b.max !== undefined) params[`hi${i}`] = b.max;
    return [
      b.min !== undefined ? `countIf(${ok} AND ${v} < {lo${i}:Float64}) AS __cb${i}` : `toUInt64(0) AS __cb${i}`,
      b.max !== undefined ? `countIf(${ok} AND ${v} > {hi${i}:Float64}) AS __ca${i}` : `toUInt64(0) AS __ca${i}`,
    ];
  });
  const [row] = await store.query<Record<string, string | number>>(`SELECT ${exprs.join(', ')} FROM ${table}`, params);
  bounded.forEach((c, i) => {
    const b = contract!.columns[c.name];
    out.set(c.name, {
      ...(b.min !== undefined ? { below: Number(row[`__cb${i}`]) } : {}),
      ...(b.max !== undefined ? { above: Number(row[`__ca${i}`]) } : {}),
    });
  });
  return out;
}

/**
 * Reads the facts of one file. With a contract, its categorical columns are counted as categories
 * and the values outside its min/max are counted; `categorical` adds more such columns (--init).
 */
export async function observeFile(store: Store, file: FileSource, contract?: Contract, opts: { categorical?: Iterable<string> } = {}): Promise<Omit<Observed, 'drift'>> {
  // The scan loads the file into a table (one parse); everything below reads that table.
  const scan = await scanFile(store, file);
  try {
    return await factsOf(store, scan, contract, opts);
  } finally {
    await dropLoaded(store, scan);
  }
}

async function factsOf(store: Store, scan: FileScan, contract: Contract | undefined, opts: { categorical?: Iterable<string> }): Promise<Omit<Observed, 'drift'>> {
  const plan = planColumns(scan.columns, undefined, { categorical: categoricalNames(contract, opts.categorical) });
  const first = new Map<string, ScannedColumn>();
  const duplicates = new Set<string>();
  for (const c of scan.columns) {
    if (isIndexColumn(c)) continue;
    if (first.has(c.name)) duplicates.add(c.name);
    else first.set(c.name, c);
  }
  const loaded = loadedFile(scan, plan.columns, 'ref');
  // Counts, nulls, infinities, finite min/max and categories from the drift profile (no sketches needed).
  const profile = await loadedProfile(store, { kind: 'loaded', file: loaded, subjects: new Map(loaded.columns.map((c) => [c.name, c])) }, { literal: true, sketches: false });
  const bounds = await outsideBounds(store, loaded.table, loaded.columns.filter((c) => c.kind === 'numeric'), contract);
  const columns = [...first.values()].map((s): ObservedColumn => {
    const num = profile.numeric.get(s.name);
    const cat = profile.categorical.get(s.name);
    const o: ObservedColumn = {
      name: s.name, type: KIND[s.type], detail: s.type === 'Unsupported' ? s.native : s.type, numericText: s.numericText,
      nulls: num?.nulls ?? cat?.nulls ?? s.nulls, nonFinite: num?.nonFinite ?? s.nonFinite,
    };
    if (num && num.summary.n > 0) Object.assign(o, { min: num.summary.min, max: num.summary.max });
    const out = bounds.get(s.name);
    if (out?.below !== undefined) o.belowMin = out.below;
    if (out?.above !== undefined) o.aboveMax = out.above;
    if (cat) {
      o.categories = cat.counts;
      o.categoriesComplete = cat.counts.size < MAX_CATEGORIES;
    }
    return o;
  });
  return { rows: scan.rows, columns, duplicates: [...duplicates] };
}

/**
 * Drift of the current file against the reference for the contract's columns (all but those with
 * `drift: false` and date/time columns), with their methods and thresholds; as `modelwatch drift`.
 */
export async function observeDrift(store: Store, reference: FileSource, current: FileSource, contract: Contract): Promise<DriftFacts | { skipped: string }> {
  const methods: Record<string, string> = {};
  const thresholds: Record<string, number> = {};
  const names = new Set<string>();
  for (const [name, c] of Object.entries(contract.columns)) {
    const spec = driftSpec(c);
    if (!spec) continue;
    names.add(name);
    if (spec.method) methods[name] = spec.method;
    if (spec.threshold !== undefined) thresholds[name] = spec.threshold;
  }
  if (names.size === 0) return { skipped: 'no column of the contract is checked for drift' };
  const report = await compareSources(
    store, { kind: 'file', file: reference }, { kind: 'file', file: current },
    { methods, thresholds, driftShare: contract.drift?.max_share ?? DEFAULT_MAX_SHARE },
    { literal: true, columns: names, categorical: categoricalNames(contract) },
  );
  const columns = new Map<string, ColumnDriftFact>();
  for (const s of report.skipped) if (names.has(s.column) && !columns.has(s.column)) columns.set(s.column, { skipped: s.reason });
  for (const c of report.columns) {
    columns.set(c.column, c.status === 'nodata'
      ? { skipped: 'no values on one side' }
      : { drift: c.drift, method: c.method, statistic: c.statistic, p_value: c.p_value, threshold: c.threshold });
  }
  return { columns, dataset: report.dataset, referenceRows: report.referenceRows };
}
