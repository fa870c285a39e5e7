/** Turning the `kafka` config section and CLI flags into consumer options. */
import type { Config } from '../../core/config/schema.ts';
import { MwError } from '../../core/errors.ts';
import type { KafkaIngestOptions } from './consumer.ts';

/** Broker list from config: an array, or a comma-separated string (env, flag). */
export function brokerList(v: string[] | string | undefined): string[] {
  const items = Array.isArray(v) ? v : (v ?? '').split(',');
  return items.map((b) => b.trim()).filter(Boolean);
}

const FORMATS: Record<string, 'predictions' | 'otlpLogs'> = { predictions: 'predictions', 'otlp-logs': 'otlpLogs', otlpLogs: 'otlpLogs' };
// Kafka's own rule for topic names.
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * Parses `predictions:NAME,otlp-logs:NAME,...` (the `--topics` flag). A format may repeat.
 * Throws MW_ERR_CONFIG_INVALID naming the bad item.
 */
export function parseTopicsSpec(spec: string): { predictions: string[]; otlpLogs: string[] } {
  const out = { predictions: [] as string[], otlpLogs: [] as string[] };
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = item.indexOf(':');
    const format = i > 0 ? FORMATS[item.slice(0, i)] : undefined;
    const name = item.slice(i + 1);
    if (!format || !TOPIC_NAME.test(name)) {
      throw new MwError('MW_ERR_CONFIG_INVALID', `--topics: ${JSON.stringify(item)} is not FORMAT:TOPIC with FORMAT predictions or otlp-logs`);
    }
    out[format].push(name);
  }
  return out;
}

/** True when the config asks for Kafka ingest: enabled, or brokers and topics given. */
export function kafkaConfigured(config: Config): boolean {
  const k = config.kafka;
  return k.enabled || (brokerList(k.brokers).length > 0 && k.topics.predictions.length + k.topics.otlpLogs.length > 0);
}

/**
 * Consumer options from the config; throws MW_ERR_CONFIG_INVALID when brokers or topics are
 * missing. With privacy rules configured, poison payloads are kept as a digest only.
 */
export function kafkaOptionsFromConfig(config: Config): KafkaIngestOptions {
  const k = config.kafka;
  const brokers = brokerList(k.brokers);
  if (brokers.length === 0) throw new MwError('MW_ERR_CONFIG_INVALID', 'kafka.brokers: no broker given (--kafka-brokers or MODELWATCH_KAFKA_BROKERS)');
  if (k.topics.predictions.length + k.topics.otlpLogs.length === 0) {
    throw new MwError('MW_ERR_CONFIG_INVALID', 'kafka.topics: no topic given (--topics predictions:NAME,otlp-logs:NAME)');
  }
  const all = [...k.topics.predictions, ...k.topics.otlpLogs];
  const bad = all.find((t) => !TOPIC_NAME.test(t));
  if (bad !== undefined) throw new MwError('MW_ERR_CONFIG_INVALID', `kafka.topics: ${JSON.stringify(bad)} is not a valid topic name`);
  if (new Set(all).size !== all.length) throw new MwError('MW_ERR_CONFIG_INVALID', 'kafka.topics: a topic is listed twice (one format per topic)');
  if (k.dlqTopic && all.includes(k.dlqTopic)) throw new MwError('MW_ERR_CONFIG_INVALID', 'kafka.dlqTopic: the dead-letter topic cannot be one of the consumed topics');
  return {
    brokers,
    clientId: k.clientId,
    groupId: k.groupId,
    topics: { predictions: [...k.topics.predictions], otlpLogs: [...k.topics.otlpLogs] },
    dlqTopic: k.dlqTopic || undefined,
    sessionTimeoutMs: k.sessionTimeoutMs,
    maxBytesPerPartition: k.maxBytesPerPartition,
    pauseMs: k.pauseMs,
    lingerMs: k.lingerMs,
    // A chunk is one write: it must fit in the writer's queue beside the other partitions' chunks,
    // or it would be refused (503) forever.
    chunk: { offsets: k.chunkOffsets, maxRows: Math.max(1, Math.min(k.chunkMaxRows, Math.floor(config.writer.maxQueueRows / 2))), maxBytes: k.chunkMaxBytes },
    partitionsConsumedConcurrently: k.partitionsConsumedConcurrently,
    fromBeginning: k.fromBeginning,
    redactRawDeadLetters: (config.privacy?.rules?.length ?? 0) > 0,
  };
}
