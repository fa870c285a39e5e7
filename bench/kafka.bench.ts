// Kafka ingest benchmark: messages/s from a Kafka topic into ClickHouse (modelwatch's consumer with
// its default settings, embedded ClickHouse) beside, in the same run and on the same topic, the raw
// consume rate of a plain kafkajs consumer group that only counts messages, and the modelwatch
// consumer with writes switched off (decode, chunking and offset commits only).
// Broker: librdkafka's mock cluster (test/services/kafka-mock.ts), 3 brokers on loopback. The mock
// keeps at most 5 MiB (or 100,000 messages) per partition and drops older messages beyond that, so
// the topic is sized to fit (24 partitions of about 4 MB), messages go round-robin, and chunks are
// cut at messages / partitions offsets (6,250; default 50,000) so that each partition makes one full
// chunk rather than a tail that waits lingerMs.
// Also in the same run: the insert ceiling, the same rows inserted straight into ClickHouse in
// inserts of the size the consumer made.
// Usage: node bin/run-ts.mjs bench/kafka.bench.ts [--messages N] [--partitions N] [--chunk-offsets N]
//        [--format predictions|otlp] [--per-message N] (records per message, otlp only)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import protobuf from 'protobufjs';
import { Registry } from 'prom-client';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { loadConfig } from '../core/config/load.ts';
import { createStore } from '../storage/client.ts';
import { migrate } from '../storage/migrate.ts';
import { BatchWriter } from '../storage/writer.ts';
import { Ingestor } from '../collector/ingest.ts';
import { kafkaOptionsFromConfig, startKafkaIngest } from '../collector/kafka/index.ts';
import { parsePredictionsBody } from '../collector/predictions/json.ts';
import { startKafkaMock } from '../test/services/kafka-mock.ts';
import { arg } from './args.ts';
import { record as recordOf } from './ingest-data.ts';

const MESSAGES = Number(arg('messages', '150000'));
const PARTITIONS = Number(arg('partitions', '24'));
const CHUNK_OFFSETS = Number(arg('chunk-offsets', String(Math.ceil(MESSAGES / PARTITIONS))));
const FORMAT = arg('format', 'predictions') as 'predictions' | 'otlp';
const PER_MESSAGE = FORMAT === 'otlp' ? Number(arg('per-message', '100')) : 1;
const log = pino({ level: 'warn' });

// The ingest bench's predictions, under a model and ids of this bench's own.
const record = (i: number, base: number) => recordOf(i, base, 'bench-kafka', 'k');

function otlpEncoder(): (recs: ReturnType<typeof record>[]) => Buffer {
  const dir = path.resolve(import.meta.dirname, '../collector/otlp/proto');
  const root = new protobuf.Root();
  root.resolvePath = (_o, t) => path.join(dir, path.basename(t));
  root.loadSync(['common.proto', 'logs.proto'].map((f) => path.join(dir, f)));
  root.resolveAll();
  const Req = root.lookupType('modelwatch.otlp.ExportLogsServiceRequest');
  const kv = (key: string, v: number | string) => ({ key, value: typeof v === 'number' ? { doubleValue: v } : { stringValue: v } });
  return (recs) => {
    const logRecords = recs.map((r) => ({
      timeUnixNano: String(BigInt(r.timestamp) * 1_000_000n),
      eventName: 'ml.prediction',
      attributes: [kv('ml.model.name', r.model), kv('ml.model.version', r.version), kv('ml.prediction.id', r.id), kv('ml.prediction.value', r.prediction), kv('ml.inference.duration_ms', r.latency_ms), ...Object.entries(r.features).map(([k, v]) => kv(`ml.feature.${k}`, v))],
    }));
    return Buffer.from(Req.encode(Req.fromObject({ resourceLogs: [{ resource: { attributes: [kv('service.name', 'bench')] }, scopeLogs: [{ logRecords }] }] })).finish());
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
const fmt = (n: number) => n.toLocaleString('en-US');

async function counter(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  return m ? (await m.get()).values.reduce((n, v) => n + v.value, 0) : 0;
}

const mock = await startKafkaMock({ brokers: 3 });
const topic = 'bench-preds';
await mock.createTopic(topic, PARTITIONS);
const kafka = new Kafka({ clientId: 'bench', brokers: mock.brokers, logLevel: logLevel.NOTHING });

// 1. Produce.
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
const base = Date.now() - 3_600_000;
const encode = FORMAT === 'otlp' ? otlpEncoder() : null;
let bytes = 0;
const tp = Date.now();
for (let i = 0; i < MESSAGES; i += 2000) {
  const messages = [];
  for (let j = i; j < Math.min(MESSAGES, i + 2000); j++) {
    const value = encode ? encode(Array.from({ length: PER_MESSAGE }, (_, k) => record(j * PER_MESSAGE + k, base))) : Buffer.from(JSON.stringify(record(j, base)));
    bytes += value.length;
    // Round-robin partitions: each gets exactly MESSAGES / PARTITIONS messages, so with
    // chunkOffsets equal to that every partition is one full chunk and none waits as a tail.
    messages.push({ key: `k${j}`, value, partition: j % PARTITIONS });
  }
  await producer.send({ topic, acks: -1, messages });
}
await producer.disconnect();
const produceMs = Date.now() - tp;
process.stderr.write(`produced ${MESSAGES} messages in ${produceMs} ms\n`);
{
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  if (offsets.some((o) => o.low !== '0')) {
    throw new Error(`the mock broker dropped old messages (more than 5 MiB in a partition): use more --partitions or fewer --messages`);
  }
}

const config = loadConfig({ overrides: { 'kafka.brokers': mock.brokers, [`kafka.topics.${FORMAT === 'otlp' ? 'otlpLogs' : 'predictions'}`]: [topic] } });
const options = kafkaOptionsFromConfig(config);
options.chunk.offsets = CHUNK_OFFSETS;

// 2. Raw consume: a kafkajs group that counts messages, with the same fetch settings.
async function rawConsume(): Promise<number> {
  const consumer = kafka.consumer({ groupId: 'bench-raw', maxBytesPerPartition: options.maxBytesPerPartition, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  let last = 0;
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: true,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    eachBatch: async ({ batch }) => {
      if (!first) first = Date.now();
      seen += batch.messages.length;
      if (seen >= MESSAGES && !last) last = Date.now();
    },
  });
  while (!last) await sleep(5);
  await consumer.disconnect();
  return last - first;
}

// Embedded ClickHouse for the write run and the insert ceiling (one data directory per process).
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-kafka-'));
const store = await createStore({ dataDir });
await migrate(store);

// 3 and 4. modelwatch's consumer, writing to ClickHouse or not. Timed from the first message read
// to the last offset committed (which includes the linger of each partition's last chunk).
async function modelwatchConsume(groupId: string, withWrites: boolean): Promise<{ ms: number; inserts: number; cpuMs: number }> {
  const registry = new Registry();
  let ingestor: Ingestor;
  let writer: BatchWriter | null = null;
  if (withWrites) {
    writer = new BatchWriter(store, { ...config.writer, registry });
    ingestor = new Ingestor(writer, registry, { retentionDays: config.storage.retentionDays });
  } else {
    // Everything but the insert: rows are decoded and chunked, offsets committed.
    ingestor = { predictions: async () => ({ accepted: 0, rejected: 0, errors: [] }), logs: async () => ({ accepted: 0, rejected: 0, errors: [] }) } as unknown as Ingestor;
  }
  const k = await startKafkaIngest({ ...options, groupId }, { ingestor, store, log, registry });
  const cpu0 = process.cpuUsage();
  let first = 0;
  for (;;) {
    const consumed = await counter(registry, 'modelwatch_kafka_messages_consumed_total');
    if (!first && consumed > 0) first = Date.now();
    if ((await counter(registry, 'modelwatch_kafka_messages_committed_total')) >= MESSAGES) break;
    await sleep(10);
  }
  const ms = Date.now() - first;
  const used = process.cpuUsage(cpu0);
  const cpuMs = (used.user + used.system) / 1000;
  const inserts = withWrites ? (await registry.getSingleMetric('modelwatch_insert_duration_seconds')!.get()).values.filter((v) => (v as { metricName?: string }).metricName?.endsWith('_count')).reduce((n, v) => n + v.value, 0) : 0;
  await k.stop();
  if (writer) await writer.close();
  if (withWrites) {
    const [r] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${store.t('predictions')} WHERE model = 'bench-kafka'`);
    if (Number(r.n) !== MESSAGES * PER_MESSAGE) throw new Error(`expected ${MESSAGES * PER_MESSAGE} rows, found ${r.n}`);
  }
  return { ms, inserts, cpuMs };
}

// 5. Insert ceiling: the same rows, already encoded as the writer sends them, inserted straight into
// the same table (same views) in inserts of the size the consumer made (one per chunk).
async function insertCeiling(insertRows: number): Promise<{ ms: number; cpuMs: number }> {
  const recs = Array.from({ length: MESSAGES * PER_MESSAGE }, (_, i) => ({ ...record(i, base), model: 'bench-ceiling' }));
  const lines = parsePredictionsBody(recs.map((r) => JSON.stringify(r)).join('\n')).rows.map((r) => JSON.stringify(r));
  const t = Date.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < lines.length; i += insertRows) {
    await store.insertRaw('predictions', Buffer.from(lines.slice(i, i + insertRows).join('\n') + '\n'), { dedupToken: `ceiling:${i}` });
  }
  const used = process.cpuUsage(cpu0);
  return { ms: Date.now() - t, cpuMs: (used.user + used.system) / 1000 };
}

const rawMs = await rawConsume();
process.stderr.write(`raw consume: ${rawMs} ms\n`);
const noWrite = await modelwatchConsume('bench-nowrite', false);
process.stderr.write(`modelwatch, writes off: ${noWrite.ms} ms\n`);
const full = await modelwatchConsume('bench-full', true);
process.stderr.write(`modelwatch -> ClickHouse: ${full.ms} ms, ${full.inserts} inserts\n`);
const rows = MESSAGES * PER_MESSAGE;
const insertRows = Math.round(rows / full.inserts);
const ceiling = await insertCeiling(insertRows);
const ceilingMs = ceiling.ms;
await store.close();
fs.rmSync(dataDir, { recursive: true, force: true });
await mock.stop();

console.log(`Kafka ingest, ${fmt(MESSAGES)} messages (${FORMAT}${FORMAT === 'otlp' ? `, ${PER_MESSAGE} records each` : ', one prediction each'}, 20 numeric + 3 categorical features, ${Math.round(bytes / MESSAGES)} B average), ${PARTITIONS} partitions, mock cluster of 3 brokers, ${os.cpus().length} cores, Node ${process.version}`);
console.log(`settings: kafka defaults but chunkOffsets ${options.chunk.offsets} (lingerMs ${options.lingerMs}, maxBytesPerPartition ${options.maxBytesPerPartition}, partitionsConsumedConcurrently ${options.partitionsConsumedConcurrently}), writer defaults`);
console.log(`produce (kafkajs, acks -1, 2,000 per send): ${fmt(rate(MESSAGES, produceMs))} messages/s`);
console.log(`raw consume (kafkajs group, count only):   ${fmt(rate(MESSAGES, rawMs))} messages/s  (${(rawMs / 1000).toFixed(2)} s)`);
console.log(`modelwatch consumer, writes off:           ${fmt(rate(MESSAGES, noWrite.ms))} messages/s  (${(noWrite.ms / 1000).toFixed(2)} s)  ratio to raw consume ${(rawMs / noWrite.ms).toFixed(2)}`);
console.log(`modelwatch consumer -> ClickHouse:         ${fmt(rate(MESSAGES, full.ms))} messages/s, ${fmt(rate(rows, full.ms))} rows/s  (${(full.ms / 1000).toFixed(2)} s, ${full.inserts} inserts)  ratio to raw consume ${(rawMs / full.ms).toFixed(2)}`);
console.log(`insert ceiling, same rows in inserts of ${fmt(insertRows)}: ${fmt(rate(rows, ceilingMs))} rows/s  (${(ceilingMs / 1000).toFixed(2)} s)  Kafka -> ClickHouse / ceiling ${(ceilingMs / full.ms).toFixed(2)}`);
const perRow = (cpuMs: number) => ((cpuMs * 1000) / rows).toFixed(1);
console.log(`CPU of this process (Node + embedded ClickHouse threads; the mock broker is another process), per row: writes off ${perRow(noWrite.cpuMs)} µs, Kafka -> ClickHouse ${perRow(full.cpuMs)} µs, insert ceiling ${perRow(ceiling.cpuMs)} µs`);
