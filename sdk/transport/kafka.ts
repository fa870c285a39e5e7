/**
 * Kafka transport for the model monitor: a LogRecordExporter that serializes each batch as an
 * OTLP ExportLogsServiceRequest (protobuf, the same bytes OTLP/HTTP would POST) and produces it
 * to a topic, for model servers that already run Kafka. `modelwatch collector --topics
 * otlp-logs:TOPIC` consumes it. Failures are reported to the callback (the monitor counts the
 * records as dropped); nothing here throws into the host.
 */
import { Kafka, Partitioners, logLevel, type Message, type Producer } from 'kafkajs';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { DiagnosticLevel } from '../gpu/sampler.ts';

/** Where the monitor produces its log records when `transport: 'kafka'`. */
export interface KafkaTransportOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Topic of OTLP protobuf log batches (the collector's `otlp-logs:` topic). */
  topic: string;
  /** Kafka client id. Default `modelwatch-sdk`. */
  clientId?: string;
  /** Largest message produced, bytes; a bigger batch is split (default 900 KiB, under Kafka's 1 MB default). */
  maxMessageBytes?: number;
}

type ResultCallback = Parameters<LogRecordExporter['export']>[1];

/** OpenTelemetry's ExportResultCode.SUCCESS / FAILED (numeric enum in @opentelemetry/core). */
const SUCCESS = 0;
const FAILED = 1;

/** Validates the options; throws TypeError (at monitor creation, never later). */
export function checkKafkaTransportOptions(o: KafkaTransportOptions | undefined): KafkaTransportOptions {
  if (!o || !Array.isArray(o.brokers) || o.brokers.length === 0 || o.brokers.some((b) => typeof b !== 'string' || b === '')) {
    throw new TypeError("createModelMonitor: transport 'kafka' needs `kafka.brokers` (a non-empty list of host:port)");
  }
  if (typeof o.topic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(o.topic)) throw new TypeError("createModelMonitor: transport 'kafka' needs a valid `kafka.topic`");
  return o;
}

/** Produces OTLP log batches to a Kafka topic. */
export class KafkaLogExporter implements LogRecordExporter {
  private readonly producer: Producer;
  private readonly maxBytes: number;
  private connected: Promise<void> | null = null;
  private failing = false;
  private stopped = false;

  constructor(private readonly opts: KafkaTransportOptions, private readonly diagnostic: (level: DiagnosticLevel, message: string) => void, timeoutMs: number) {
    const kafka = new Kafka({
      clientId: opts.clientId ?? 'modelwatch-sdk',
      brokers: opts.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: Math.min(timeoutMs, 3000),
      requestTimeout: timeoutMs,
      // A few quick retries; the monitor's own time limit bounds an export anyway.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    this.maxBytes = Math.max(1024, opts.maxMessageBytes ?? 900 * 1024);
  }

  export(records: ReadableLogRecord[], resultCallback: ResultCallback): void {
    let messages: Message[];
    try {
      messages = this.encode(records);
    } catch (error) {
      resultCallback({ code: FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      return;
    }
    this.send(messages).then(
      () => {
        if (this.failing) this.diagnostic('info', 'Kafka export recovered');
        this.failing = false;
        resultCallback({ code: SUCCESS });
      },
      (error: unknown) => {
        if (!this.failing) this.diagnostic('warn', `Kafka export failed (${String((error as Error)?.message ?? error)}); records are dropped and counted until it recovers`);
        this.failing = true;
        // The connection may be broken: connect again on the next export.
        this.connected = null;
        resultCallback({ code: FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    try {
      await this.producer.disconnect();
    } catch {
      // nothing to do: the host is shutting down
    }
  }

  // One request per message; a batch too big for one message is halved until each part fits.
  private encode(records: ReadableLogRecord[]): Message[] {
    const body = ProtobufLogsSerializer.serializeRequest(records);
    if (!body) throw new Error('serializing the log records failed');
    if (body.length <= this.maxBytes || records.length === 1) {
      return [{ value: Buffer.from(body.buffer, body.byteOffset, body.byteLength), headers: { 'content-type': 'application/x-protobuf' } }];
    }
    const mid = records.length >> 1;
    return [...this.encode(records.slice(0, mid)), ...this.encode(records.slice(mid))];
  }

  private async send(messages: Message[]): Promise<void> {
    if (this.stopped) throw new Error('the exporter is shut down');
    this.connected ??= this.producer.connect();
    await this.connected;
    await this.producer.send({ topic: this.opts.topic, acks: -1, messages });
  }
}
