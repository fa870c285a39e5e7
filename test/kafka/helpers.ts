/**
 * Shared pieces of the Kafka tests: producing numbered predictions, counting what landed (count,
 * distinct ids and a checksum), and an in-process consumer over a test store.
 */
import path from 'node:path';
import pino from 'pino';
import protobuf from 'protobufjs';
import { Registry } from 'prom-client';
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { Ingestor } from '../../collector/ingest.ts';
import { startKafkaIngest, type KafkaIngest, type KafkaIngestOptions } from '../../collector/kafka/index.ts';
import type { Store } from '../../storage/client.ts';
import { BatchWriter } from '../../storage/writer.ts';
import { afterAll, beforeAll } from 'vitest';
import { createTestStore } from '../helpers/store.ts';
import { startKafkaMock, type KafkaMock } from '../services/kafka-mock.ts';

/** Prediction ids are `${prefix}${i}`; the checksum sums cityHash64 over them in ClickHouse. */
export const ID_PREFIX = 'p-';

/** A kafkajs producer (acks -1 per send), quiet unless something goes wrong. */
export async function connectProducer(brokers: string[]): Promise<Producer> {
  const kafka = new Kafka({ clientId: 'mw-test-producer', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 } });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}

/**
 * One NDJSON prediction message, kept small: 200,000 of them over 6 partitions must stay under the
 * mock broker's 5 MiB per partition (about 4.3 MiB with these).
 */
export function predictionMessage(model: string, i: number, ts: number): string {
  return JSON.stringify({ model, id: `${ID_PREFIX}${i}`, timestamp: ts, prediction: i % 7, features: { x: i % 1000, c: i % 2 ? 'a' : 'b' } });
}

/**
 * Produces predictions `from`..`to-1` (one per message, keyed by id) in batches of `batch`
 * messages, acks -1. Resolves when the brokers acknowledged every message.
 */
export async function producePredictions(producer: Producer, topic: string, model: string, from: number, to: number, batch = 5000): Promise<void> {
  const ts = Date.now() - 60_000;
  for (let i = from; i < to; i += batch) {
    const messages = [];
    for (let j = i; j < Math.min(to, i + batch); j++) messages.push({ key: `${ID_PREFIX}${j}`, value: predictionMessage(model, j, ts) });
    await producer.send({ topic, acks: -1, messages });
  }
}

/** What landed for a model: rows, distinct ids and the checksum of the ids. */
export interface Landed {
  rows: number;
  ids: number;
  checksum: string;
}

/** Counts the model's rows in the store. */
export async function landed(store: Store, model: string): Promise<Landed> {
  const [r] = await store.query<{ rows: number; ids: number; checksum: string }>(
    `SELECT count() AS rows, uniqExact(prediction_id) AS ids, toString(sum(cityHash64(prediction_id))) AS checksum FROM ${store.t('predictions')} WHERE model = {model:String}`,
    { model },
  );
  return { rows: Number(r.rows), ids: Number(r.ids), checksum: r.checksum };
}

/** What landing ids 0..n-1 exactly once looks like. */
export async function expected(store: Store, n: number): Promise<Landed> {
  const [r] = await store.query<{ checksum: string }>(
    `SELECT toString(sum(cityHash64(concat({prefix:String}, toString(number))))) AS checksum FROM numbers({n:UInt64})`,
    { prefix: ID_PREFIX, n },
  );
  return { rows: n, ids: n, checksum: r.checksum };
}

/** Polls `check` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 120_000, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Consumer settings for tests: small pauses and linger so scenarios move quickly. */
export function testKafkaOptions(brokers: string[], over: Partial<KafkaIngestOptions> = {}): KafkaIngestOptions {
  return {
    brokers,
    clientId: 'mw-test',
    groupId: 'mw-test-group',
    topics: { predictions: [], otlpLogs: [] },
    sessionTimeoutMs: 6_000,
    maxBytesPerPartition: 1024 * 1024,
    pauseMs: 200,
    lingerMs: 300,
    chunk: { offsets: 10_000, maxRows: 50_000, maxBytes: 16 * 1024 * 1024 },
    partitionsConsumedConcurrently: 6,
    fromBeginning: true,
    ...over,
  };
}

/** A consumer writing through its own writer/ingestor into `store` (or a shared writer). */
export interface TestConsumer {
  kafka: KafkaIngest;
  writer: BatchWriter;
  registry: Registry;
  /** Stops the consumer (finishing its chunk), then closes its writer unless it was shared. */
  stop(): Promise<void>;
}

/** Starts an in-process consumer over `store`. */
export async function startTestConsumer(store: Store, options: KafkaIngestOptions, shared?: { writer: BatchWriter; ingestor: Ingestor }): Promise<TestConsumer> {
  const registry = new Registry();
  const writer = shared?.writer ?? new BatchWriter(store, { maxBatchRows: 50_000, flushIntervalMs: 100, maxQueueRows: 1_000_000, maxAttempts: 5, retryBaseMs: 100, registry });
  const ingestor = shared?.ingestor ?? new Ingestor(writer, registry, { retentionDays: 30 });
  const log = pino({ level: process.env.MW_TEST_LOG ?? 'silent' });
  const kafka = await startKafkaIngest(options, { ingestor, store, log, registry });
  return {
    kafka,
    writer,
    registry,
    async stop() {
      await kafka.stop();
      if (!shared) await writer.close();
    },
  };
}

/** Current value of a counter or gauge in a registry (summed over labels). */
export async function metricValue(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const v = await m.get();
  return v.values.reduce((n, x) => n + x.value, 0);
}

/** Encodes an ExportLogsServiceRequest (OTLP/JSON-like object, camelCase) as protobuf, with the collector's .proto files. */
export function encodeLogsRequest(req: object): Buffer {
  const type = otlpRoot().lookupType('modelwatch.otlp.ExportLogsServiceRequest');
  return Buffer.from(type.encode(type.fromObject(req)).finish());
}

let root: protobuf.Root | null = null;
function otlpRoot(): protobuf.Root {
  if (root) return root;
  const dir = path.resolve(import.meta.dirname, '../../collector/otlp/proto');
  root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(dir, path.basename(target));
  root.loadSync(['common.proto', 'logs.proto'].map((f) => path.join(dir, f)));
  root.resolveAll();
  return root;
}

/** An OTLP logs request with `n` ml.prediction events for `model`, ids `${idPrefix}${i}`. */
export function otlpPredictions(model: string, idPrefix: string, n: number): Buffer {
  const ts = BigInt(Date.now() - 60_000) * 1_000_000n;
  const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
  const num = (key: string, v: number) => ({ key, value: { doubleValue: v } });
  return encodeLogsRequest({
    resourceLogs: [{
      resource: { attributes: [str('service.name', 'otlp-test')] },
      scopeLogs: [{
        logRecords: Array.from({ length: n }, (_, i) => ({
          timeUnixNano: ts.toString(),
          eventName: 'ml.prediction',
          attributes: [str('ml.model.name', model), str('ml.prediction.id', `${idPrefix}${i}`), num('ml.prediction.value', i), num('ml.feature.x', i)],
        })),
      }],
    }],
  });
}

/**
 * Throws when the mock broker dropped the oldest messages of a partition: it keeps at most 5 MiB
 * (or 100,000 messages) per partition, so a test topic must stay under that to count exactly.
 */
export async function expectWholeLog(brokers: string[], topic: string): Promise<void> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const cut = offsets.filter((o) => o.low !== '0');
    if (cut.length) throw new Error(`the mock broker dropped old messages of ${topic} (partitions ${cut.map((o) => o.partition).join(', ')}): keep each partition under 5 MiB`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * A mock Kafka cluster of `brokers` brokers and a test store for one test file: started before its
 * tests, stopped after them. Read `mock` and `store` inside the tests.
 */
export function useKafkaAndStore(brokers: number): { readonly mock: KafkaMock; readonly store: Store } {
  let mock: KafkaMock | undefined;
  let test: Awaited<ReturnType<typeof createTestStore>> | undefined;
  beforeAll(async () => {
    mock = await startKafkaMock({ brokers });
    test = await createTestStore();
  });
  afterAll(async () => {
    await test?.cleanup();
    await mock?.stop();
  });
  return {
    get mock() {
      return mock!;
    },
    get store() {
      return test!.store;
    },
  };
}
