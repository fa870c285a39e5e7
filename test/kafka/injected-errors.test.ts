import { describe, expect, it } from 'vitest';
import { ApiKey, KafkaErr } from '../services/kafka-mock.ts';
import { connectProducer, expectWholeLog, expected, landed, metricValue, producePredictions, startTestConsumer, testKafkaOptions, waitFor, useKafkaAndStore } from './helpers.ts';

const TOTAL = 200_000;
const env = useKafkaAndStore(3);

describe('injected produce, fetch and commit errors', () => {
  it('200,000 messages over 6 partitions land exactly once', { timeout: 300_000 }, async () => {
    const { mock, store } = env;
    const topic = 'errors-preds';
    const model = 'injected-errors';
    await mock.createTopic(topic, 6);
    const producer = await connectProducer(mock.brokers);
    // Retriable produce errors: the broker refuses the request without appending, the producer retries.
    const produceErrors = [KafkaErr.NOT_LEADER_FOR_PARTITION, KafkaErr.REQUEST_TIMED_OUT, KafkaErr.NOT_ENOUGH_REPLICAS, KafkaErr.LEADER_NOT_AVAILABLE];
    await mock.pushErrors(ApiKey.Produce, [...produceErrors, ...produceErrors]);
    await producePredictions(producer, topic, model, 0, TOTAL / 2);

    const consumer = await startTestConsumer(store, testKafkaOptions(mock.brokers, { groupId: 'errors-group', topics: { predictions: [topic], otlpLogs: [] } }));
    const committed = () => metricValue(consumer.registry, 'modelwatch_kafka_messages_committed_total');
    try {
      // Produce the second half while consuming, with more produce errors on the way.
      await mock.pushErrors(ApiKey.Produce, produceErrors);
      const producing = producePredictions(producer, topic, model, TOTAL / 2, TOTAL);
      // Fetch errors in two bursts: leadership errors, a timeout and a dropped connection (kafkajs
      // answers some of them by rejoining the group, a few seconds each).
      const fetchErrors = [KafkaErr.NOT_LEADER_FOR_PARTITION, KafkaErr.REQUEST_TIMED_OUT, KafkaErr.TRANSPORT, KafkaErr.UNKNOWN_TOPIC_OR_PARTITION];
      for (const threshold of [20_000, 80_000]) {
        await waitFor(`${threshold} messages committed`, async () => (await committed()) >= threshold);
        await mock.pushErrors(ApiKey.Fetch, fetchErrors);
        // Offset commits fail too: before a chunk's write (it is rolled back) and after it (replayed, deduplicated).
        await mock.pushErrors(ApiKey.OffsetCommit, [KafkaErr.REQUEST_TIMED_OUT, KafkaErr.COORDINATOR_NOT_AVAILABLE, KafkaErr.REQUEST_TIMED_OUT]);
      }
      await producing;
      await expectWholeLog(mock.brokers, topic);
      await waitFor('every message stored and committed', async () => (await landed(store, model)).ids === TOTAL && (await metricValue(consumer.registry, 'modelwatch_kafka_consumer_lag')) === 0, 240_000);
      expect(await metricValue(consumer.registry, 'modelwatch_kafka_commit_failures_total')).toBeGreaterThan(0);
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
    expect(await landed(store, model)).toEqual(await expected(store, TOTAL));
  });
});
