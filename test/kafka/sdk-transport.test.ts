import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelMonitor } from '../../sdk/index.ts';
import type { Store } from '../../storage/client.ts';
import { createTestStore } from '../helpers/store.ts';
import { startKafkaMock, type KafkaMock } from '../services/kafka-mock.ts';
import { startTestConsumer, testKafkaOptions, waitFor } from './helpers.ts';

let mock: KafkaMock;
let store: Store;
let cleanup: () => Promise<void>;
// Metrics and spans still go over OTLP/HTTP: point them at a closed loopback port.
let closedEndpoint: string;

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 1 });
  ({ store, cleanup } = await createTestStore());
  closedEndpoint = await new Promise<string>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(`http://127.0.0.1:${port}`));
    });
  });
});
afterAll(async () => {
  await cleanup?.();
  await mock?.stop();
});

describe("SDK transport 'kafka'", () => {
  it('delivers predictions and ground truth that the consumer stores', async () => {
    const topic = 'sdk-otlp';
    await mock.createTopic(topic, 2);
    const diagnostics: string[] = [];
    const monitor = createModelMonitor({
      model: 'sdk-kafka',
      version: '2',
      environment: 'test',
      endpoint: closedEndpoint,
      transport: 'kafka',
      kafka: { brokers: mock.brokers, topic, maxMessageBytes: 64 * 1024 },
      exportDelayMs: 50,
      // Bounds the metric and span exports to the closed port at shutdown.
      exportTimeoutMs: 2000,
      onDiagnostic: (level, message) => diagnostics.push(`${level}: ${message}`),
    });
    const N = 3000;
    for (let i = 0; i < N; i++) {
      monitor.logPrediction({ id: `sdk-${i}`, features: { x: i, city: i % 2 ? 'Lyon' : 'Oslo', flag: i % 3 === 0, missing: null }, prediction: i % 5, latencyMs: 1.5 });
    }
    monitor.logGroundTruth('sdk-7', 2);
    await monitor.forceFlush();
    const stats = monitor.stats();
    await monitor.shutdown();
    expect(stats.exported).toBe(N + 1);
    expect(Object.values(stats.dropped).every((n) => n === 0)).toBe(true);

    const consumer = await startTestConsumer(store, testKafkaOptions(mock.brokers, { groupId: 'sdk-group', topics: { predictions: [], otlpLogs: [topic] } }));
    try {
      await waitFor('the SDK predictions stored', async () => {
        const [r] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${store.t('predictions')} WHERE model = 'sdk-kafka'`);
        const [g] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${store.t('ground_truth')} WHERE model = 'sdk-kafka'`);
        return Number(r.n) === N && Number(g.n) === 1;
      }, 60_000);
    } finally {
      await consumer.stop();
    }
    const [row] = await store.query<{ version: string; environment: string; x: number; city: string; flag: string; nulls: string[]; value: number; n: number; ids: number }>(
      `SELECT any(version) AS version, any(environment) AS environment, max(features_num['x']) AS x, anyIf(features_cat['city'], prediction_id = 'sdk-1') AS city,
              anyIf(features_cat['flag'], prediction_id = 'sdk-3') AS flag, anyIf(features_null, prediction_id = 'sdk-1') AS nulls, sum(prediction_value) AS value,
              count() AS n, uniqExact(prediction_id) AS ids
       FROM ${store.t('predictions')} WHERE model = 'sdk-kafka'`,
    );
    expect(row).toMatchObject({ version: '2', environment: 'test', x: N - 1, city: 'Lyon', flag: 'true', nulls: ['missing'] });
    expect(Number(row.ids)).toBe(N);
    expect(Number(row.value)).toBe(Array.from({ length: N }, (_, i) => i % 5).reduce((a, b) => a + b, 0));
    // A 64 KiB message cap split the exports into several messages; nothing was reported as failing.
    expect(diagnostics.filter((d) => d.startsWith('warn'))).toEqual([]);
  });

  it('never throws into the host and counts drops when no broker answers', async () => {
    const diagnostics: string[] = [];
    const monitor = createModelMonitor({
      model: 'sdk-kafka-down',
      endpoint: closedEndpoint,
      transport: 'kafka',
      kafka: { brokers: [closedEndpoint.replace('http://', '')], topic: 'nowhere' },
      exportDelayMs: 20,
      exportTimeoutMs: 500,
      maxQueue: 100,
      onDiagnostic: (level, message) => diagnostics.push(`${level}: ${message}`),
    });
    for (let i = 0; i < 250; i++) monitor.logPrediction({ id: `d-${i}`, features: { x: i } });
    await monitor.forceFlush();
    const stats = monitor.stats();
    await monitor.shutdown();
    // The queue holds 100: the rest are dropped at once; what was queued fails to export.
    expect(stats.accepted + stats.dropped.queue_full).toBe(250);
    expect(stats.dropped.queue_full).toBeGreaterThan(0);
    expect(stats.dropped.export_failed).toBe(stats.accepted);
    expect(stats.exported).toBe(0);
    expect(diagnostics.some((d) => d.startsWith('warn: Kafka export failed'))).toBe(true);
  });

  it('refuses a kafka transport without brokers or topic at creation', () => {
    expect(() => createModelMonitor({ model: 'm', transport: 'kafka' })).toThrow(TypeError);
    expect(() => createModelMonitor({ model: 'm', transport: 'kafka', kafka: { brokers: ['127.0.0.1:9092'], topic: 'bad topic' } })).toThrow(/kafka.topic/);
  });
});
