import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../storage/client.ts';
import { armTestFaults, setStorageFault, withTestFaults } from '../../storage/faults.ts';
import { createTestStore } from '../helpers/store.ts';
import { startKafkaMock, type KafkaMock } from '../services/kafka-mock.ts';
import { connectProducer, expected, landed, metricValue, producePredictions, startTestConsumer, testKafkaOptions, waitFor } from './helpers.ts';

const TOTAL = 30_000;
let mock: KafkaMock;
let store: Store;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  process.env.MODELWATCH_TEST_FAULTS = '1';
  armTestFaults(process.env);
  mock = await startKafkaMock({ brokers: 1 });
  const s = await createTestStore();
  store = withTestFaults(s.store);
  cleanup = s.cleanup;
});
afterAll(async () => {
  setStorageFault(null);
  await cleanup?.();
  await mock?.stop();
});

async function groupOffsets(brokers: string[], groupId: string, topic: string): Promise<number[]> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return t.partitions.map((p) => Number(p.offset));
  } finally {
    await admin.disconnect();
  }
}

describe('backpressure from the writer', () => {
  it('pauses without committing while ClickHouse refuses or loses acknowledgements, then lands every row once', { timeout: 180_000 }, async () => {
    const topic = 'bp-preds';
    const model = 'backpressure';
    const groupId = 'bp-group';
    await mock.createTopic(topic, 3);
    const producer = await connectProducer(mock.brokers);
    await producePredictions(producer, topic, model, 0, TOTAL);
    await producer.disconnect();

    setStorageFault('down');
    const consumer = await startTestConsumer(store, testKafkaOptions(mock.brokers, { groupId, topics: { predictions: [topic], otlpLogs: [] }, chunk: { offsets: 5000, maxRows: 50_000, maxBytes: 16 << 20 } }));
    // Chunks rolled back because the write failed: 503 from the writer (backpressure), or its
    // retries exhausted (write_failed).
    const backpressure = async () => {
      const m = await consumer.registry.getSingleMetric('modelwatch_kafka_chunk_retries_total')!.get();
      return m.values.filter((v) => v.labels.reason === 'backpressure' || v.labels.reason === 'write_failed').reduce((n, v) => n + v.value, 0);
    };
    try {
      // ClickHouse down: every chunk is refused (503), rolled back and retried after a pause.
      await waitFor('chunks refused and retried', async () => (await backpressure()) >= 3);
      expect(await metricValue(consumer.registry, 'modelwatch_kafka_messages_committed_total')).toBe(0);
      expect((await groupOffsets(mock.brokers, groupId, topic)).every((o) => o <= 0)).toBe(true);
      expect(await metricValue(consumer.registry, 'modelwatch_kafka_consumer_lag')).toBeGreaterThan(0);
      expect((await landed(store, model)).rows).toBe(0);

      // Acknowledgements lost: rows land but every write reports failure, so nothing is committed
      // and each chunk is read and written again under the same token.
      const before = await backpressure();
      setStorageFault('ack-lost');
      await waitFor('rows landed without a commit, and written again', async () => (await landed(store, model)).rows >= 10_000 && (await backpressure()) >= before + 3);
      expect(await metricValue(consumer.registry, 'modelwatch_kafka_messages_committed_total')).toBe(0);

      setStorageFault(null);
      await waitFor('every message stored and committed', async () => (await groupOffsets(mock.brokers, groupId, topic)).reduce((a, b) => a + b, 0) === TOTAL && (await metricValue(consumer.registry, 'modelwatch_kafka_consumer_lag')) === 0);
    } finally {
      setStorageFault(null);
      await consumer.stop();
    }
    expect(await landed(store, model)).toEqual(await expected(store, TOTAL));
  });
});
