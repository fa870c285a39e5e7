/** What every benchmark shares: its `--name value` flags, the median of repeated runs and a heap sampler. */

/** The value after `--name` on the command line, or `dflt`. */
export function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

/** A numeric `--name value` flag, or `dflt`. */
export function numArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

/** The median of repeated measurements (the upper one of an even count). */
export function median(v: readonly number[]): number {
  return [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
}

/** Samples the Node heap every 5 ms: `reset()` collects garbage and starts a new peak from the heap now (returned), `peak()` reads it. */
export function heapSampler(): { reset: () => number; peak: () => number; stop: () => void } {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
  return {
    reset: () => {
      (globalThis as { gc?: () => void }).gc?.();
      return (peak = process.memoryUsage().heapUsed);
    },
    peak: () => peak,
    stop: () => clearInterval(timer),
  };
}
