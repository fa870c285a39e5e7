import { Counter, Gauge, type Registry } from 'prom-client';

/** Prometheus metrics of the Kafka consumer. */
export interface KafkaMetrics {
  /** Messages behind the committed offset: high watermark - committed offset, per partition. */
  lag: Gauge<string>;
  consumed: Counter<string>;
  committed: Counter<string>;
  deadLettered: Counter<string>;
  retries: Counter<string>;
  commitFailures: Counter<string>;
}

/** Creates the metrics, registered in `registry` when given. */
export function createKafkaMetrics(registry?: Registry): KafkaMetrics {
  const registers = registry ? [registry] : [];
  return {
    lag: new Gauge({ name: 'modelwatch_kafka_consumer_lag', help: 'Messages not yet durable and committed: high watermark minus committed offset', labelNames: ['topic', 'partition'], registers }),
    consumed: new Counter({ name: 'modelwatch_kafka_messages_consumed_total', help: 'Messages read from Kafka into a chunk (a replayed message counts again)', labelNames: ['topic'], registers }),
    committed: new Counter({ name: 'modelwatch_kafka_messages_committed_total', help: 'Messages whose rows are durable and whose offsets were committed', labelNames: ['topic'], registers }),
    deadLettered: new Counter({ name: 'modelwatch_kafka_dead_letters_total', help: 'Poison messages written to dead_letters', labelNames: ['topic'], registers }),
    retries: new Counter({ name: 'modelwatch_kafka_chunk_retries_total', help: 'Chunks rolled back to their start and retried after a pause, by reason', labelNames: ['topic', 'reason'], registers }),
    commitFailures: new Counter({ name: 'modelwatch_kafka_commit_failures_total', help: 'Offset commits that failed, by stage: intent (before the write) or done (after it; the chunk is replayed and deduplicated)', labelNames: ['topic', 'stage'], registers }),
  };
}
