import crypto from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore } from '../helpers/store.ts';
import { startKafkaMock, type KafkaMock } from '../services/kafka-mock.ts';
import { connectProducer, metricValue, otlpPredictions, predictionMessage, startTestConsumer, testKafkaOptions, waitFor } from './helpers.ts';
import type { Store } from '../../storage/client.ts';

let mock: KafkaMock;
let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 1 });
  ({ store, cleanup } = await createTestStore());
});
afterAll(async () => {
  await cleanup?.();
  await mock?.stop();
});

async function committedAll(brokers: string[], groupId: string, topic: string): Promise<boolean> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    return ends.every((e) => committed.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
  } finally {
    await admin.disconnect();
  }
}

const deadLetters = (topic: string) =>
  store.query<{ partition: number; offset: number; key: string; error: string; raw: string }>(
    `SELECT partition, offset, key, error, raw FROM ${store.t('dead_letters')} WHERE source = 'kafka' AND topic = {topic:String} ORDER BY partition, offset`,
    { topic },
  );

describe('poison messages', () => {
  it('go to dead_letters (and the DLQ topic) without blocking later messages of their partition', async () => {
    const topic = 'poison-preds';
    const otlpTopic = 'poison-otlp';
    await mock.createTopic(topic, 2);
    await mock.createTopic(otlpTopic, 1);
    const producer = await connectProducer(mock.brokers);
    const ts = Date.now() - 60_000;
    const good = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ({ key: `p-${from + k}`, value: predictionMessage('poison-model', from + k, ts) }));
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x01, 0x99]);
    // Partition 0: good, three kinds of poison, good again. Partition 1: good only.
    await producer.send({ topic, acks: -1, messages: good(0, 100).map((m) => ({ ...m, partition: 0 })) });
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { partition: 0, key: 'bad-json', value: '{"model": "poison-model", "id": ' },
        { partition: 0, key: 'no-model', value: '{"id": "x1", "features": {"a": 1}}\n{"id": "x2"}' },
        { partition: 0, key: 'empty', value: null },
      ],
    });
    await producer.send({ topic, acks: -1, messages: good(100, 200).map((m) => ({ ...m, partition: 0 })) });
    await producer.send({ topic, acks: -1, messages: good(200, 300).map((m) => ({ ...m, partition: 1 })) });
    // The OTLP topic: undecodable bytes between two valid requests.
    await producer.send({ topic: otlpTopic, acks: -1, messages: [{ value: otlpPredictions('poison-otlp', 'o1-', 10) }, { key: 'garbage', value: garbage }, { value: otlpPredictions('poison-otlp', 'o2-', 10) }] });

    const groupId = 'poison-group';
    const consumer = await startTestConsumer(store, testKafkaOptions(mock.brokers, { groupId, topics: { predictions: [topic], otlpLogs: [otlpTopic] }, dlqTopic: 'poison-dlq' }));
    try {
      await waitFor('every offset committed', async () => (await committedAll(mock.brokers, groupId, topic)) && (await committedAll(mock.brokers, groupId, otlpTopic)));
      expect(await metricValue(consumer.registry, 'modelwatch_kafka_dead_letters_total')).toBe(4);
      await waitFor('lag 0', async () => (await metricValue(consumer.registry, 'modelwatch_kafka_consumer_lag')) === 0, 30_000);
    } finally {
      await consumer.stop();
    }

    const [{ n }] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${store.t('predictions')} WHERE model = 'poison-model'`);
    expect(Number(n)).toBe(300);
    const [{ o }] = await store.query<{ o: number }>(`SELECT count() AS o FROM ${store.t('predictions')} WHERE model = 'poison-otlp'`);
    expect(Number(o)).toBe(20);

    const dl = await deadLetters(topic);
    expect(dl.map((r) => [r.partition, Number(r.offset), r.key])).toEqual([[0, 100, 'bad-json'], [0, 101, 'no-model'], [0, 102, 'empty']]);
    expect(dl[0].raw).toBe('{"model": "poison-model", "id": ');
    expect(dl[0].error).toMatch(/JSON/);
    expect(dl[1].error).toMatch(/every record is invalid.*model name missing/);
    expect(dl[2].error).toBe('empty message');
    const odl = await deadLetters(otlpTopic);
    expect(odl).toHaveLength(1);
    expect(odl[0]).toMatchObject({ partition: 0, key: 'garbage', raw: `base64:${garbage.toString('base64')}` });
    expect(Number(odl[0].offset)).toBe(1);
    expect(odl[0].error).toMatch(/not an OTLP ExportLogsServiceRequest/);

    // The same poison, copied to the DLQ topic with where it came from.
    const kafka = new Kafka({ brokers: mock.brokers, logLevel: logLevel.NOTHING });
    const reader = kafka.consumer({ groupId: 'dlq-reader' });
    const seen: { key: string; source: string; offset: string }[] = [];
    await reader.connect();
    await reader.subscribe({ topic: 'poison-dlq', fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void seen.push({ key: String(message.key), source: String(message.headers?.['modelwatch.source.topic']), offset: String(message.headers?.['modelwatch.source.offset']) }) });
    await waitFor('4 messages on the DLQ topic', () => seen.length >= 4, 30_000);
    await reader.disconnect();
    expect(seen.map((s) => `${s.source}@${s.offset}:${s.key}`).sort()).toEqual([`${otlpTopic}@1:garbage`, `${topic}@100:bad-json`, `${topic}@101:no-model`, `${topic}@102:empty`]);
    await producer.disconnect();
  });

  it('keeps only a digest of the payload when raw dead letters are redacted', async () => {
    const topic = 'poison-redacted';
    await mock.createTopic(topic, 1);
    const producer = await connectProducer(mock.brokers);
    const secret = '{"model": "m", "features": {"ssn": "123-45-6789"}, "id": ';
    await producer.send({ topic, acks: -1, messages: [{ key: 'user-42', value: secret }, { key: 'ok', value: predictionMessage('redacted-model', 1, Date.now()) }] });
    await producer.disconnect();
    const consumer = await startTestConsumer(store, testKafkaOptions(mock.brokers, { groupId: 'redact-group', topics: { predictions: [topic], otlpLogs: [] }, redactRawDeadLetters: true }));
    try {
      await waitFor('the poison message dead-lettered', async () => (await deadLetters(topic)).length === 1);
    } finally {
      await consumer.stop();
    }
    const [row] = await deadLetters(topic);
    const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
    expect(row.raw).toBe(`sha256:${sha(secret)} bytes:${Buffer.byteLength(secret)}`);
    expect(row.key).toBe(`sha256:${sha('user-42')} bytes:7`);
    expect(row.error).not.toContain('123-45');
    expect(row.error).not.toContain('ssn');
  });
});
