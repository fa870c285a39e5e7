/** What `modelwatch check` knows about a data file: the facts its expectations are judged on. */

/** A column's kind of values as the file holds them (decided from every row, as drift does). */
export type ObservedType = 'numeric' | 'categorical' | 'boolean' | 'datetime' | 'null' | 'unsupported';

/** The facts about one column of a file. */
export interface ObservedColumn {
  name: string;
  type: ObservedType;
  /** The type as scanned (Int64, Float64, String, Bool, DateTime, Null, or the native type): said in messages. */
  detail: string;
  /** A text column of a typed file (Parquet, NDJSON) whose values are all numbers. */
  numericText: boolean;
  nulls: number;
  /** +-inf values (numeric columns). */
  nonFinite: number;
  /** Smallest and largest finite value (numeric columns with at least one). */
  min?: number;
  max?: number;
  /** Values below the contract's min / above its max (when the contract has them). */
  belowMin?: number;
  aboveMax?: number;
  /** Rows per category (categorical and boolean columns). */
  categories?: Map<string, number>;
  /** False when only the most frequent categories were read (MAX_CATEGORIES). */
  categoriesComplete?: boolean;
}

/** A column's drift verdict against the reference, or why it has none. */
export type ColumnDriftFact =
  | { drift: boolean; method: string; statistic: number; p_value: number | null; threshold: number }
  | { skipped: string };

/** Drift of the current file against the reference, for the contract's columns. */
export interface DriftFacts {
  columns: Map<string, ColumnDriftFact>;
  dataset: { columns: number; drifted: number; share: number; drift: boolean; threshold: number };
  referenceRows: number;
}

/** Everything known about one file (and, with a reference, its drift). */
export interface Observed {
  rows: number;
  /** Columns in file order, index columns left out, one per name. */
  columns: ObservedColumn[];
  /** Names that occur more than once in the file. */
  duplicates: string[];
  /** Drift facts, or why there are none (no reference). */
  drift: DriftFacts | { skipped: string };
}
