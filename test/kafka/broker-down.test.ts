import { describe, expect, it } from 'vitest';
import { connectProducer, expectWholeLog, expected, landed, metricValue, producePredictions, startTestConsumer, testKafkaOptions, waitFor, useKafkaAndStore } from './helpers.ts';

const TOTAL = 200_000;
const env = useKafkaAndStore(3);

describe('a broker down for 10 s', () => {
  it('200,000 messages over 6 partitions land exactly once when the group coordinator (and partition leader) goes away mid-stream', { timeout: 300_000 }, async () => {
    const { mock, store } = env;
    const topic = 'down-preds';
    const model = 'broker-down';
    const groupId = 'down-group';
    await mock.createTopic(topic, 6);
    // Broker 1 is the group's coordinator and leads some of the partitions: its loss stops both
    // commits and fetches until it returns.
    await mock.setGroupCoordinator(groupId, 1);
    const producer = await connectProducer(mock.brokers);
    await producePredictions(producer, topic, model, 0, TOTAL);
    await producer.disconnect();
    await expectWholeLog(mock.brokers, topic);

    const consumer = await startTestConsumer(store, testKafkaOptions(mock.brokers, { groupId, topics: { predictions: [topic], otlpLogs: [] } }));
    try {
      await waitFor('50,000 messages committed', async () => (await metricValue(consumer.registry, 'modelwatch_kafka_messages_committed_total')) >= 50_000);
      const before = await metricValue(consumer.registry, 'modelwatch_kafka_messages_committed_total');
      await mock.setBrokerDown(1, 10_000);
      await waitFor('every message stored and committed', async () => (await landed(store, model)).ids === TOTAL && (await metricValue(consumer.registry, 'modelwatch_kafka_consumer_lag')) === 0, 240_000);
      expect(before).toBeLessThan(TOTAL);
    } finally {
      await consumer.stop();
    }
    expect(await landed(store, model)).toEqual(await expected(store, TOTAL));
  });
});
