import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { featureObject, type FeatureList } from '../../core/features.ts';
import { requestType } from './codec.ts';
import { decodeLogsRequest } from './logs-wire.ts';
import { transformLogs } from './logs.ts';
import { closePrediction, openPrediction, PredictionDraft } from './prediction-log.ts';
import { knownAttribute } from './prediction-wire.ts';
import { MAX_ANY_VALUE_DEPTH, Reader } from './wire.ts';
import { deepProtoLogsBody } from '../../test/robustness/fuzz-helpers.ts';

const Req = requestType('logs');
const { Writer } = protobuf;
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

// ml.prediction records as exporters send them, and as they should not: every value kind, 64-bit
// ints, AnyValues with two oneof members set, attributes without a value or key, repeated keys.
const featureKey = fc.constantFrom('a', 'b', 'c', 'f0', 'f1', 'f2', 'f3', 'f4', 'f5', '__proto__', '', 'bad name', 'x'.repeat(129)).map((f) => `ml.feature.${f}`);
const predKey = fc.oneof(
  { weight: 6, arbitrary: featureKey },
  { weight: 3, arbitrary: fc.constantFrom('ml.model.name', 'ml.model.version', 'ml.prediction.id', 'ml.prediction.value', 'ml.prediction.label', 'ml.prediction.score', 'ml.inference.duration_ms', 'error.type', 'event.name') },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const predScalar = fc.oneof(
  fc.record({ stringValue: fc.oneof(fc.constantFrom('m', 'red', '12.5', '', 'é☃'), fc.string({ maxLength: 6 })) }),
  fc.record({ doubleValue: fc.oneof(fc.double(), fc.constantFrom(0, -0, 1.5, Infinity, -Infinity, NaN)) }),
  fc.record({ intValue: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String)) }),
  fc.record({ boolValue: fc.boolean() }),
);
const predValue = fc.oneof(
  { weight: 8, arbitrary: predScalar },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.tuple(predScalar, predScalar).map(([x, y]) => ({ ...y, ...x })) },
  { weight: 1, arbitrary: anyValue },
);
const predKv = fc.record({ key: predKey, value: predValue }, { requiredKeys: [] });
const predRecord = fc.record(
  {
    timeUnixNano: nanos,
    observedTimeUnixNano: nanos,
    severityText: fc.string({ maxLength: 3 }),
    body: anyValue,
    attributes: fc.array(predKv, { maxLength: 14 }),
    traceId: fc.uint8Array({ maxLength: 16 }),
    spanId: fc.uint8Array({ maxLength: 8 }),
    eventName: fc.constant('ml.prediction'),
  },
  { requiredKeys: ['eventName', 'attributes'] },
);
const resourceKv = fc.record({ key: fc.constantFrom('service.name', 'service.version', 'deployment.environment', 'host.name', 'other'), value: predScalar });
const predRequest = fc.record({
  resourceLogs: fc.array(
    fc.record({
      resource: fc.record({ attributes: fc.array(resourceKv, { maxLength: 4 }) }),
      scopeLogs: fc.array(fc.record({ logRecords: fc.array(fc.oneof({ weight: 4, arbitrary: predRecord }, { weight: 1, arbitrary: logRecord }), { maxLength: 6 }) }), { maxLength: 2 }),
    }),
    { maxLength: 2 },
  ),
});

describe('lean OTLP logs decoder', () => {
  it('reads ml.prediction records into the same rows and rejections as the generic reader', () => {
    fc.assert(
      fc.property(predRequest, (msg) => {
        const body = encode(msg);
        expect(rows(decodeLogsRequest(body))).toBe(rows(Req.decode(body)));
        // A plain Uint8Array (not a Buffer) takes protobufjs's other Reader.
        const plain = new Uint8Array(body);
        expect(rows(decodeLogsRequest(plain))).toBe(rows(Req.decode(plain)));
      }),
      { numRuns: 1000, seed: 11 },
    );
  });

  it('gives the same rows when the attribute keys at each position change from request to request', () => {
    const req = (keys: string[]) => ({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'ml.prediction', attributes: [{ key: 'ml.model.name', value: { stringValue: 'm' } }, ...keys.map((key, i) => ({ key, value: { doubleValue: i } }))] }] }] }],
    });
    for (const keys of [['ml.feature.a', 'ml.feature.b'], ['ml.feature.b', 'ml.feature.a'], ['ml.feature.ab', 'ml.prediction.score'], ['ml.feature.a', 'ml.feature.b']]) {
      const body = encode(req(keys));
      expect(rows(decodeLogsRequest(body))).toBe(rows(Req.decode(body)));
    }
  });

  it('reads every well-formed ml.prediction record through the fused reader, and no other record', () => {
    fc.assert(
      fc.property(logRecord, (rec) => {
        const decoded = decodeLogsRequest(encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [rec] }] }] })) as any;
        const got = decoded.resourceLogs[0].scopeLogs[0].logRecords[0];
        expect(got instanceof PredictionDraft).toBe(rec.eventName === 'ml.prediction');
      }),
      { numRuns: 500, seed: 12 },
    );
  });

  it('can be transformed again (Kafka checks a message before it ingests it): equal rows, as new objects with values of their own', () => {
    const body = encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: `${NOW}000000`, eventName: 'ml.prediction', attributes: [{ key: 'ml.model.name', value: { stringValue: 'm' } }, { key: 'ml.feature.x', value: { doubleValue: 1.5 } }, { key: 'ml.feature.c', value: { stringValue: 'red' } }, { key: 'ml.feature.n', value: {} }] }] }] }] });
    const decoded = decodeLogsRequest(body);
    const first = transformLogs(decoded, NOW);
    const second = transformLogs(decoded, NOW);
    expect(second.predictions).toEqual(first.predictions);
    expect(second.predictions[0]).not.toBe(first.predictions[0]);
    // A row's values are its own; the names it shares with other rows cannot be changed.
    const num = second.predictions[0].features_num as FeatureList<number>;
    const cat = second.predictions[0].features_cat as FeatureList<string>;
    expect(num.values).not.toBe((first.predictions[0].features_num as FeatureList<number>).values);
    num.values[0] = 99;
    cat.values[0] = 'hashed';
    second.predictions[0].features_null.push('bucketized');
    expect(Object.isFrozen(num.names) && Object.isFrozen(cat.names)).toBe(true);
    const third = transformLogs(decoded, NOW).predictions[0];
    expect(featureObject(third.features_num)).toEqual({ x: 1.5 });
    expect(featureObject(third.features_cat)).toEqual({ c: 'red' });
    expect(third.features_null).toEqual(['n']);
  });

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
      fc.property(fc.oneof(request, predRequest), fc.nat(), (msg, cut) => {
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

  it('reads the common attribute shapes in one pass once their key is known, and leaves others to the full reader', () => {
    const KV = Req.root.lookupType('modelwatch.otlp.KeyValue');
    // An attribute as it stands in a record: its length, then the KeyValue.
    const attr = (value: object) => Reader.create(Writer.create().bytes(KV.encode(KV.fromObject({ key: 'ml.feature.k', value })).finish()).finish());
    const read = (value: object) => {
      const r = attr(value);
      const d = openPrediction();
      const fast = knownAttribute(r, d, 0);
      closePrediction(d);
      return { fast, pos: r.pos, len: r.len, features: d.features };
    };
    // Not seen at this position yet: left to the full reader, position unchanged.
    expect(read({ doubleValue: 1 })).toMatchObject({ fast: false, pos: 0 });
    decodeLogsRequest(encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'ml.prediction', attributes: [{ key: 'ml.feature.k', value: { doubleValue: 0 } }] }] }] }] }));
    const cases: [object, string, unknown][] = [
      [{ doubleValue: -2.5 }, 'num', -2.5],
      [{ stringValue: 'red' }, 'cat', 'red'],
      // Values seen before come from a small cache: a longer or shorter value is not one of them.
      [{ stringValue: 'red' }, 'cat', 'red'],
      [{ stringValue: 'redder' }, 'cat', 'redder'],
      [{ stringValue: 're' }, 'cat', 're'],
      [{ stringValue: '' }, 'cat', ''],
      [{ stringValue: 'red' }, 'cat', 'red'],
      [{ stringValue: 'é☃' }, 'cat', 'é☃'],
      [{ intValue: 7 }, 'num', 7],
      [{ intValue: '-9007199254740993' }, 'num', -9007199254740992],
      [{ boolValue: true }, 'cat', 'true'],
    ];
    for (const [value, kind, want] of cases) {
      const got = read(value);
      expect(got.fast, JSON.stringify(value)).toBe(true);
      expect(got.pos).toBe(got.len);
      expect((got.features as any)[kind].values).toEqual([want]);
    }
    for (const value of [{}, { stringValue: 'x'.repeat(200) }, { arrayValue: { values: [] } }]) expect(read(value), JSON.stringify(value)).toMatchObject({ fast: false, pos: 0 });
  });

  it('refuses a bad feature name in every record, also once its key is known at its position', () => {
    const record = { eventName: 'ml.prediction', attributes: [{ key: 'ml.model.name', value: { stringValue: 'm' } }, { key: 'ml.feature.bad name', value: { doubleValue: 1 } }] };
    const body = encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [record, record, record] }] }] });
    const out = transformLogs(decodeLogsRequest(body), NOW);
    expect(out.predictions).toHaveLength(0);
    expect(out.rejected).toBe(3);
    expect(rows(decodeLogsRequest(body))).toBe(rows(Req.decode(body)));
  });

  it(`reads AnyValues nested ${MAX_ANY_VALUE_DEPTH} deep and refuses deeper ones, whatever the stack of the thread`, () => {
    const out = transformLogs(decodeLogsRequest(deepProtoLogsBody(MAX_ANY_VALUE_DEPTH)));
    expect(out.rejected).toBe(1); // an array is no feature value: the record is refused, the body read
    expect(out.errors[0]).toMatch(/feature "deep" has unsupported type array/);
    expect(() => decodeLogsRequest(deepProtoLogsBody(MAX_ANY_VALUE_DEPTH + 1))).toThrow(`AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  });

  it('keeps 64-bit nanosecond timestamps exact', () => {
    const body = encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1790000000123456789', eventName: 'app.log' }] }] }] });
    const d = decodeLogsRequest(body) as any;
    expect(d.resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano).toBe('1790000000123456789');
  });
});
