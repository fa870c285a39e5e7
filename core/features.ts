/**
 * The features of one kind (numeric or categorical) of one prediction row: values under a list of
 * names. Rows that carry the same feature names in the same order share one frozen names array
 * (the collector interns it), so a row costs one values array, numbers stored unboxed, instead
 * of an object with a property per feature and a heap number per value; and the Native encoder
 * writes a shared list's names once, as bytes, instead of walking every row's keys.
 * `JSON.stringify` renders it as the object a map column reads in JSONEachRow: `{ name: value }`.
 * Names are distinct and never `__proto__`.
 */
export class FeatureList<V extends number | string> {
  constructor(
    readonly names: readonly string[],
    readonly values: V[],
  ) {}

  /** The `{ name: value }` object (what JSON text and the spool's dead letters hold). */
  toJSON(): Record<string, V> {
    return featureObject(this);
  }
}

/** A row's feature map: a FeatureList as the collector builds it, or a plain object (decoded blocks, tests). */
export type FeatureMap<V extends number | string> = FeatureList<V> | Record<string, V>;

/** The map as a plain object: a new one for a FeatureList, the object itself otherwise. */
export function featureObject<V extends number | string>(m: FeatureMap<V>): Record<string, V> {
  if (!(m instanceof FeatureList)) return m;
  const out: Record<string, V> = {};
  const { names, values } = m;
  for (let i = 0; i < names.length; i++) out[names[i]] = values[i];
  return out;
}
