import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../core/config/load.ts';
import { buildCollector, type Collector } from '../../collector/server.ts';
import { requestType, type Signal } from '../../collector/otlp/codec.ts';
import { createTestStore } from '../helpers/store.ts';

/** Inputs per decoder, and the seed that makes every run generate the same ones. */
export const RUNS = 10_000;
export const SEED = 20_240_611;

/** A collector (not listening: driven with app.inject) over a fresh embedded store. */
export async function fuzzApp(): Promise<{ app: FastifyInstance; collector: Collector; stop: () => Promise<void> }> {
  const { store, dataDir, cleanup } = await createTestStore();
  const config = loadConfig({ overrides: { 'storage.dataDir': dataDir, 'writer.flushIntervalMs': 50 } });
  const collector = buildCollector({ store, config, logger: pino({ level: 'silent' }) });
  await collector.app.ready();
  return {
    app: collector.app,
    collector,
    stop: async () => {
      await collector.app.close();
      await collector.writer.close();
      await cleanup();
    },
  };
}

/** Forces a full GC and returns heapUsed (gc exposed at runtime: no CLI flag needed). */
export function heapAfterGc(): number {
  v8.setFlagsFromString('--expose_gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Runs `check` over every input, `concurrency` at a time; returns the failures (index + message), not throwing mid-run. */
export async function runAll<T>(inputs: T[], check: (input: T, i: number) => Promise<void>, concurrency = 64): Promise<{ i: number; error: string }[]> {
  const failures: { i: number; error: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < inputs.length) {
        const i = next++;
        try {
          await check(inputs[i], i);
        } catch (err) {
          failures.push({ i, error: (err as Error).message.slice(0, 500) });
        }
      }
    }),
  );
  return failures.sort((a, b) => a.i - b.i);
}

// ---- seeds: one valid request per signal, as OTLP/JSON and as protobuf -------------------------

const NOW_NS = `${Date.now() - 3_600_000}000000`;
const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';
const kv = (key: string, value: object) => ({ key, value });
const resource = { attributes: [kv('service.name', { stringValue: 'fuzz-svc' }), kv('host.name', { stringValue: 'h1' })] };

/** Valid OTLP/JSON requests the structural mutations start from. */
export const JSON_SEEDS: Record<Signal, object> = {
  logs: {
    resourceLogs: [{
      resource,
      scopeLogs: [{
        scope: { name: 'fuzz', version: '1' },
        logRecords: [
          {
            timeUnixNano: NOW_NS, eventName: 'ml.prediction', severityNumber: 9, traceId: TRACE, spanId: SPAN,
            attributes: [
              kv('ml.model.name', { stringValue: 'fuzz' }), kv('ml.prediction.id', { stringValue: 'p1' }), kv('ml.prediction.value', { doubleValue: 0.5 }),
              kv('ml.feature.x', { doubleValue: 1.5 }), kv('ml.feature.n', { intValue: '42' }), kv('ml.feature.c', { stringValue: 'red' }),
              kv('ml.feature.b', { boolValue: true }), kv('ml.feature.arr', { arrayValue: { values: [{ intValue: 1 }] } }),
            ],
          },
          { timeUnixNano: NOW_NS, eventName: 'ml.ground_truth', attributes: [kv('ml.model.name', { stringValue: 'fuzz' }), kv('ml.prediction.id', { stringValue: 'p1' }), kv('ml.label.value', { intValue: 1 })] },
          { timeUnixNano: NOW_NS, severityText: 'INFO', body: { stringValue: 'plain log line' }, attributes: [kv('k', { kvlistValue: { values: [kv('a', { bytesValue: 'AAEC' })] } })] },
        ],
      }],
    }],
  },
  metrics: {
    resourceMetrics: [{
      resource,
      scopeMetrics: [{
        scope: { name: 'fuzz' },
        metrics: [
          { name: 'hw.gpu.utilization', unit: '1', gauge: { dataPoints: [{ timeUnixNano: NOW_NS, asDouble: 0.7, attributes: [kv('hw.id', { stringValue: 'gpu-0' })] }] } },
          { name: 'requests', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ startTimeUnixNano: NOW_NS, timeUnixNano: NOW_NS, asInt: '12' }] } },
          { name: 'latency', unit: 'ms', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: NOW_NS, count: '3', sum: 12.5, bucketCounts: ['1', '1', '1'], explicitBounds: [1, 10], min: 1, max: 9 }] } },
        ],
      }],
    }],
  },
  traces: {
    resourceSpans: [{
      resource,
      scopeSpans: [{
        scope: { name: 'fuzz' },
        spans: [{
          traceId: TRACE, spanId: SPAN, parentSpanId: '', name: 'predict', kind: 2, startTimeUnixNano: NOW_NS, endTimeUnixNano: NOW_NS,
          attributes: [kv('ml.model.name', { stringValue: 'fuzz' })], status: { code: 2, message: 'boom' },
          events: [{ timeUnixNano: NOW_NS, name: 'e', attributes: [] }],
        }],
      }],
    }],
  },
};

// protobufjs wants bytes as Buffers: the hex ids of OTLP/JSON become raw bytes.
function toProtoShape(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => toProtoShape(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toProtoShape(x, k)]));
  if (typeof v === 'string' && /^(traceId|spanId|parentSpanId)$/.test(key)) return Buffer.from(v, 'hex');
  if (typeof v === 'string' && key === 'bytesValue') return Buffer.from(v, 'base64');
  return v;
}

/** The JSON seeds encoded as protobuf export requests. */
export const PROTO_SEEDS: Record<Signal, Buffer> = Object.fromEntries(
  (['logs', 'metrics', 'traces'] as Signal[]).map((s) => [s, Buffer.from(requestType(s).encode(requestType(s).fromObject(toProtoShape(JSON_SEEDS[s]) as object)).finish())]),
) as Record<Signal, Buffer>;

// ---- mutations ----------------------------------------------------------------------------------

type ByteMutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'set'; pos: number; value: number }
  | { kind: 'insert'; pos: number; bytes: Uint8Array }
  | { kind: 'delete'; pos: number; len: number }
  | { kind: 'truncate'; pos: number }
  | { kind: 'duplicate'; pos: number; len: number };

const pos = fc.nat({ max: 1 << 20 });
const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), pos, bit: fc.nat({ max: 7 }) }),
  // Varint continuation bits, wire-type edges, JSON structure characters.
  fc.record({ kind: fc.constant('set' as const), pos, value: fc.oneof(fc.constantFrom(0x00, 0xff, 0x80, 0x7f, 0x0a, 0x12, 0x22, 0x5b, 0x7b, 0x7d, 0x2c, 0x3a), fc.nat({ max: 255 })) }),
  fc.record({ kind: fc.constant('insert' as const), pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), pos, len: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ kind: fc.constant('truncate' as const), pos }),
  fc.record({ kind: fc.constant('duplicate' as const), pos, len: fc.integer({ min: 1, max: 64 }) }),
);

function applyBytes(seed: Uint8Array, muts: ByteMutation[]): Buffer {
  let b = Buffer.from(seed);
  for (const m of muts) {
    const p = b.length === 0 ? 0 : m.pos % b.length;
    switch (m.kind) {
      case 'flip': if (b.length) b[p] ^= 1 << m.bit; break;
      case 'set': if (b.length) b[p] = m.value; break;
      case 'insert': b = Buffer.concat([b.subarray(0, p), m.bytes, b.subarray(p)]); break;
      case 'delete': b = Buffer.concat([b.subarray(0, p), b.subarray(p + m.len)]); break;
      case 'truncate': b = b.subarray(0, p); break;
      case 'duplicate': b = Buffer.concat([b.subarray(0, p + m.len), b.subarray(p)]); break;
    }
  }
  return b;
}

/** Byte-level mutations (1..maxMutations) of one of the seeds. */
export function mutatedBytes(seeds: Uint8Array[], maxMutations = 8): fc.Arbitrary<Buffer> {
  return fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(byteMutation, { minLength: 1, maxLength: maxMutations })).map(([s, muts]) => applyBytes(seeds[s], muts));
}

// Values chosen to hit the edges of JSON handling: wrong types, huge numbers, prototype keys, nesting.
const tricky = fc.constantFrom<unknown>(
  null, true, 0, -1, 1e308, -1e308, 'NaN', 'Infinity', '-0', '18446744073709551616', '-9223372036854775809', '9'.repeat(40), '',
  '\u0000', '\ud800', 'x'.repeat(70_000), [], {}, [[[[[]]]]], { __proto__: null, toString: 1 }, JSON.parse('{"__proto__":{"polluted":1}}'),
  { constructor: { prototype: { polluted: 1 } } }, { stringValue: 1 }, { intValue: 'abc' }, { intValue: '1e3' }, { doubleValue: 'x' },
  { arrayValue: { values: 'no' } }, { kvlistValue: { values: [null] } }, { bytesValue: '!!!' },
);

// A nested AnyValue (array in array...), shallow enough for JSON.stringify to write.
const nestedAnyValue = fc.integer({ min: 10, max: 300 }).map((depth) => {
  let v: object = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) v = { arrayValue: { values: [v] } };
  return v;
});

const jsonLeaf = fc.oneof({ weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) }, { weight: 2, arbitrary: tricky }, { weight: 1, arbitrary: nestedAnyValue });

/**
 * A logs request whose one attribute value is an AnyValue nested `depth` deep (up to 20,000: far
 * beyond any call stack), as OTLP/JSON text: finds recursion without a bound in decoders and transforms.
 */
export const deepJsonLogs = fc.integer({ min: 100, max: 20_000 }).map((depth) => {
  const seed = structuredClone(JSON_SEEDS.logs) as any;
  seed.resourceLogs[0].scopeLogs[0].logRecords[0].attributes.push(kv('ml.feature.deep', { stringValue: '@DEEP@' }));
  const deep = '{"arrayValue":{"values":['.repeat(depth) + '{"stringValue":"leaf"}' + ']}}'.repeat(depth);
  return Buffer.from(JSON.stringify(seed).replace('{"stringValue":"@DEEP@"}', deep));
});

const varint = (n: number): Buffer => {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
};
const lenField = (num: number, bytes: Buffer) => Buffer.concat([varint((num << 3) | 2), varint(bytes.length), bytes]);
const kvBytes = (key: string, value: Buffer) => Buffer.concat([lenField(1, Buffer.from(key)), lenField(2, value)]);

/** The same as deepJsonLogs, as protobuf (written by hand: protobufjs's encoder recurses too). */
export const deepProtoLogs = fc.integer({ min: 100, max: 20_000 }).map((depth) => deepProtoLogsBody(depth));

/** A logs request whose feature `deep` is an AnyValue of `depth` nested arrays around a string. */
export function deepProtoLogsBody(depth: number): Buffer {
  // Built outside-in from lengths computed inside-out: nesting by concatenation would copy O(depth²) bytes.
  const leaf = lenField(1, Buffer.from('leaf'));
  const prefixes: Buffer[] = [];
  let inner = leaf.length;
  for (let i = 0; i < depth; i++) {
    const arrayLen = 1 + varint(inner).length + inner;
    prefixes.push(Buffer.concat([Buffer.from([0x2a]), varint(arrayLen), Buffer.from([0x0a]), varint(inner)]));
    inner = 1 + varint(arrayLen).length + arrayLen;
  }
  const any = Buffer.concat([...prefixes.reverse(), leaf]);
  const time = Buffer.alloc(9);
  time[0] = 0x09; // field 1, fixed64
  time.writeBigUInt64LE(BigInt(NOW_NS), 1);
  const record = Buffer.concat([
    time,
    lenField(12, Buffer.from('ml.prediction')),
    lenField(6, kvBytes('ml.model.name', lenField(1, Buffer.from('fuzz')))),
    lenField(6, kvBytes('ml.feature.deep', any)),
  ]);
  return lenField(1, lenField(2, lenField(2, record)));
}

type JsonMutation = { pick: number; kind: 'replace' | 'delete' | 'wrap' | 'dup' | 'rename'; value: unknown; name: string };
const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom('replace', 'replace', 'delete', 'wrap', 'dup', 'rename'),
  value: jsonLeaf,
  name: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'intValue', 'stringValue', 'timeUnixNano', 'resourceLogs', 'values')),
});

// Every (container, key) in the tree, parents before children.
function slots(root: any): [any, string | number][] {
  const out: [any, string | number][] = [];
  const walk = (node: any) => {
    if (node && typeof node === 'object') {
      for (const k of Array.isArray(node) ? node.keys() : Object.keys(node)) {
        out.push([node, k]);
        walk(node[k]);
      }
    }
  };
  walk(root);
  return out;
}

function applyJson(seed: object, muts: JsonMutation[]): unknown {
  const root = structuredClone(seed) as any;
  for (const m of muts) {
    const all = slots(root);
    if (all.length === 0) break;
    const [node, key]: [any, any] = all[m.pick % all.length];
    switch (m.kind) {
      // A copy: constants are shared between samples, and a later mutation could make a cycle.
      case 'replace': node[key] = structuredClone(m.value); break;
      case 'delete': if (Array.isArray(node)) node.splice(key as number, 1); else delete node[key]; break;
      case 'wrap': node[key] = [node[key]]; break;
      case 'dup': if (Array.isArray(node)) node.push(...Array(8).fill(node[key])); else node[m.name] = node[key]; break;
      case 'rename': if (!Array.isArray(node)) { node[m.name] = node[key]; delete node[key]; } break;
    }
  }
  return root;
}

/** Structural mutations (1..6) of a JSON seed: replaced, deleted, wrapped, duplicated or renamed subtrees. */
export function mutatedJson(seed: object): fc.Arbitrary<unknown> {
  return fc.array(jsonMutation, { minLength: 1, maxLength: 6 }).map((muts) => applyJson(seed, muts));
}

/**
 * Structural mutations of a JSON seed, encoded as protobuf: well-formed wire bytes with odd content
 * (missing fields, empty lists, unknown enum values, extreme numbers). Mutations protobufjs cannot
 * encode fall back to the seed cut in half.
 */
export function mutatedProto(signal: Signal): fc.Arbitrary<Buffer> {
  const type = requestType(signal);
  return mutatedJson(JSON_SEEDS[signal]).map((v) => {
    try {
      return Buffer.from(type.encode(type.fromObject(toProtoShape(v) as object)).finish());
    } catch {
      return PROTO_SEEDS[signal].subarray(0, PROTO_SEEDS[signal].length >> 1);
    }
  });
}

/** Random text: arbitrary code points, including lone surrogates and controls. */
export const anyText = fc.string({ unit: 'binary', maxLength: 300 });
