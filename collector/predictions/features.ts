/**
 * Splits one prediction's features by kind as they are read: finite numbers to the numeric
 * FeatureList, strings and booleans to the categorical one, nulls and non-finite numbers to the
 * null list; the first feature that cannot be stored (a bad name, an array or an object) is kept
 * as the record's error. Every reader of predictions goes through it, so the rules are one.
 *
 * The readers call it while they read a record (the protobuf reader, before the record's resource
 * is known), so a record's features never sit in a mixed array of boxed values: numbers go
 * straight into a reused number array and then into the row's own FeatureList.
 */
import type { FeatureList } from '../../core/features.ts';
import { FeatureListBuilder } from './shapes.ts';

/** Feature names: the same rule the SDK applies (letters, digits, `_ . -`, at most 128). */
export const FEATURE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

// Names already checked: feature sets repeat, so the pattern runs once per name, not once per value.
const validNames = new Set<string>();
/** Whether a feature name is allowed (FEATURE_NAME). */
export function validName(name: string): boolean {
  if (validNames.has(name)) return true;
  if (!FEATURE_NAME.test(name)) return false;
  if (validNames.size < 100_000) validNames.add(name);
  return true;
}

/** One record's features by kind, or why the record is refused (`error`, the first bad feature). */
export interface Features {
  num: FeatureList<number>;
  cat: FeatureList<string>;
  nulls: string[];
  error: string | null;
}

/**
 * Collects one record's features at a time: begin(), add() per feature in the record's order,
 * end(). Synchronous use only: it keeps the record's features in reused scratch arrays.
 */
export class FeatureCollector {
  private readonly numLists = new FeatureListBuilder<number>();
  private readonly catLists = new FeatureListBuilder<string>();
  private readonly numNames: string[] = [];
  private readonly numValues: number[] = [];
  private readonly catNames: string[] = [];
  private readonly catValues: string[] = [];
  private nNum = 0;
  private nCat = 0;
  private nulls: string[] = [];
  private error: string | null = null;

  /** Starts a record. */
  begin(): void {
    this.nNum = 0;
    this.nCat = 0;
    this.nulls = [];
    this.error = null;
  }

  /** Adds a feature; after the first bad one the rest are ignored. */
  add(name: string, v: unknown): void {
    if (this.error !== null) return;
    if (!validName(name)) this.error = `feature name ${JSON.stringify(name)} is not allowed (letters, digits, _ . -; at most 128)`;
    else this.addValid(name, v);
  }

  /**
   * addValid() for a number: a reader that has the value as a double calls this, so that it is
   * stored unboxed (through addValid's `unknown` it became a heap number per feature).
   */
  addValidNumber(name: string, v: number): void {
    if (this.error !== null) return;
    // A non-finite number carries no information a test could use: store it as a null.
    if (v - v === 0) {
      this.numNames[this.nNum] = name;
      this.numValues[this.nNum++] = v;
    } else this.nulls.push(name);
  }

  /** add() for a name the caller has already checked with validName() (a reader's cached key). */
  addValid(name: string, v: unknown): void {
    if (this.error !== null) return;
    if (typeof v === 'number') this.addValidNumber(name, v);
    else if (typeof v === 'string' || typeof v === 'boolean') {
      this.catNames[this.nCat] = name;
      this.catValues[this.nCat++] = typeof v === 'string' ? v : v ? 'true' : 'false';
    } else if (v === null || v === undefined) {
      this.nulls.push(name);
    } else {
      this.error = `feature ${JSON.stringify(name)} has unsupported type ${Array.isArray(v) ? 'array' : typeof v} (number, string, boolean or null)`;
    }
  }

  /** The record's features, each list with its own values under interned names. */
  end(): Features {
    return {
      num: this.numLists.build(this.numNames, this.numValues, this.nNum),
      cat: this.catLists.build(this.catNames, this.catValues, this.nCat),
      nulls: this.nulls,
      error: this.error,
    };
  }
}

/** The collector every prediction reader shares (they run one record at a time, synchronously). */
export const featureCollector = new FeatureCollector();

/** Features given as name and value arrays (entries `from` to `to`), split as the readers split them. */
export function collectFeatures(names: readonly string[], values: readonly unknown[], from = 0, to = names.length): Features {
  featureCollector.begin();
  for (let i = from; i < to; i++) featureCollector.add(names[i], values[i]);
  return featureCollector.end();
}
