// Old code against new, in one process: the collector's decode + transform + encode of the ingest
// bench's 5,000-record request (bench/ingest-data.ts), for two checkouts of the project, timed in
// pairs whose order alternates (old then new, new then old). Prints the process CPU per record of
// each side (GC threads included) and the median of the pairs' new/old ratios, with its quartiles.
// Timing one path per process, in alternating pairs, keeps an A/A run (one commit on both sides)
// within 0.995-1.03; both paths taking turns in one process gave 0.89-0.96 (BENCHMARKS.md).
// Usage: node --max-semi-space-size=64 bin/run-ts.mjs bench/stages-ab.ts --old DIR [--new DIR]
//        [--path protobuf|ndjson] [--pairs 80] [--reps 3]
// DIR: a checkout with its dependencies, e.g. `git worktree add ../old REV` and a link to
// node_modules in it. --new defaults to this checkout.
import path from 'node:path';
import protobuf from 'protobufjs';
import { arg, median, numArg } from './args.ts';
import { otlpBody, record } from './ingest-data.ts';

const OLD = arg('old', '');
const NEW = path.resolve(arg('new', path.join(import.meta.dirname, '..')));
const PATH = arg('path', 'protobuf');
const PAIRS = numArg('pairs', 80);
const REPS = numArg('reps', 3);
const N = 5_000;
if (!OLD || !['protobuf', 'ndjson'].includes(PATH)) {
  console.error('usage: stages-ab.ts --old DIR [--new DIR] [--path protobuf|ndjson] [--pairs 80] [--reps 3]');
  process.exit(2);
}

/** One checkout's decode + transform + encode of a request, as a function. */
async function side(dir: string, body: Buffer, ndjson: string, base: number): Promise<() => unknown> {
  const root = path.resolve(dir);
  const { decodeRequest } = await import(path.join(root, 'collector/otlp/codec.ts'));
  const { transformLogs } = await import(path.join(root, 'collector/otlp/logs.ts'));
  const { parsePredictionsBody } = await import(path.join(root, 'collector/predictions/json.ts'));
  const { encodeNativeBlock } = await import(path.join(root, 'storage/native/block.ts'));
  const { NATIVE_TABLES } = await import(path.join(root, 'storage/native/tables.ts'));
  const columns = NATIVE_TABLES.predictions;
  return PATH === 'protobuf'
    ? () => encodeNativeBlock(columns, transformLogs(decodeRequest('logs', body)).predictions)
    : () => encodeNativeBlock(columns, parsePredictionsBody(ndjson, base).rows);
}

async function main() {
  const { requestType } = await import(path.join(NEW, 'collector/otlp/codec.ts'));
  const base = Date.now();
  const recs = Array.from({ length: N }, (_, i) => record(i, base));
  const body = otlpBody(requestType('logs') as protobuf.Type, recs);
  const ndjson = recs.map((r) => JSON.stringify(r)).join('\n');
  const oldRun = await side(OLD, body, ndjson, base);
  const newRun = await side(NEW, body, ndjson, base);
  const cpuUs = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const time = (run: () => unknown) => {
    const c0 = cpuUs();
    for (let i = 0; i < REPS; i++) run();
    return (cpuUs() - c0) / REPS / N;
  };
  for (let i = 0; i < 10; i++) {
    oldRun();
    newRun();
  }
  const olds: number[] = [];
  const news: number[] = [];
  const ratios: number[] = [];
  for (let pair = 0; pair < PAIRS; pair++) {
    let o: number, n: number;
    if (pair % 2) {
      n = time(newRun);
      o = time(oldRun);
    } else {
      o = time(oldRun);
      n = time(newRun);
    }
    olds.push(o);
    news.push(n);
    ratios.push(n / o);
  }
  const q = (p: number) => [...ratios].sort((a, b) => a - b)[Math.floor(p * (ratios.length - 1))];
  console.log(`${PATH}, ${PAIRS} pairs of ${REPS} passes over a ${N}-record request; process CPU µs per record (medians)`);
  console.log(`old ${OLD}: ${median(olds).toFixed(2)}`);
  console.log(`new ${NEW}: ${median(news).toFixed(2)}`);
  console.log(`new/old, median of the pairs: ${median(ratios).toFixed(3)} (quartiles ${q(0.25).toFixed(3)}-${q(0.75).toFixed(3)})`);
}

await main();
