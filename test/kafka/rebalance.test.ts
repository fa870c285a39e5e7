import { describe, expect, it } from 'vitest';
import { Ingestor } from '../../collector/ingest.ts';
import { BatchWriter } from '../../storage/writer.ts';
import { connectProducer, expectWholeLog, expected, landed, metricValue, producePredictions, startTestConsumer, testKafkaOptions, waitFor, type TestConsumer, useKafkaAndStore } from './helpers.ts';

const TOTAL = 200_000;
const env = useKafkaAndStore(3);

describe('rebalance', () => {
  it('200,000 messages over 6 partitions land exactly once while a second consumer joins and the first leaves', { timeout: 480_000 }, async () => {
    const { mock, store } = env;
    const topic = 'rebalance-preds';
    const model = 'rebalance';
    await mock.createTopic(topic, 6);
    const producer = await connectProducer(mock.brokers);
    // Half before the consumers start, a quarter while A runs alone, the last quarter once B has
    // joined: B always has messages of its own to take, however fast A drains the first three.
    await producePredictions(producer, topic, model, 0, TOTAL / 2);
    const shared = (() => {
      const writer = new BatchWriter(store, { maxBatchRows: 50_000, flushIntervalMs: 100, maxQueueRows: 1_000_000, maxAttempts: 5, retryBaseMs: 100 });
      return { writer, ingestor: new Ingestor(writer, undefined, { retentionDays: 30 }) };
    })();
    const options = testKafkaOptions(mock.brokers, { groupId: 'rebalance-group', topics: { predictions: [topic], otlpLogs: [] } });
    const a: TestConsumer = await startTestConsumer(store, options, shared);
    let b: TestConsumer | null = null;
    try {
      const third = producePredictions(producer, topic, model, TOTAL / 2, (3 * TOTAL) / 4);
      await waitFor('consumer A to commit 40,000 messages', async () => (await metricValue(a.registry, 'modelwatch_kafka_messages_committed_total')) >= 40_000);
      b = await startTestConsumer(store, options, shared);
      const producing = third.then(() => producePredictions(producer, topic, model, (3 * TOTAL) / 4, TOTAL));
      // Under a loaded machine the rebalance that hands B its partitions can take minutes; if it
      // never completes, the error says how far each consumer got.
      const seen = async (c: TestConsumer) =>
        `consumed ${await metricValue(c.registry, 'modelwatch_kafka_messages_consumed_total')}, committed ${await metricValue(c.registry, 'modelwatch_kafka_messages_committed_total')}`;
      try {
        await waitFor('consumer B to commit messages of its own', async () => (await metricValue(b!.registry, 'modelwatch_kafka_messages_committed_total')) >= 10_000, 240_000);
      } catch (err) {
        throw new Error(`${(err as Error).message}; A: ${await seen(a)}; B: ${await seen(b)}`, { cause: err });
      }
      const committedByA = await metricValue(a.registry, 'modelwatch_kafka_messages_committed_total');
      await a.stop();
      await producing;
      await expectWholeLog(mock.brokers, topic);
      await waitFor('every message committed', async () => (await landed(store, model)).ids === TOTAL && (await metricValue(b!.registry, 'modelwatch_kafka_consumer_lag')) === 0);
      expect(committedByA).toBeLessThan(TOTAL);
    } finally {
      await a.stop();
      await b?.stop();
      await shared.writer.close();
      await producer.disconnect();
    }
    expect(await landed(store, model)).toEqual(await expected(store, TOTAL));
  });
});
