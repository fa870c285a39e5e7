/**
 * End to end through the real OTLP/HTTP protobuf exporters into a loopback receiver that decodes
 * the bodies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createModelMonitor, type ModelMonitor } from './index.ts';
import { freePort, startOtlpReceiver, type OtlpReceiver } from './test-support/otlp-receiver.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function track(m: ModelMonitor): ModelMonitor {
  cleanups.push(() => m.shutdown());
  return m;
}
function trackRx(rx: OtlpReceiver): OtlpReceiver {
  cleanups.push(() => rx.close());
  return rx;
}

describe('SDK -> OTLP/HTTP protobuf -> receiver', () => {
  it('delivers predictions, ground truth, metrics and spans with exact attributes', async () => {
    const rx = trackRx(await startOtlpReceiver());
    const monitor = track(
      createModelMonitor({ model: 'fraud', version: '3.1.0', environment: 'staging', hostName: 'srv-1', endpoint: rx.url, metricExportIntervalMs: 3_600_000, onDiagnostic: () => {} }),
    );
    monitor.logPrediction({ id: 'p-1', features: { amount: 12.5, items: 3, country: 'DE', vip: false, age: null, ratio: NaN }, prediction: 0.97, score: 0.97, latencyMs: 4.5 });
    monitor.logPrediction({ id: 'p-2', features: { amount: 1 }, label: 'legit', error: new RangeError('amount out of range') });
    monitor.logGroundTruth('p-1', 'fraud');
    await expect(monitor.time('predict', async () => 'done')).resolves.toBe('done');
    await monitor.forceFlush();

    expect(rx.requests.every((r) => r.contentType === 'application/x-protobuf')).toBe(true);
    const logs = rx.logs();
    expect(logs).toHaveLength(3);
    expect(logs[0].resource).toEqual({
      'service.name': { string_value: 'fraud' },
      'service.version': { string_value: '3.1.0' },
      'deployment.environment.name': { string_value: 'staging' },
      'host.name': { string_value: 'srv-1' },
    });
    expect(logs[0].scope).toMatchObject({ name: 'modelwatch-sdk' });
    expect(logs[0].record.event_name).toBe('ml.prediction');
    expect(logs[0].record.severity_number).toBe(9);
    expect(logs[0].attributes).toEqual({
      'ml.model.name': { string_value: 'fraud' },
      'ml.model.version': { string_value: '3.1.0' },
      'ml.prediction.id': { string_value: 'p-1' },
      'ml.prediction.value': { double_value: 0.97 },
      'ml.prediction.score': { double_value: 0.97 },
      'ml.inference.duration_ms': { double_value: 4.5 },
      'ml.feature.amount': { double_value: 12.5 },
      'ml.feature.items': { int_value: '3' },
      'ml.feature.country': { string_value: 'DE' },
      'ml.feature.vip': { bool_value: false },
      'ml.feature.age': {},
      'ml.feature.ratio': {},
    });
    expect(logs[1].record.event_name).toBe('ml.prediction');
    expect(logs[1].record.severity_number).toBe(17);
    expect(logs[1].attributes['ml.prediction.label']).toEqual({ string_value: 'legit' });
    expect(logs[1].attributes['error.type']).toEqual({ string_value: 'RangeError' });
    expect(logs[2].record.event_name).toBe('ml.ground_truth');
    expect(logs[2].attributes).toEqual({
      'ml.model.name': { string_value: 'fraud' },
      'ml.model.version': { string_value: '3.1.0' },
      'ml.prediction.id': { string_value: 'p-1' },
      'ml.label.value': { string_value: 'fraud' },
    });
    const ts = BigInt(logs[0].record.time_unix_nano);
    expect(ts % 1_000_000n).toBe(0n);
    expect(ts > 1_600_000_000_000_000_000n).toBe(true);

    const metrics = rx.metrics();
    const hist = metrics.find((m) => m.metric.name === 'ml.inference.duration')!;
    expect(hist.metric.unit).toBe('s');
    expect(hist.metric.histogram.data_points[0].count).toBe('1');
    expect(hist.resource['service.name']).toEqual({ string_value: 'fraud' });
    const dropped = metrics.filter((m) => m.metric.name === 'ml.sdk.dropped').at(-1)!;
    expect(dropped.metric.sum.is_monotonic).toBe(true);
    const reasons = dropped.metric.sum.data_points.map((dp: { attributes: Array<{ key: string; value: { string_value: string } }> }) =>
      dp.attributes.find((a) => a.key === 'reason')!.value.string_value,
    );
    expect(reasons.sort()).toEqual(['export_failed', 'invalid_input', 'queue_full', 'shutdown']);
    const invalid = metrics.filter((m) => m.metric.name === 'ml.sdk.invalid_values').at(-1)!;
    const nonFinite = invalid.metric.sum.data_points.find((dp: { attributes: Array<{ key: string; value: { string_value: string } }> }) =>
      dp.attributes.some((a) => a.key === 'reason' && a.value.string_value === 'non_finite'),
    );
    expect(nonFinite.as_int ?? nonFinite.as_double).toEqual(expect.anything());
    expect(Number(nonFinite.as_int ?? nonFinite.as_double)).toBe(1);

    const spans = rx.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0].span.name).toBe('predict');
    expect(spans[0].span.trace_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('collector down: calls return at once, memory stays bounded, drops are counted, delivery resumes', async () => {
    const port = await freePort();
    const monitor = track(
      createModelMonitor({
        model: 'fraud',
        version: '3.1.0',
        endpoint: `http://127.0.0.1:${port}`,
        maxQueue: 500,
        maxExportBatchSize: 100,
        exportDelayMs: 20,
        exportTimeoutMs: 300,
        metricExportIntervalMs: 3_600_000,
        onDiagnostic: () => {},
      }),
    );
    let calls = 0;
    const features = { a: 1.5, b: 'x', c: true };
    // Several rounds with event-loop turns in between, so exports are attempted and fail.
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 1_000; i++) {
        expect(monitor.logPrediction({ id: `down-${calls}`, features })).toBeUndefined();
        calls++;
      }
      await new Promise((r) => setTimeout(r, 5));
      const s = monitor.stats();
      expect(s.queued).toBeLessThanOrEqual(500);
      expect(s.inFlight).toBeLessThanOrEqual(400);
    }
    // Wait (no time bound of our own) until at least one export attempt has failed.
    while (monitor.stats().dropped.export_failed === 0) await new Promise((r) => setTimeout(r, 20));
    const down = monitor.stats();
    expect(down.dropped.queue_full).toBeGreaterThan(0);
    expect(down.accepted + down.dropped.queue_full).toBe(calls);
    expect(down.accepted).toBe(down.exported + down.dropped.export_failed + down.queued + down.inFlight);

    // The collector comes back on the same port.
    const rx = trackRx(await startOtlpReceiver(port));
    await monitor.forceFlush(); // what was still queued goes out first, so the queue has room
    expect(monitor.stats().queued).toBe(0);
    for (let i = 0; i < 50; i++) monitor.logPrediction({ id: `after-${i}`, features });
    await monitor.forceFlush();
    const ids = new Set(rx.logs().map((l) => l.attributes['ml.prediction.id']?.string_value));
    for (let i = 0; i < 50; i++) expect(ids.has(`after-${i}`)).toBe(true);
    const end = monitor.stats();
    expect(end.queued).toBe(0);
    expect(end.inFlight).toBe(0);
    expect(end.accepted).toBe(end.exported + end.dropped.export_failed);
    // The drop counter reached the collector with the same figure.
    const dropped = rx.metrics().filter((m) => m.metric.name === 'ml.sdk.dropped').at(-1)!;
    const qf = dropped.metric.sum.data_points.find((dp: { attributes: Array<{ key: string; value: { string_value: string } }> }) =>
      dp.attributes.some((a) => a.key === 'reason' && a.value.string_value === 'queue_full'),
    );
    expect(Number(qf.as_int ?? qf.as_double)).toBe(end.dropped.queue_full);
  });
});
