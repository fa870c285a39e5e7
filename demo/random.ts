/**
 * A seeded random source for the demo's simulated traffic. Hand-written because none of the
 * installed libraries offers a seedable generator, and a fixed seed makes every run play the same
 * traffic (the reference file and the steady phase then agree run after run).
 */

/** Draws from the distributions the simulated traffic uses. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal. */
  normal(): number;
  /** Log-normal with the given median and log-space standard deviation. */
  logNormal(median: number, sigma: number): number;
  /** Poisson with mean `lambda` (Knuth's method: fine for the small means used here). */
  poisson(lambda: number): number;
  /** One of `values`, drawn with the given weights (they need not sum to 1). */
  pick<T>(values: readonly T[], weights: readonly number[]): T;
}

/** A generator from a 32-bit seed (mulberry32). */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    // Box-Muller: two uniforms give two independent normals; keep the second for the next call.
    const u = Math.max(next(), 1e-12);
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    normal,
    logNormal: (median, sigma) => median * Math.exp(sigma * normal()),
    poisson(lambda) {
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = next();
      while (p > limit) {
        k++;
        p *= next();
      }
      return k;
    },
    pick(values, weights) {
      const total = weights.reduce((s, w) => s + w, 0);
      let x = next() * total;
      for (let i = 0; i < values.length; i++) {
        x -= weights[i];
        if (x < 0) return values[i];
      }
      return values[values.length - 1];
    },
  };
}
