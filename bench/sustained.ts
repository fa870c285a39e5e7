/**
 * The ingest bench's sustained end-to-end rate: a stream several times the senders' window, timed
 * in its middle. A 200,000-row burst from 32 senders of 5,000 rows has 160,000 rows out at once, so
 * most of it is parsed before the first insert answers and its end waits for the last insert
 * alone: its rate mixes throughput with the writer's acknowledgement latency. Here the rate is the
 * slope of acknowledged rows over time between the acknowledgement of a fifth of the stream and of
 * four fifths (a least-squares fit, since acknowledgements come in steps, one per insert).
 */
import { Worker } from 'node:worker_threads';
import protobuf from 'protobufjs';
import { linearRegression } from 'simple-statistics';
import { otlpBody, record } from './ingest-data.ts';
import { SEND_LOOP } from './collector-alone.ts';

// SEND_LOOP, keeping when each request was acknowledged. The thread copies its own bodies (fetch
// takes no view of shared memory) before it says 'ready', so the caller's CPU accounting starts
// after them.
const SENDER = `${SEND_LOOP}
const { parentPort, workerData } = require('node:worker_threads');
const { url, shared, offsets, type, concurrency } = workerData;
const bodies = offsets.slice(1).map((end, i) => new Uint8Array(shared, offsets[i], end - offsets[i]).slice());
parentPort.postMessage('ready');
parentPort.once('message', () => {
  const acks = [];
  sendAll(url, bodies, type, concurrency, acks).then(() => parentPort.postMessage(acks), (err) => parentPort.postMessage({ error: String(err) }));
});
`;

/** Request bodies of `rows` predictions (ids `s<i>`, none of them the burst runs' own), `perRequest` each. */
export function sustainedBodies(Req: protobuf.Type, rows: number, perRequest: number, base: number): { protobuf: SharedBodies; ndjson: SharedBodies } {
  const out = { protobuf: [] as Buffer[], ndjson: [] as Buffer[] };
  // Chunk by chunk, so that no million row objects stay alive into the runs.
  for (let i = 0; i < rows; i += perRequest) {
    const recs = Array.from({ length: Math.min(perRequest, rows - i) }, (_, k) => record(i + k, base, 'bench', 's'));
    out.protobuf.push(otlpBody(Req, recs));
    out.ndjson.push(Buffer.from(recs.map((r) => JSON.stringify(r)).join('\n')));
  }
  return { protobuf: share(out.protobuf), ndjson: share(out.ndjson) };
}

/** Request bodies in one block of shared memory, body i from offsets[i] to offsets[i + 1]. */
export interface SharedBodies {
  shared: SharedArrayBuffer;
  offsets: number[];
}

// Shared, so that starting a sender thread copies no body on this thread.
function share(bodies: Buffer[]): SharedBodies {
  const offsets = [0];
  for (const b of bodies) offsets.push(offsets[offsets.length - 1] + b.length);
  const shared = new SharedArrayBuffer(offsets[offsets.length - 1]);
  const view = new Uint8Array(shared);
  bodies.forEach((b, i) => view.set(b, offsets[i]));
  return { shared, offsets };
}

/**
 * Sends the bodies from a worker thread (`concurrency` requests at a time), calling `started` once
 * the thread is ready and about to send; rows/s in the stream's middle and over all of it.
 */
export async function sustainedRun(url: string, bodies: SharedBodies, type: string, concurrency: number, perRequest: number, started: () => void): Promise<{ middle: number; overall: number }> {
  const worker = new Worker(SENDER, { eval: true, workerData: { url, ...bodies, type, concurrency } });
  const acks = await new Promise<number[] | { error: string }>((resolve, reject) => {
    worker.on('message', (m) => {
      if (m !== 'ready') return resolve(m);
      started();
      worker.postMessage('go');
    });
    worker.once('error', reject);
  });
  await worker.terminate();
  if (!Array.isArray(acks)) throw new Error(acks.error);
  acks.sort((a, b) => a - b);
  const from = Math.floor(acks.length / 5);
  const to = Math.ceil((acks.length * 4) / 5);
  const points = acks.slice(from, to).map((ms, i) => [ms / 1000, (from + i + 1) * perRequest]);
  return { middle: linearRegression(points).m, overall: (acks.length * perRequest) / (acks[acks.length - 1] / 1000) };
}
