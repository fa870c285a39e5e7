/**
 * Files as drift sides: both files scanned and typed together, loaded once into typed tables, and
 * profiled from those tables by ClickHouse itself.
 */
import fs from 'node:fs';
import type { Store } from '../../storage/client.ts';
import { dropLoaded, loadedFile } from './file-load.ts';
import { planColumns, type SkippedColumn } from './file-plan.ts';
import { scanFile, tokenParams, type FileScan } from './file-scan.ts';
import { LEVELS_SQL } from './sketch.ts';
import {
  MAX_CATEGORIES, numericColumn, PREDICTION_COLUMNS, PREDICTION_SUBJECT,
  type CategoricalColumn, type Profile, type ProfileOptions, type Source,
} from './source.ts';

/** The subject a file column is compared under: its own name, or the prediction subject in jobs. */
function subjectOf(name: string, opts: ProfileOptions): string {
  return !opts.literal && PREDICTION_COLUMNS.has(name) ? PREDICTION_SUBJECT : name;
}

/** Both sides ready to profile: file sources replaced by loaded tables, plus what was skipped. */
export interface PreparedSides {
  ref: Source;
  cur: Source;
  skipped: SkippedColumn[];
  /** Resolved type conflicts per column, said in the report. */
  notes: Map<string, string>;
  /** Drops the tables the files were loaded into. */
  release(): Promise<void>;
}

interface CachedReference {
  key: string;
  store: Store;
  prepared: Promise<Omit<PreparedSides, 'cur' | 'release'> & { drop: () => Promise<void> }>;
}

/**
 * One reference file against time windows (the drift jobs): loaded once and kept while the file is
 * unchanged (same size and modification time), so that every model, segment and pass reads the
 * same table instead of parsing the file again. A changed file replaces its table.
 */
const referenceCache = new Map<string, CachedReference>();
/** A cached reference lives as long as the server: in memory only when small, else on disk. */
const REFERENCE_MEMORY_BYTES = 256 * 2 ** 20;

const swept = new WeakSet<Store>();

/** Drops reference tables a previous process left behind (the cache lives in memory only). */
async function sweepStale(store: Store): Promise<void> {
  if (swept.has(store)) return;
  swept.add(store);
  const stale = await store.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = {db:String} AND startsWith(name, 'drift_file_')`, { db: store.database },
  );
  for (const t of stale) await store.command(`DROP TABLE IF EXISTS ${store.t(t.name)}`);
}

async function cachedReference(store: Store, ref: Extract<Source, { kind: 'file' }>, cur: Source, opts: ProfileOptions): Promise<PreparedSides> {
  await sweepStale(store);
  const st = fs.statSync(ref.file.path, { throwIfNoEntry: false });
  const key = JSON.stringify([st?.size, st?.mtimeMs, opts.literal, opts.prediction, [...(opts.columns ?? [])], [...(opts.categorical ?? [])]]);
  let hit = referenceCache.get(ref.file.path);
  if (!hit || hit.key !== key || hit.store !== store) {
    if (hit && hit.store === store) {
      const old = hit;
      void old.prepared.then((p) => p.drop()).catch(() => {});
    }
    const prepared = loadSides(store, ref, cur, opts, REFERENCE_MEMORY_BYTES).then(({ ref: r, skipped, notes, release }) => ({ ref: r, skipped, notes, drop: release }));
    hit = { key, store, prepared };
    referenceCache.set(ref.file.path, hit);
    // A failed load is not cached: the next job tries again (and reports its own error).
    prepared.catch(() => referenceCache.delete(ref.file.path));
  }
  const { drop: _drop, ...p } = await hit.prepared;
  return { ...p, cur, release: async () => {} };
}

/**
 * Scans the file sides (both together when both are files, so that a column's type is decided from
 * both), loads the compared columns into tables, and lists every other column with its reason.
 */
export async function prepareFiles(store: Store, ref: Source, cur: Source, opts: ProfileOptions): Promise<PreparedSides> {
  if (ref.kind !== 'file' && cur.kind !== 'file') return { ref, cur, skipped: [], notes: new Map(), release: async () => {} };
  if (ref.kind === 'file' && cur.kind !== 'file') return cachedReference(store, ref, cur, opts);
  return loadSides(store, ref, cur, opts);
}

async function loadSides(store: Store, ref: Source, cur: Source, opts: ProfileOptions, memoryBytes?: number): Promise<PreparedSides> {
  // Each file is parsed once, into its table; a failure drops whatever was loaded.
  const settled = await Promise.allSettled([
    ref.kind === 'file' ? scanFile(store, ref.file, { memoryBytes }) : undefined,
    cur.kind === 'file' ? scanFile(store, cur.file, { memoryBytes }) : undefined,
  ]);
  const scans = settled.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  const release = async () => { for (const f of scans) await dropLoaded(store, f).catch(() => {}); };
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await release();
    throw failed.reason;
  }
  const [rs, cs] = settled.map((r) => (r as PromiseFulfilledResult<FileScan | undefined>).value);
  // One file against a time window: the file's columns are planned alone (the window's are typed already).
  const columns = opts.columns && !opts.literal ? new Set([...opts.columns, ...PREDICTION_COLUMNS]) : opts.columns;
  const plan = planColumns((rs ?? cs)!.columns, rs && cs ? cs.columns : undefined, { categorical: opts.categorical, columns });
  const sideOf = (src: Source, scan: FileScan | undefined, which: 'ref' | 'cur'): Source => {
    if (src.kind !== 'file' || !scan) return src;
    // With a single file, its scanned columns sit in the plan's reference slot.
    const f = loadedFile(scan, plan.columns, rs && cs ? which : 'ref');
    return { kind: 'loaded', file: f, subjects: new Map(f.columns.map((c) => [subjectOf(c.name, opts), c])) };
  };
  return {
    ref: sideOf(ref, rs, 'ref'), cur: sideOf(cur, cs, 'cur'), skipped: plan.skipped,
    notes: new Map(plan.columns.filter((p) => p.note).map((p) => [subjectOf(p.name, opts), p.note!])),
    release,
  };
}

/** Reads a profile from a loaded file: one aggregate pass for the numeric columns, one GROUP BY per categorical one. */
export async function loadedProfile(store: Store, src: Extract<Source, { kind: 'loaded' }>, opts: ProfileOptions): Promise<Profile> {
  const p: Profile = { rows: src.file.rows, numeric: new Map(), categorical: new Map(), skipped: [] };
  const entries = [...src.subjects].filter(([subject]) => opts.prediction !== false || subject !== PREDICTION_SUBJECT);
  const numeric = entries.filter(([, c]) => c.kind === 'numeric');
  const text = entries.filter(([, c]) => c.kind === 'categorical');
  const exprs = ['count() AS __rows'];
  numeric.forEach(([, c], i) => {
    const ok = `${c.expr} IS NOT NULL AND isFinite(assumeNotNull(${c.expr}))`;
    const v = `assumeNotNull(${c.expr})`;
    exprs.push(
      `countIf(${ok}) AS __n${i}`, `countIf(${c.expr} IS NULL) AS __z${i}`,
      `avgIf(${v}, ${ok}) AS __mean${i}`, `stddevPopIf(${v}, ${ok}) AS __sd${i}`, `minIf(${v}, ${ok}) AS __mn${i}`, `maxIf(${v}, ${ok}) AS __mx${i}`,
      // The sketch costs most of this pass; within the exact limit every method reads the values instead.
      opts.sketches === false ? `CAST([], 'Array(Float64)') AS __q${i}` : `quantilesTDigestIf(${LEVELS_SQL})(${v}, ${ok}) AS __q${i}`,
    );
  });
  text.forEach(([, c], i) => exprs.push(`count(${c.expr}) AS __tn${i}`));
  const [row] = await store.query<Record<string, any>>(`SELECT ${exprs.join(', ')} FROM ${src.file.table}`, tokenParams());
  p.rows = Number(row.__rows);
  numeric.forEach(([subject], i) => {
    const n = Number(row[`__n${i}`]);
    const nulls = Number(row[`__z${i}`]);
    const col = numericColumn({ feature: subject, n, mean: row[`__mean${i}`], sd: row[`__sd${i}`], mn: row[`__mn${i}`], mx: row[`__mx${i}`], q: row[`__q${i}`] }, nulls);
    col.nonFinite = p.rows - n - nulls;
    p.numeric.set(subject, col);
  });
  for (const [i, [subject, c]] of text.entries()) {
    const rows = await store.query<{ cat: string; cnt: string }>(
      `SELECT assumeNotNull(${c.expr}) AS cat, count() AS cnt FROM ${src.file.table} WHERE ${c.expr} IS NOT NULL
       GROUP BY cat ORDER BY cnt DESC, cat LIMIT ${MAX_CATEGORIES}`,
      tokenParams(),
    );
    const col: CategoricalColumn = { counts: new Map(), n: 0, nulls: p.rows - Number(row[`__tn${i}`]) };
    for (const r of rows) {
      col.counts.set(r.cat, Number(r.cnt));
      col.n += Number(r.cnt);
    }
    p.categorical.set(subject, col);
  }
  return p;
}
