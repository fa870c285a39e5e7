import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyText, fuzzApp, heapAfterGc, mutatedBytes, mutatedJson, RUNS, runAll, SEED } from './fuzz-helpers.ts';

// 10,000 malformed bodies through POST /v1/predictions: NDJSON mixing valid, mutated and random
// lines, JSON arrays of the same, and byte-level mutations of both. Seeded.
let app: FastifyInstance;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ app, stop } = await fuzzApp());
});
afterAll(async () => stop?.());

const recent = Date.now() - 3_600_000;
const VALID = { model: 'fz', id: 'p1', version: 'v1', timestamp: recent, features: { x: 1.5, c: 'red', b: true, n: null }, prediction: 0.7, label: 'yes', score: 0.9, latency_ms: 12, attributes: { k: 'v' } };
const prediction = fc.record(
  {
    model: fc.oneof(fc.constantFrom('fz', 'fz-2'), fc.string({ maxLength: 10 })),
    id: fc.string({ maxLength: 12 }),
    timestamp: fc.oneof(fc.constant(recent), fc.integer(), fc.string({ maxLength: 30 }), fc.constant(new Date(recent).toISOString())),
    features: fc.dictionary(fc.oneof(fc.constantFrom('x', 'y', 'c'), fc.string({ maxLength: 8 })), fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 })), { maxKeys: 6 }),
    prediction: fc.oneof(fc.double(), fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })),
    score: fc.oneof(fc.double(), fc.string({ maxLength: 4 })),
    latency_ms: fc.oneof(fc.double(), fc.constant(-1)),
  },
  { requiredKeys: ['model'] },
);
const element = fc.oneof(
  { weight: 3, arbitrary: prediction },
  { weight: 3, arbitrary: mutatedJson(VALID) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
const line = fc.oneof(
  { weight: 6, arbitrary: element.map((v) => JSON.stringify(v) ?? '') },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: mutatedBytes([Buffer.from(JSON.stringify(VALID))]).map((b) => b.toString('utf8')) },
);
const ndjson = fc.tuple(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n', '\n\n')).map(([ls, sep]) => Buffer.from(ls.join(sep)));
const array = fc.array(element, { maxLength: 30 }).map((a) => Buffer.from(JSON.stringify(a)));
const input = fc.record({
  type: fc.constantFrom('application/x-ndjson', 'application/json'),
  body: fc.oneof({ weight: 5, arbitrary: ndjson }, { weight: 2, arbitrary: array }, { weight: 2, arbitrary: mutatedBytes([Buffer.from(JSON.stringify([VALID, VALID])), Buffer.from(`${JSON.stringify(VALID)}\n${JSON.stringify(VALID)}`)]) }, { weight: 1, arbitrary: anyText.map((t) => Buffer.from(t)) }),
});

// The route's contract: a body starting with "[" is one JSON array (else 400); anything else is
// NDJSON, where each non-blank line is accepted or rejected on its own, even a record whose fields
// break conversion (a value whose toString is not a function).
function expected(body: Buffer): { status: 400 } | { status: 200; records: number } {
  const text = body.toString('utf8');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      const v = JSON.parse(trimmed);
      return Array.isArray(v) ? { status: 200, records: v.length } : { status: 400 };
    } catch {
      return { status: 400 };
    }
  }
  const lines = text.split('\n').filter((l) => l.trim());
  return { status: 200, records: lines.length };
}

describe('fuzzing the NDJSON / JSON prediction decoder through HTTP', () => {
  it(`${RUNS} malformed bodies: 400 exactly for a broken JSON array, else 200 with accepted + rejected = records (partialSuccess iff rejected); never 5xx; no heap growth`, { timeout: 300_000 }, async () => {
    const inputs = fc.sample(input, { seed: SEED, numRuns: RUNS });
    const counts = { 400: 0, ok: 0, partial: 0, accepted: 0 };
    const check = async ({ type, body }: { type: string; body: Buffer }) => {
      const res = await app.inject({ method: 'POST', url: '/v1/predictions', payload: body, headers: { 'content-type': type } });
      const want = expected(body);
      const r = res.json();
      if (want.status === 400) {
        expect(res.statusCode, res.body.slice(0, 400)).toBe(400);
        expect(r).toMatchObject({ error: 'MW_ERR_BODY_UNDECODABLE' });
        counts[400]++;
        return;
      }
      expect(res.statusCode, res.body.slice(0, 400)).toBe(200);
      expect(r.accepted + r.rejected).toBe(want.records);
      counts.accepted += r.accepted;
      if (r.rejected > 0) {
        expect(r.partialSuccess).toMatchObject({ rejectedPredictions: r.rejected, errorMessage: expect.stringMatching(/rejected/) });
        counts.partial++;
      } else {
        expect(r.partialSuccess).toBeUndefined();
        counts.ok++;
      }
    };
    await runAll(inputs.slice(0, 300), check);
    const before = heapAfterGc();
    const failures = await runAll(inputs, check);
    const growth = heapAfterGc() - before;
    console.log(`ndjson fuzz: ${JSON.stringify(counts)} (warm-up counted too), heap growth ${(growth / 1048576).toFixed(1)} MiB`);
    expect(failures.slice(0, 5), `seed ${SEED}; input #i = fc.sample(input, { seed, numRuns })[i]`).toEqual([]);
    expect(counts[400]).toBeGreaterThan(100);
    expect(counts.partial).toBeGreaterThan(100);
    expect(counts.ok).toBeGreaterThan(100);
    expect(counts.accepted).toBeGreaterThan(1000);
    expect(growth).toBeLessThan(32 * 1024 * 1024);
  });
});
