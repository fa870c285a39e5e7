/**
 * Child of bench/drift-files.bench.ts: compares two files once (as `modelwatch drift` does) and
 * prints the Node heap peak and the largest external (typed array) memory seen, as JSON.
 *
 *   node --expose-gc bin/run-ts.mjs bench/drift-files-heap.ts REF CUR
 */
import { driftFiles } from '../cli/commands/drift.ts';

const [ref, cur] = process.argv.slice(2);
(globalThis as any).gc?.();
let heap = process.memoryUsage().heapUsed;
let external = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  heap = Math.max(heap, m.heapUsed);
  external = Math.max(external, m.arrayBuffers);
}, 2);
const t = performance.now();
await driftFiles({ reference: ref, current: cur });
clearInterval(sampler);
process.stdout.write(JSON.stringify({ heapMiB: heap / 2 ** 20, externalMiB: external / 2 ** 20, secs: (performance.now() - t) / 1000 }) + '\n');
