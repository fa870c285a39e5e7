/**
 * Builds the FeatureLists of prediction rows (core/features.ts), interning their names: feature
 * sets repeat from record to record, so each distinct sequence of names maps to one frozen names
 * array, found again by comparing the sequence with a few recent ones (string identity first).
 *
 * The lists keep an object's semantics, which rows had when their maps were objects: a name given
 * twice keeps its first position and its last value, and `__proto__` is left out (a store of it
 * on a plain object sets nothing).
 */
import { FeatureList } from '../../core/features.ts';

const SKIPPED = '__proto__';
// Name sequences remembered: a few recent ones checked in order, then a bounded map by joined name.
const RECENT = 8;
const MAX_SHAPES = 1024;
// Longer sequences are not interned (the joined key would cost more than it saves).
const MAX_INTERNED = 256;

interface Shape {
  /** The names as given (duplicates and `__proto__` included). */
  raw: readonly string[];
  /** The list's names: distinct, first positions, no `__proto__`; frozen, shared by every row of this shape. */
  names: readonly string[];
  /** Position in `names` of each raw name (-1: left out); null when it is the identity. */
  slots: Int32Array | null;
}

const EMPTY_SHAPE: Shape = { raw: [], names: Object.freeze([]), slots: null };

function makeShape(raw: readonly string[]): Shape {
  const index = new Map<string, number>();
  const slots = new Int32Array(raw.length);
  let identity = true;
  for (let i = 0; i < raw.length; i++) {
    const name = raw[i];
    let at = name === SKIPPED ? -1 : index.get(name);
    if (at === undefined) {
      at = index.size;
      index.set(name, at);
    }
    slots[i] = at;
    if (at !== i) identity = false;
  }
  return { raw, names: Object.freeze([...index.keys()]), slots: identity ? null : slots };
}

function sameNames(a: readonly string[], b: readonly string[], n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Interned names for feature lists of one kind; `build` makes a row's list from scratch arrays. */
export class FeatureListBuilder<V extends number | string> {
  private readonly recent: Shape[] = [];
  private readonly byKey = new Map<string, Shape>();

  /** A new list of `values[0..n)` under `names[0..n)` (the arrays are the caller's scratch, read now). */
  build(names: readonly string[], values: readonly V[], n: number): FeatureList<V> {
    const shape = this.shape(names, n);
    if (shape.slots === null) return new FeatureList<V>(shape.names, values.slice(0, n));
    const out = new Array<V>(shape.names.length);
    const slots = shape.slots;
    for (let i = 0; i < n; i++) if (slots[i] >= 0) out[slots[i]] = values[i];
    return new FeatureList<V>(shape.names, out);
  }

  private shape(names: readonly string[], n: number): Shape {
    if (n === 0) return EMPTY_SHAPE;
    const recent = this.recent;
    for (let s = 0; s < recent.length; s++) if (sameNames(recent[s].raw, names, n)) return recent[s];
    const raw = names.slice(0, n);
    if (n > MAX_INTERNED) return makeShape(raw);
    const joined = raw.join('\n');
    let shape = this.byKey.get(joined);
    // Names are validated before they get here (no line breaks), but a collision must not mix shapes.
    if (!shape || !sameNames(shape.raw, raw, n)) {
      shape = makeShape(raw);
      if (this.byKey.size >= MAX_SHAPES) this.byKey.clear();
      this.byKey.set(joined, shape);
    }
    if (recent.length >= RECENT) recent.pop();
    recent.unshift(shape);
    return shape;
  }
}
