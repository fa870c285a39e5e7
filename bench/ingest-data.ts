/** The ingest benchmarks' predictions: 20 numeric and 3 categorical features, as OTLP and as NDJSON. */
import protobuf from 'protobufjs';

const NUMERIC = Array.from({ length: 20 }, (_, i) => `f${i}`);

/** Prediction `i` of a run, timestamped `base + i` ms, as a flat NDJSON object. */
export function record(i: number, base: number, model = 'bench', idPrefix = 'p') {
  const features: Record<string, number | string> = {};
  NUMERIC.forEach((f, k) => (features[f] = Math.sin(i + k) * 10 + k));
  features.color = ['red', 'green', 'blue'][i % 3];
  features.country = ['DE', 'FR', 'US', 'JP'][i % 4];
  features.tier = i % 7 === 0 ? 'gold' : 'std';
  return { model, version: i % 2 ? 'v2' : 'v1', id: `${idPrefix}${i}`, timestamp: base + i, prediction: (i % 100) / 100, latency_ms: 1 + (i % 40), features };
}

/** The records as one ExportLogsServiceRequest of `ml.prediction` log records, as the SDK sends them. */
export function otlpBody(Req: protobuf.Type, recs: ReturnType<typeof record>[]): Buffer {
  const kv = (key: string, v: number | string) => ({ key, value: typeof v === 'number' ? { doubleValue: v } : { stringValue: v } });
  const logRecords = recs.map((r) => ({
    timeUnixNano: r.timestamp * 1e6,
    eventName: 'ml.prediction',
    attributes: [
      kv('ml.model.name', r.model), kv('ml.model.version', r.version), kv('ml.prediction.id', r.id),
      kv('ml.prediction.value', r.prediction), kv('ml.inference.duration_ms', r.latency_ms),
      ...Object.entries(r.features).map(([k, v]) => kv(`ml.feature.${k}`, v)),
    ],
  }));
  const msg = { resourceLogs: [{ resource: { attributes: [kv('service.name', 'bench')] }, scopeLogs: [{ logRecords }] }] };
  return Buffer.from(Req.encode(Req.fromObject(msg)).finish());
}
