/** Kafka ingest: a consumer group whose chunks land in ClickHouse exactly once (docs/kafka.md). */
export { KafkaIngest, startKafkaIngest, type KafkaIngestDeps, type KafkaIngestOptions } from './consumer.ts';
export { brokerList, kafkaConfigured, kafkaOptionsFromConfig, parseTopicsSpec } from './options.ts';
export { chunkToken, encodeIntent, parseIntent, type ChunkLimits, type Intent } from './chunk.ts';
export { deadLetterRow, type DeadLetterRow, type PoisonMessage } from './dead-letters.ts';
