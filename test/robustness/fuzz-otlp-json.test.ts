import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Signal } from '../../collector/otlp/codec.ts';
import { transformLogs } from '../../collector/otlp/logs.ts';
import { transformMetrics } from '../../collector/otlp/metrics.ts';
import { transformTraces } from '../../collector/otlp/traces.ts';
import { anyText, deepJsonLogs, fuzzApp, heapAfterGc, JSON_SEEDS, mutatedBytes, mutatedJson, RUNS, runAll, SEED } from './fuzz-helpers.ts';

// 10,000 malformed OTLP/JSON bodies through POST /v1/{logs,metrics,traces}: random text, random
// JSON, structural mutations of valid requests (wrong types, huge numbers, prototype keys, deep
// nesting), byte-level mutations of their text, and AnyValues nested 20,000 deep. Seeded.
let app: FastifyInstance;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ app, stop } = await fuzzApp());
});
afterAll(async () => stop?.());

const SIGNALS: Signal[] = ['logs', 'metrics', 'traces'];
const REJECTED = { logs: 'rejectedLogRecords', metrics: 'rejectedDataPoints', traces: 'rejectedSpans' } as const;
const seedTexts = SIGNALS.map((s) => Buffer.from(JSON.stringify(JSON_SEEDS[s])));

const input = fc.constantFrom(...SIGNALS).chain((signal) =>
  fc.record({
    signal: fc.constant(signal),
    body: fc.oneof(
      { weight: 4, arbitrary: anyText.map((t) => Buffer.from(t)) },
      { weight: 4, arbitrary: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')) },
      // Mostly the route's own signal, sometimes another signal's request.
      { weight: 16, arbitrary: mutatedJson(JSON_SEEDS[signal]).map((v) => Buffer.from(JSON.stringify(v) ?? '')) },
      { weight: 4, arbitrary: fc.constantFrom(...SIGNALS).chain((other) => mutatedJson(JSON_SEEDS[other])).map((v) => Buffer.from(JSON.stringify(v) ?? '')) },
      { weight: 8, arbitrary: mutatedBytes(seedTexts) },
      { weight: 1, arbitrary: deepJsonLogs },
    ),
  }),
);

const TRANSFORM = { logs: transformLogs, metrics: transformMetrics, traces: transformTraces };

// The route's contract: a 400 unless the body is empty or a JSON object whose shape the signal's
// transform can walk (a record with bad values is rejected alone: 200 with partial_success).
function decodes(signal: Signal, body: Buffer): boolean {
  if (body.length === 0) return true;
  try {
    const v = JSON.parse(body.toString('utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    TRANSFORM[signal](v);
    return true;
  } catch {
    return false;
  }
}

describe('fuzzing the OTLP/JSON decoders through HTTP', () => {
  it(`${RUNS} malformed bodies: 400 exactly when the body is not a JSON object of the OTLP shape, else 200 (partial_success iff records were rejected); never 5xx; no heap growth`, { timeout: 300_000 }, async () => {
    const inputs = fc.sample(input, { seed: SEED, numRuns: RUNS });
    const counts = { 400: 0, ok: 0, partial: 0 };
    const check = async ({ signal, body }: { signal: Signal; body: Buffer }) => {
      const res = await app.inject({ method: 'POST', url: `/v1/${signal}`, payload: body, headers: { 'content-type': 'application/json' } });
      expect(res.headers['content-type']).toContain('application/json');
      const r = res.json();
      if (!decodes(signal, body)) {
        expect(res.statusCode, res.body.slice(0, 400)).toBe(400);
        expect(r).toMatchObject({ code: 3, error: 'MW_ERR_BODY_UNDECODABLE' });
        counts[400]++;
        return;
      }
      expect(res.statusCode, res.body.slice(0, 400)).toBe(200);
      if (r.partialSuccess) {
        expect(Object.keys(r)).toEqual(['partialSuccess']);
        expect(r.partialSuccess[REJECTED[signal]]).toBeGreaterThan(0);
        expect(r.partialSuccess.errorMessage).toMatch(/rejected/);
        counts.partial++;
      } else {
        expect(r).toEqual({});
        counts.ok++;
      }
    };
    await runAll(inputs.slice(0, 300), check);
    const before = heapAfterGc();
    const failures = await runAll(inputs, check);
    const growth = heapAfterGc() - before;
    console.log(`otlp json fuzz: ${JSON.stringify(counts)} (warm-up counted too), heap growth ${(growth / 1048576).toFixed(1)} MiB`);
    expect(failures.slice(0, 5), `seed ${SEED}; input #i = fc.sample(input, { seed, numRuns })[i]`).toEqual([]);
    expect(counts[400]).toBeGreaterThan(100);
    expect(counts.partial).toBeGreaterThan(100);
    expect(counts.ok).toBeGreaterThan(100);
    expect(growth).toBeLessThan(32 * 1024 * 1024);
    const ok = await app.inject({ method: 'POST', url: '/v1/logs', payload: JSON.stringify(JSON_SEEDS.logs), headers: { 'content-type': 'application/json' } });
    expect(ok.statusCode).toBe(200);
  });
});
