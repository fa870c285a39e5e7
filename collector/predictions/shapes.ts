/**
 * Fresh objects with a given sequence of keys, for the feature maps of prediction rows.
 *
 * Why not `{}` and `obj[name] = v`: V8 turns an object that gets more than about 16 properties
 * through computed-key stores into a hash-table ("dictionary") object, which is slower to build,
 * to serialize and to collect; 20 numeric features per row are past that. An object built by
 * JSON.parse keeps fast properties, and a spread copy of it (`{ ...template }`) does too and
 * shares one hidden class with every other copy. So each distinct key sequence gets a template
 * once, and a row's map is a copy of it with the values stored over the placeholders.
 */

/** Keys left out of templates: a `__proto__` store on a plain object sets nothing, as before. */
const SKIPPED = '__proto__';
// Key sequences remembered: a few recent ones checked in order, then a bounded map by joined key.
const RECENT = 8;
const MAX_SHAPES = 1024;
// Past about this many keys V8 keeps even a parsed object as a dictionary: no template then.
const MAX_KEYS = 128;

interface Shape<V> {
  keys: string[];
  template: Record<string, V>;
}

/** Templates by key sequence; `create` returns a new object holding the keys with placeholder values. */
export class ShapeCache<V> {
  private readonly recent: Shape<V>[] = [];
  private readonly byKey = new Map<string, Shape<V>>();

  constructor(private readonly placeholder: V) {}

  /**
   * A fresh object with keys `keys[0..n)` (in that order, duplicates once) set to the placeholder;
   * an empty one for more than MAX_KEYS keys (the caller's stores add them, in the same order).
   */
  create(keys: readonly string[], n: number): Record<string, V> {
    if (n > MAX_KEYS) return {};
    const recent = this.recent;
    for (let s = 0; s < recent.length; s++) {
      if (sameKeys(recent[s].keys, keys, n)) return { ...recent[s].template };
    }
    return { ...this.miss(keys, n).template };
  }

  private miss(keys: readonly string[], n: number): Shape<V> {
    const own = keys.slice(0, n);
    const joined = own.join('\n');
    let shape = this.byKey.get(joined);
    if (!shape) {
      const spec: Record<string, V> = {};
      for (const k of own) if (k !== SKIPPED) spec[k] = this.placeholder;
      shape = { keys: own, template: JSON.parse(JSON.stringify(spec)) as Record<string, V> };
      if (this.byKey.size >= MAX_SHAPES) this.byKey.clear();
      this.byKey.set(joined, shape);
    }
    if (this.recent.length >= RECENT) this.recent.pop();
    this.recent.unshift(shape);
    return shape;
  }
}

function sameKeys(a: readonly string[], b: readonly string[], n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
