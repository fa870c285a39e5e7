import type { Command } from 'commander';
import { kafkaConfigured, kafkaOptionsFromConfig, parseTopicsSpec, startKafkaIngest } from '../../collector/kafka/index.ts';
import { createLogger, fail, listenText, loadCliConfig, logFormat, printListening, withStorageOptions, type CommonOptions } from '../context.ts';
import { openCollector, stopOnSignals, type Stoppable } from '../ingest-process.ts';
import { startSummary } from '../summary.ts';

interface CollectorOptions extends CommonOptions {
  host?: string;
  port?: string;
  kafkaBrokers?: string;
  topics?: string;
  groupId?: string;
  dlqTopic?: string;
}

/** Config overrides from the Kafka flags (absent flags leave the config file and environment alone). */
function kafkaOverrides(o: CollectorOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { 'kafka.brokers': o.kafkaBrokers, 'kafka.groupId': o.groupId, 'kafka.dlqTopic': o.dlqTopic };
  if (o.topics !== undefined) {
    const t = parseTopicsSpec(o.topics);
    out['kafka.topics.predictions'] = t.predictions;
    out['kafka.topics.otlpLogs'] = t.otlpLogs;
  }
  if (o.kafkaBrokers !== undefined || o.topics !== undefined) out['kafka.enabled'] = true;
  return out;
}

/** `modelwatch collector`: ingest only (OTLP/HTTP, /v1/predictions, and Kafka when configured); no analyzer, no alerts. */
export function registerCollector(program: Command): void {
  withStorageOptions(
    program
      .command('collector')
      .description('run ingest only: OTLP/HTTP + /v1/predictions, and a Kafka consumer group when brokers and topics are given (scaled mode)')
      .option('--host <host>', 'address to bind (default 127.0.0.1: loopback only)')
      .option('-p, --port <port>', 'port to listen on (default 4318)')
      .option('--kafka-brokers <list>', 'Kafka bootstrap brokers, comma-separated (host:port,...)')
      .option('--topics <list>', 'topics to consume as FORMAT:NAME, comma-separated; FORMAT is predictions (NDJSON) or otlp-logs (OTLP protobuf)')
      .option('--group-id <id>', 'Kafka consumer group (default modelwatch-collector)')
      .option('--dlq-topic <topic>', 'also copy poison messages to this topic'),
  ).action(async (opts: CollectorOptions) => {
    let overrides: Record<string, unknown>;
    try {
      overrides = kafkaOverrides(opts);
    } catch (err) {
      fail(err);
    }
    const config = loadCliConfig(opts, { 'server.host': opts.host, 'server.port': opts.port, ...overrides });
    const log = createLogger(config);
    const kafkaOptions = kafkaConfigured(config) ? (() => {
      try {
        return kafkaOptionsFromConfig(config);
      } catch (err) {
        return fail(err);
      }
    })() : null;
    const { store, collector } = await openCollector(config, log);
    // The Kafka chunk being written completes and is committed on shutdown; uncommitted ones are read again later.
    const parts: Stoppable[] = [];
    stopOnSignals({ log, message: 'shutting down: finishing requests and the Kafka chunk in progress, flushing queued rows', collector, store, parts });
    try {
      const address = await collector.app.listen({ host: config.server.host, port: config.server.port, ...listenText(config, 'modelwatch collector') });
      if (logFormat(config) === 'json') log.info({ address, mode: store.mode, decodeThreads: config.server.decodeThreads }, 'modelwatch collector listening');
      if (kafkaOptions) {
        parts.push(await startKafkaIngest(kafkaOptions, { ingestor: collector.ingestor, store, log, registry: collector.registry }));
      }
      parts.push(startSummary({ log, registry: collector.registry, everyMs: config.log.summaryIntervalMs }));
      const topics = kafkaOptions ? [...kafkaOptions.topics.predictions, ...kafkaOptions.topics.otlpLogs] : [];
      printListening(config, `modelwatch collector listening on ${address}${topics.length ? `, consuming Kafka topics ${topics.join(', ')}` : ''}`);
    } catch (err) {
      fail(err);
    }
  });
}
