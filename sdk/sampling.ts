/**
 * Head sampling of predictions. With an id, the decision is a hash of the id, so a prediction and
 * its later ground truth are kept or dropped together; without one it is random.
 */

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * MurmurHash3's 32-bit finaliser: spreads FNV's weak high bits, so sequential ids (`id-1`,
 * `id-2`...) are sampled at the configured rate.
 */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Returns the keep/drop decision function for a rate in [0, 1]. */
export function makeSampler(rate: number): (id: string | undefined) => boolean {
  if (!(rate < 1)) return () => true; // also catches NaN: keep everything
  if (rate <= 0) return () => false;
  const threshold = rate * 0x100000000;
  return (id) => (typeof id === 'string' ? mix32(fnv1a32(id)) < threshold : Math.random() < rate);
}

/** Clamps a user-supplied rate into [0, 1]; anything not a number means 1. */
export function clampRate(rate: unknown): number {
  if (typeof rate !== 'number' || Number.isNaN(rate)) return 1;
  return Math.min(1, Math.max(0, rate));
}
