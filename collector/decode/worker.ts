// A decode thread: reads request bodies, applies retention, scope and privacy, and encodes the
// rows as the writer queues them, so that the collector's event loop only queues bytes. Started by
// pool.ts through thread-entry.mjs.
import { parentPort, workerData } from 'node:worker_threads';
import { modelScope } from '../auth/scope.ts';
import { decodeBody } from '../ingest-body.ts';
import { prepareWrite, type PrepareSettings } from '../ingest-prepare.ts';
import { compilePrivacy } from '../privacy/policy.ts';
import { errorSpec, type DecodeAnswer, type DecodeJob } from './protocol.ts';
import type { DecodeThreadData } from './pool.ts';

const data = workerData as DecodeThreadData;
const settings: PrepareSettings = { retentionDays: data.retentionDays, privacy: compilePrivacy(data.privacy) };
// Below Node's pool size a Buffer may share its memory with others: such blocks are copied before
// they are moved to the other thread (a larger one owns its ArrayBuffer).
const OWN_BUFFER_BYTES = Buffer.poolSize;

parentPort!.on('message', (job: DecodeJob) => {
  let answer: DecodeAnswer;
  const transfer: ArrayBuffer[] = [];
  try {
    const scope = job.scope ? { ...modelScope(job.scope.patterns, false), keyId: job.scope.keyId } : undefined;
    const prepared = prepareWrite(decodeBody(job.kind, job.proto, job.body), settings, scope);
    for (const [, payload] of prepared.tables) {
      if (!payload.blocks) continue;
      payload.blocks = payload.blocks.map((b) => {
        const own = b.length >= OWN_BUFFER_BYTES && b.byteOffset === 0 ? b : Buffer.from(new Uint8Array(b).buffer);
        if (!transfer.includes(own.buffer as ArrayBuffer)) transfer.push(own.buffer as ArrayBuffer);
        return own;
      });
    }
    answer = { id: job.id, ok: prepared };
  } catch (err) {
    answer = { id: job.id, error: errorSpec(err) };
  }
  parentPort!.postMessage(answer, transfer);
});
