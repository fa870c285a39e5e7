/**
 * What a drift side is read from and what its profile holds, plus the SQL pieces every reader
 * shares: the window filter for raw rows and rollups, and file() access for reference files.
 */
import type { Params, Store } from '../../storage/client.ts';
import { rollupSource, type Level, type RollupSignal } from '../../storage/levels.ts';
import { windowParams, type Window } from '../window.ts';
import type { LoadedColumn, LoadedFile } from './file-load.ts';
import type { FileSource } from './reference.ts';
import type { QuantileSummary } from './sketch.ts';

/** The subject name under which the model's own output is compared. */
export const PREDICTION_SUBJECT = '__prediction__';

/** At most this many categories per column are read; the rest are summed into OTHER_CATEGORY. */
export const MAX_CATEGORIES = 10_000;
/** Bucket for categories beyond MAX_CATEGORIES. */
export const OTHER_CATEGORY = '__other__';

/** A segment: rows whose categorical feature `feature` equals `value`. */
export interface Segment {
  feature: string;
  value: string;
}

/** Where a distribution is read from. Raw and rollup sources are one model version over a window. */
export type Source =
  /** Rollups, each stretch of the window from the coarsest level that holds it whole, at most `coarsest` (default day). */
  | { kind: 'rollup'; model: string; version: string; window: Window; coarsest?: Level }
  | { kind: 'raw'; model: string; version: string; window: Window; segment?: Segment }
  | { kind: 'file'; file: FileSource }
  /** A file loaded into a typed table (what a file side becomes before it is read): subject -> column. */
  | { kind: 'loaded'; file: LoadedFile; subjects: Map<string, LoadedColumn> };

/** A numeric column: its quantile summary, moments and null count. */
export interface NumericColumn {
  summary: QuantileSummary;
  mean: number;
  std: number;
  nulls: number;
  /** +-inf values (files): counted apart, never compared. */
  nonFinite?: number;
}

/** A categorical column: counts per category and null count. */
export interface CategoricalColumn {
  counts: Map<string, number>;
  n: number;
  nulls: number;
}

/** Everything drift needs about one side, in a few kilobytes per column. */
export interface Profile {
  rows: number;
  numeric: Map<string, NumericColumn>;
  categorical: Map<string, CategoricalColumn>;
  /** Columns read but not usable (unsupported type or name), with the reason. */
  skipped: { column: string; reason: string }[];
  /**
   * Raw windows read from a 1-in-k row sample: the stride, and the numeric columns whose value
   * counts are estimates (sampled count x k). Absent when every row was read.
   */
  rowSample?: { stride: number; estimated: string[] };
}

/** What to read: the prediction subject too, columns forced categorical, a column filter. */
export interface ProfileOptions {
  prediction?: boolean;
  categorical?: ReadonlySet<string>;
  columns?: ReadonlySet<string>;
  /** Files: keep every column under its own name (no prediction subject). */
  literal?: boolean;
  /** Loaded files: build quantile sketches (false when every column is within the exact limit and sketches would go unused). */
  sketches?: boolean;
  /** Raw windows: rows digested into quantile sketches before sampling starts (default SKETCH_SAMPLE_ROWS). */
  sketchSampleRows?: number;
}

/** A numeric profile row as the readers select it. */
export interface NumRow { feature: string; n: string | number; mean: number; sd: number; mn: number; mx: number; q: number[] }
/** A categorical profile row as the readers select it. */
export interface CatRow { feature: string; category: string; c: string | number }

/** WHERE clause and parameters selecting one model version's raw rows over a window (and segment). */
export function sourceWhere(src: Extract<Source, { kind: 'raw' }>): { where: string; params: Params } {
  const params: Params = { model: src.model, version: src.version, ...windowParams(src.window) };
  let where = "model = {model:String} AND version = {version:String} AND ts >= {from:DateTime64(3,'UTC')} AND ts < {to:DateTime64(3,'UTC')}";
  if (src.segment) {
    where += ' AND features_cat[{segFeature:String}] = {segValue:String}';
    params.segFeature = src.segment.feature;
    params.segValue = src.segment.value;
  }
  return { where, params };
}

/**
 * One model version's rollup rows of `signal` over a rollup side's window: the table expression
 * (minute, hour and day levels as storage/levels.ts plans them), its filter and parameters.
 */
export function rollupRead(store: Pick<Store, 't'>, src: Extract<Source, { kind: 'rollup' }>, signal: RollupSignal): { from: string; where: string; params: Params } {
  const { sql, params } = rollupSource(store, signal, src.window, { coarsest: src.coarsest });
  return { from: sql, where: 'model = {model:String} AND version = {version:String}', params: { ...params, model: src.model, version: src.version } };
}

/** A profile's numeric column from a selected row. */
export function numericColumn(r: NumRow, nulls: number): NumericColumn {
  const n = Number(r.n);
  return { summary: { n, min: Number(r.mn), max: Number(r.mx), q: r.q.map(Number) }, mean: Number(r.mean), std: Math.max(0, Number(r.sd)), nulls };
}

/** Adds category counts to a profile's categorical columns. */
export function addCategories(target: Map<string, CategoricalColumn>, rows: CatRow[]): void {
  for (const r of rows) {
    let col = target.get(r.feature);
    if (!col) target.set(r.feature, (col = { counts: new Map(), n: 0, nulls: 0 }));
    const c = Number(r.c);
    col.counts.set(r.category, (col.counts.get(r.category) ?? 0) + c);
    col.n += c;
  }
}

/** File columns that hold the model's output. */
export const PREDICTION_COLUMNS = new Set(['prediction_value', 'prediction_label', 'prediction']);
