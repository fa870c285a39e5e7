import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestType } from './codec.ts';
import { decodeLogsRequest } from './logs-wire.ts';
import { transformLogs } from './logs.ts';

const Req = requestType('logs');
const NOW = 1_790_000_000_000;

const scalar = fc.oneof(
  fc.record({ stringValue: fc.string({ maxLength: 12 }) }),
  fc.record({ doubleValue: fc.double({ noNaN: false }) }),
  fc.record({ intValue: fc.integer({ min: -(2 ** 31), max: 2 ** 31 }) }),
  fc.record({ boolValue: fc.boolean() }),
);
const anyValue = fc.oneof(
  scalar,
  fc.record({ arrayValue: fc.record({ values: fc.array(scalar, { maxLength: 3 }) }) }),
  fc.record({ kvlistValue: fc.record({ values: fc.array(fc.record({ key: fc.string({ maxLength: 5 }), value: scalar }), { maxLength: 3 }) }) }),
  fc.record({ bytesValue: fc.uint8Array({ maxLength: 4 }) }),
);
const key = fc.oneof(
  fc.constantFrom('ml.model.name', 'ml.model.version', 'ml.prediction.id', 'ml.prediction.value', 'ml.prediction.label', 'ml.prediction.score', 'ml.inference.duration_ms', 'error.type', 'ml.label.value', 'event.name'),
  fc.constantFrom('a', 'b', 'c').map((f) => `ml.feature.${f}`),
  fc.string({ maxLength: 8 }),
);
const kv = fc.record({ key, value: anyValue }, { requiredKeys: ['key'] });
const nanos = fc.oneof(fc.constant(0), fc.bigInt({ min: 0n, max: 2n ** 63n }).map((b) => b.toString()), fc.constant(`${NOW}000000`));
const logRecord = fc.record(
  {
    timeUnixNano: nanos,
    observedTimeUnixNano: nanos,
    severityNumber: fc.integer({ min: 0, max: 24 }),
    severityText: fc.string({ maxLength: 5 }),
    body: anyValue,
    attributes: fc.array(kv, { maxLength: 8 }),
    traceId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    spanId: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    eventName: fc.constantFrom('ml.prediction', 'ml.ground_truth', 'app.log', ''),
  },
  { requiredKeys: [] },
);
const request = fc.record({
  resourceLogs: fc.array(
    fc.record(
      {
        resource: fc.record({ attributes: fc.array(kv, { maxLength: 4 }) }),
        scopeLogs: fc.array(fc.record({ scope: fc.record({ name: fc.string({ maxLength: 5 }), version: fc.string({ maxLength: 5 }) }), logRecords: fc.array(logRecord, { maxLength: 5 }) }, { requiredKeys: ['logRecords'] }), { maxLength: 3 }),
      },
      { requiredKeys: ['scopeLogs'] },
    ),
    { maxLength: 3 },
  ),
});

const encode = (msg: object) => Req.encode(Req.fromObject(msg)).finish();
// Rows as they are written: JSON text, so both decoders must yield the same stored values.
const rows = (decoded: unknown) => JSON.stringify(transformLogs(decoded, NOW));

describe('lean OTLP logs decoder', () => {
  it('yields the same rows as protobufjs for generated requests', () => {
    fc.assert(
      fc.property(request, (msg) => {
        const body = encode(msg);
        expect(rows(decodeLogsRequest(body))).toBe(rows(Req.decode(body)));
      }),
      { numRuns: 500, seed: 42 },
    );
  });

  it('throws on every strict prefix of a request that protobufjs also refuses', () => {
    fc.assert(
      fc.property(request, fc.nat(), (msg, cut) => {
        const body = encode(msg);
        if (body.length < 2) return;
        const prefix = body.subarray(0, cut % body.length);
        let theirs: string | null;
        try {
          theirs = rows(Req.decode(prefix));
        } catch {
          theirs = null;
        }
        let ours: string | null;
        try {
          ours = rows(decodeLogsRequest(prefix));
        } catch {
          ours = null;
        }
        expect(ours).toBe(theirs);
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('keeps 64-bit nanosecond timestamps exact', () => {
    const body = encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1790000000123456789', eventName: 'app.log' }] }] }] });
    const d = decodeLogsRequest(body) as any;
    expect(d.resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano).toBe('1790000000123456789');
  });
});
