/**
 * The model monitor: instrumentation a model server embeds to send predictions, ground truth,
 * inference timings and GPU readings to modelwatch over OTLP/HTTP (protobuf).
 *
 * Hot path: `logPrediction` does a sampling decision and one push into a fixed-size ring, nothing
 * more. Turning queued entries into OpenTelemetry LogRecords happens later, in batches, on
 * `setImmediate`. The OpenTelemetry providers are private to the monitor: nothing global is
 * registered, so a host with its own OpenTelemetry setup is left alone.
 */
import os from 'node:os';
import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanStatusCode,
  context,
  trace,
  type Attributes,
  type Histogram,
  type Meter,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { SeverityNumber, type Logger, type LogAttributes } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { TrackingLogExporter } from './export.ts';
import { KafkaLogExporter, checkKafkaTransportOptions, type KafkaTransportOptions } from './transport/kafka.ts';
import { FeatureKeyCache, emptyInvalidCounts, normaliseValue, writeFeatureAttributes, type FeatureValue, type Features, type InvalidCounts } from './features.ts';
import { GpuSampler, type DiagnosticLevel, type GpuSamplerOptions } from './gpu/sampler.ts';
import { RecordRing } from './queue.ts';
import { clampRate, makeSampler } from './sampling.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_INFERENCE_DURATION_MS,
  ATTR_LABEL_VALUE,
  ATTR_MODEL_NAME,
  ATTR_MODEL_VERSION,
  ATTR_PREDICTION_ID,
  ATTR_PREDICTION_LABEL,
  ATTR_PREDICTION_SCORE,
  ATTR_PREDICTION_VALUE,
  ATTR_SAMPLE_RATE,
  EVENT_GROUND_TRUTH,
  EVENT_PREDICTION,
  METRIC_INFERENCE_DURATION,
  METRIC_SDK_DROPPED,
  METRIC_SDK_INVALID_VALUES,
  METRIC_SDK_QUEUE_SIZE,
  METRIC_SDK_SAMPLED_OUT,
  RES_DEPLOYMENT_ENVIRONMENT,
  RES_HOST_NAME,
  RES_SERVICE_NAME,
  RES_SERVICE_VERSION,
  type DropReason,
} from './semconv.ts';

/** Instrumentation scope name of everything the monitor emits. */
export const SCOPE_NAME = 'modelwatch-sdk';
/** Version of this SDK (instrumentation scope version). */
export const SDK_VERSION = '0.1.0';
/** Default OTLP/HTTP endpoint when neither the option nor `OTEL_EXPORTER_OTLP_ENDPOINT` is set. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';

/** Bucket bounds (seconds) of `ml.inference.duration`: 0.5 ms .. 10 s. */
export const INFERENCE_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Options of {@link createModelMonitor}. Only `model` is required. */
export interface ModelMonitorOptions {
  /** Model name: `ml.model.name` on every record and metric. Required, non-empty. */
  model: string;
  /** Model version: `ml.model.version`; also the default `service.version`. */
  version?: string;
  /**
   * OTLP/HTTP base URL (the SDK appends `/v1/logs`, `/v1/metrics`, `/v1/traces`). Default: the
   * `OTEL_EXPORTER_OTLP_ENDPOINT` environment variable, else `http://127.0.0.1:4318`.
   */
  endpoint?: string;
  /** `deployment.environment.name` (e.g. `production`). */
  environment?: string;
  /** `service.name`. Default: the model name. */
  serviceName?: string;
  /** `service.version`. Default: the model version. */
  serviceVersion?: string;
  /** `host.name`. Default: `os.hostname()`. */
  hostName?: string;
  /** Extra resource attributes (they do not override the ones above). */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** Extra HTTP headers on every export (e.g. an auth token). */
  headers?: Record<string, string>;
  /** Body compression of exports. Default `none`. */
  compression?: 'gzip' | 'none';
  /**
   * Share of predictions kept, 0..1 (default 1). Records with `error` are always kept. With an
   * `id`, the decision is a hash of the id, and `logGroundTruth(id)` follows the same decision.
   */
  sampleRate?: number;
  /** GPU sampling: `true` for nvidia-smi with defaults, or settings. Default off. */
  gpu?: boolean | GpuSamplerOptions;
  /**
   * Capacity of the hot-path queue, in records (default 10,000). When it is full, calls return at
   * once and the record is dropped and counted (`ml.sdk.dropped{reason="queue_full"}`).
   */
  maxQueue?: number;
  /** Most log records per export request (default 1,024). */
  maxExportBatchSize?: number;
  /** Longest a log record waits before its batch is sent, ms (default 1,000). */
  exportDelayMs?: number;
  /** Metric export interval, ms (default 10,000). */
  metricExportIntervalMs?: number;
  /** Time limit of one export request including retries, ms (default 10,000). */
  exportTimeoutMs?: number;
  /** Attach the active span (if the host has an OpenTelemetry context manager) to predictions. Default true. */
  captureTraceContext?: boolean;
  /** Where the SDK's own info and warning lines go. Default: `console.info` / `console.warn`, prefixed `[modelwatch]`. */
  onDiagnostic?: (level: DiagnosticLevel, message: string) => void;
  /**
   * How predictions and ground truth leave the process: `otlp` (OTLP/HTTP to `endpoint`, the
   * default) or `kafka` (OTLP protobuf batches produced to `kafka.topic`; see docs/kafka.md).
   * Metrics and spans go over OTLP/HTTP either way.
   */
  transport?: 'otlp' | 'kafka';
  /** Brokers and topic when `transport` is `kafka`. */
  kafka?: KafkaTransportOptions;
  /** Replaces the OTLP exporters (tests, custom transports). */
  exporters?: { logs?: LogRecordExporter; metrics?: PushMetricExporter; traces?: SpanExporter };
}

/** One prediction. `features` is read when the record is converted (soon after the call), not copied on the call: do not mutate it afterwards. */
export interface PredictionInput {
  /** Prediction id (`ml.prediction.id`), used to join ground truth. */
  id?: string;
  /** Model inputs, one flat attribute each. Values: number, string, boolean or null. */
  features: Features;
  /** Model output: a number goes to `ml.prediction.value`, a string or boolean to `ml.prediction.label`. */
  prediction?: number | string | boolean;
  /** Class label output (`ml.prediction.label`), when `prediction` is not used for it. */
  label?: string;
  /** Score or probability of the output (`ml.prediction.score`). */
  score?: number;
  /** Inference latency in ms (`ml.inference.duration_ms`). */
  latencyMs?: number;
  /**
   * Inference failure: an Error (its class name becomes `error.type`), a string (used as
   * `error.type`), or `true` (`_OTHER`). Error records are never sampled out.
   */
  error?: unknown;
  /** Event time, ms since the epoch. Default: the time of the call. */
  timestamp?: number;
}

/** Counters of the monitor's own behaviour (also exported as `ml.sdk.*` metrics). */
export interface MonitorStats {
  /** Records accepted into the queue. */
  accepted: number;
  /** Predictions not kept by sampling. */
  sampledOut: number;
  /** Records waiting in the hot-path queue. */
  queued: number;
  /** Records handed to OpenTelemetry and not yet acknowledged or failed. */
  inFlight: number;
  /** Records the collector acknowledged. */
  exported: number;
  /** Records lost, by reason. */
  dropped: Record<DropReason, number>;
  /** Values changed or removed, by reason (features dropped for their name, non-finite numbers sent as null...). */
  invalidValues: InvalidCounts;
}

/** The handle {@link createModelMonitor} returns. No method throws into the caller except `time()` rethrowing the wrapped function's own error. */
export interface ModelMonitor {
  /** Queues one `ml.prediction` event. Returns at once; never throws, never blocks. */
  logPrediction(input: PredictionInput): void;
  /** Queues one `ml.ground_truth` event for an earlier prediction. Never throws, never blocks. */
  logGroundTruth(id: string, label: string | number | boolean): void;
  /**
   * Runs `fn` (sync or async) in a span named `name` and records its duration in the
   * `ml.inference.duration` histogram. A thrown error (or rejection) is recorded on the span
   * with `error.type` and rethrown unchanged (the same object). Returns what `fn` returns.
   */
  time<T>(name: string, fn: (span: Span) => T): T;
  /** Sends everything queued so far; resolves when the exports finished (delivered or failed). Never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes and stops; later calls are dropped (`reason="shutdown"`). Idempotent. Never rejects. */
  shutdown(): Promise<void>;
  /** Current counters. */
  stats(): MonitorStats;
  /** The resolved OTLP base URL. */
  readonly endpoint: string;
}

const KIND_PREDICTION = 0;
const KIND_GROUND_TRUTH = 1;

/** Resolves the OTLP base URL: option, then `OTEL_EXPORTER_OTLP_ENDPOINT`, then the default. */
export function resolveEndpoint(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = (option && option.trim()) || (env.OTEL_EXPORTER_OTLP_ENDPOINT && env.OTEL_EXPORTER_OTLP_ENDPOINT.trim()) || DEFAULT_ENDPOINT;
  return raw.replace(/\/+$/, '');
}

/** The `error.type` of a failure value. */
export function errorTypeOf(error: unknown): string {
  if (typeof error === 'string') return error.length > 0 ? error.slice(0, 256) : '_OTHER';
  if (error instanceof Error) {
    const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof ctor === 'string' && ctor !== '' && ctor !== 'Object') return ctor === 'Error' && error.name && error.name !== 'Error' ? error.name : ctor;
    return error.name || 'Error';
  }
  if (error && typeof error === 'object') {
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name) return name;
  }
  return '_OTHER';
}

function hasError(e: unknown): boolean {
  return e !== undefined && e !== null && e !== false;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

function defaultDiagnostic(level: DiagnosticLevel, message: string): void {
  if (level === 'warn') console.warn(`[modelwatch] ${message}`);
  else console.info(`[modelwatch] ${message}`);
}

class Monitor implements ModelMonitor {
  readonly endpoint: string;
  private readonly model: string;
  private readonly version: string | undefined;
  private readonly ring: RecordRing;
  private readonly sample: (id: string | undefined) => boolean;
  private readonly sampling: boolean;
  private readonly sampleRate: number;
  private readonly captureTrace: boolean;
  private readonly keys = new FeatureKeyCache();
  private readonly invalid = emptyInvalidCounts();
  private readonly dropped: Record<DropReason, number> = { queue_full: 0, export_failed: 0, shutdown: 0, invalid_input: 0 };
  private readonly loggerProvider: LoggerProvider;
  private readonly meterProvider: MeterProvider;
  private readonly tracerProvider: BasicTracerProvider;
  private readonly logger: Logger;
  private readonly meter: Meter;
  private readonly tracer: Tracer;
  private readonly histogram: Histogram;
  private readonly baseAttrs: Attributes;
  private readonly gpu: GpuSampler | null = null;
  private readonly pipelineCapacity: number;
  private readonly drainBudget: number;
  private readonly stallLimitMs: number;
  private readonly diagnostic: (level: DiagnosticLevel, message: string) => void;
  private accepted = 0;
  private sampledOut = 0;
  private handedOff = 0;
  private settled = 0;
  private exported = 0;
  private drainScheduled = false;
  private closed = false;
  private shutdownPromise: Promise<void> | null = null;

  constructor(opts: ModelMonitorOptions) {
    if (!opts || typeof opts.model !== 'string' || opts.model.trim() === '') throw new TypeError('createModelMonitor: `model` must be a non-empty string');
    const diag = opts.onDiagnostic ?? defaultDiagnostic;
    this.diagnostic = (level, message) => {
      try {
        diag(level, message);
      } catch {
        // a failing sink must not hurt the host
      }
    };
    this.model = opts.model;
    this.version = opts.version;
    this.endpoint = resolveEndpoint(opts.endpoint);
    this.sampleRate = clampRate(opts.sampleRate);
    this.sampling = this.sampleRate < 1;
    this.sample = makeSampler(this.sampleRate);
    this.captureTrace = opts.captureTraceContext !== false;
    const maxQueue = Math.max(1, Math.floor(opts.maxQueue ?? 10_000));
    this.ring = new RecordRing(maxQueue);
    const batch = Math.max(1, Math.floor(opts.maxExportBatchSize ?? 1024));
    this.drainBudget = batch;
    // The batch processor holds at most this many; the monitor never hands it more, so it never drops.
    this.pipelineCapacity = batch * 4;
    const timeoutMs = Math.max(100, opts.exportTimeoutMs ?? 10_000);
    this.stallLimitMs = timeoutMs + 15_000;
    const hostName = opts.hostName ?? os.hostname();

    const resAttrs: Record<string, string | number | boolean> = { ...(opts.resourceAttributes ?? {}) };
    resAttrs[RES_SERVICE_NAME] = opts.serviceName ?? opts.model;
    const serviceVersion = opts.serviceVersion ?? opts.version;
    if (serviceVersion !== undefined) resAttrs[RES_SERVICE_VERSION] = serviceVersion;
    if (opts.environment !== undefined) resAttrs[RES_DEPLOYMENT_ENVIRONMENT] = opts.environment;
    resAttrs[RES_HOST_NAME] = hostName;
    const resource = resourceFromAttributes(resAttrs);

    const common = { headers: opts.headers, timeoutMillis: timeoutMs, compression: opts.compression === 'gzip' ? ('gzip' as never) : ('none' as never) };
    const logExporter =
      opts.exporters?.logs ??
      (opts.transport === 'kafka'
        ? new KafkaLogExporter(checkKafkaTransportOptions(opts.kafka), this.diagnostic, timeoutMs)
        : new OTLPLogExporter({ ...common, url: `${this.endpoint}/v1/logs` }));
    const metricExporter = opts.exporters?.metrics ?? new OTLPMetricExporter({ ...common, url: `${this.endpoint}/v1/metrics` });
    const traceExporter = opts.exporters?.traces ?? new OTLPTraceExporter({ ...common, url: `${this.endpoint}/v1/traces` });

    const tracking = new TrackingLogExporter(logExporter, (count, delivered) => this.onExportDone(count, delivered), timeoutMs + 5_000);
    this.loggerProvider = new LoggerProvider({
      resource,
      logRecordLimits: { attributeCountLimit: 4096 },
      processors: [
        new BatchLogRecordProcessor({
          exporter: tracking,
          maxExportBatchSize: batch,
          maxQueueSize: this.pipelineCapacity,
          scheduledDelayMillis: Math.max(1, opts.exportDelayMs ?? 1_000),
          exportTimeoutMillis: timeoutMs + 10_000,
        }),
      ],
    });
    this.logger = this.loggerProvider.getLogger(SCOPE_NAME, SDK_VERSION);

    this.meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: metricExporter,
          exportIntervalMillis: Math.max(100, opts.metricExportIntervalMs ?? 10_000),
          exportTimeoutMillis: Math.min(timeoutMs, Math.max(100, opts.metricExportIntervalMs ?? 10_000)),
        }),
      ],
    });
    this.meter = this.meterProvider.getMeter(SCOPE_NAME, SDK_VERSION);

    this.tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(traceExporter, { exportTimeoutMillis: timeoutMs + 10_000 })] });
    this.tracer = this.tracerProvider.getTracer(SCOPE_NAME, SDK_VERSION);

    this.baseAttrs = { [ATTR_MODEL_NAME]: this.model };
    if (this.version !== undefined) this.baseAttrs[ATTR_MODEL_VERSION] = this.version;
    this.histogram = this.meter.createHistogram(METRIC_INFERENCE_DURATION, {
      unit: 's',
      description: 'Duration of model inference, measured by ModelMonitor.time()',
      advice: { explicitBucketBoundaries: INFERENCE_DURATION_BUCKETS },
    });
    this.registerSelfMetrics();

    if (opts.gpu) {
      const gpuOpts = opts.gpu === true ? {} : opts.gpu;
      const sampler = new GpuSampler(gpuOpts, hostName, this.diagnostic);
      if (sampler.start(this.meter)) this.gpu = sampler;
    }
  }

  // ---- hot path -------------------------------------------------------------------------------

  logPrediction(input: PredictionInput): void {
    try {
      if (this.closed) {
        this.dropped.shutdown++;
        return;
      }
      if (input === null || typeof input !== 'object' || input.features === null || typeof input.features !== 'object') {
        this.dropped.invalid_input++;
        return;
      }
      if (this.sampling && !hasError(input.error) && !this.sample(input.id)) {
        this.sampledOut++;
        return;
      }
      const spanContext = this.captureTrace ? trace.getSpanContext(context.active()) : undefined;
      const ts = input.timestamp;
      if (!this.ring.push(KIND_PREDICTION, typeof ts === 'number' ? ts : Date.now(), input, spanContext)) {
        this.dropped.queue_full++;
        return;
      }
      this.accepted++;
      if (!this.drainScheduled) this.scheduleDrain();
    } catch {
      this.dropped.invalid_input++;
    }
  }

  logGroundTruth(id: string, label: string | number | boolean): void {
    try {
      if (this.closed) {
        this.dropped.shutdown++;
        return;
      }
      if (typeof id !== 'string' || id === '' || (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean')) {
        this.dropped.invalid_input++;
        return;
      }
      if (this.sampling && !this.sample(id)) {
        this.sampledOut++;
        return;
      }
      if (!this.ring.push(KIND_GROUND_TRUTH, Date.now(), id, label)) {
        this.dropped.queue_full++;
        return;
      }
      this.accepted++;
      if (!this.drainScheduled) this.scheduleDrain();
    } catch {
      this.dropped.invalid_input++;
    }
  }

  time<T>(name: string, fn: (span: Span) => T): T {
    let span: Span | undefined;
    let start = 0;
    try {
      span = this.tracer.startSpan(String(name), { attributes: this.baseAttrs }, context.active());
      start = performance.now();
    } catch {
      span = undefined;
    }
    if (!span) return fn(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
    const s = span;
    let result: T;
    try {
      result = context.with(trace.setSpan(context.active(), s), fn, undefined, s);
    } catch (error) {
      this.endTiming(s, start, error, true);
      throw error;
    }
    if (isThenable(result)) {
      return result.then(
        (value) => {
          this.endTiming(s, start, undefined, false);
          return value;
        },
        (error: unknown) => {
          this.endTiming(s, start, error, true);
          throw error;
        },
      ) as T;
    }
    this.endTiming(s, start, undefined, false);
    return result;
  }

  private endTiming(span: Span, start: number, error: unknown, failed: boolean): void {
    try {
      const seconds = (performance.now() - start) / 1000;
      if (failed) {
        const type = errorTypeOf(error);
        span.setAttribute(ATTR_ERROR_TYPE, type);
        if (error instanceof Error) span.recordException(error);
        else if (typeof error === 'string') span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : typeof error === 'string' ? error : undefined });
        this.histogram.record(seconds, { ...this.baseAttrs, [ATTR_ERROR_TYPE]: type });
      } else {
        this.histogram.record(seconds, this.baseAttrs);
      }
      span.end();
    } catch {
      // never hurt the host
    }
  }

  // ---- off the hot path -----------------------------------------------------------------------

  private scheduleDrain(): void {
    this.drainScheduled = true;
    const handle = setImmediate(this.drainTick);
    handle.unref?.();
  }

  private readonly drainTick = (): void => {
    this.drainScheduled = false;
    try {
      this.drain(this.drainBudget);
    } catch (error) {
      this.diagnostic('warn', `converting records failed: ${String(error)}`);
    }
    // More waiting and room downstream: continue next turn. When the pipeline is full, the end of
    // the running export schedules the next drain.
    if (this.ring.size > 0 && this.handedOff - this.settled < this.pipelineCapacity && !this.drainScheduled) this.scheduleDrain();
  };

  /** Moves up to `budget` records from the ring into OpenTelemetry, as long as there is room. */
  private drain(budget: number): number {
    let moved = 0;
    while (moved < budget && this.ring.size > 0 && this.handedOff - this.settled < this.pipelineCapacity) {
      this.ring.shift(this.emitOne);
      moved++;
    }
    return moved;
  }

  private onExportDone(count: number, delivered: boolean): void {
    this.settled += count;
    if (delivered) this.exported += count;
    else this.dropped.export_failed += count;
    if (this.ring.size > 0 && !this.drainScheduled) this.scheduleDrain();
  }

  private readonly emitOne = (kind: number, time: number, payload: unknown, extra: unknown): void => {
    this.handedOff++;
    try {
      if (kind === KIND_PREDICTION) this.emitPrediction(time, payload as PredictionInput, extra as SpanContext | undefined);
      else this.emitGroundTruth(time, payload as string, extra as string | number | boolean);
    } catch (error) {
      // The record never reached the processor: settle it here so the pipeline count stays right.
      this.settled++;
      this.dropped.invalid_input++;
      this.diagnostic('warn', `a record could not be converted: ${String(error)}`);
    }
  };

  private emitPrediction(time: number, p: PredictionInput, spanContext: SpanContext | undefined): void {
    const attrs: Record<string, FeatureValue> = {};
    attrs[ATTR_MODEL_NAME] = this.model;
    if (this.version !== undefined) attrs[ATTR_MODEL_VERSION] = this.version;
    if (typeof p.id === 'string' && p.id !== '') attrs[ATTR_PREDICTION_ID] = p.id;
    const pred = p.prediction;
    if (typeof pred === 'number') {
      const v = normaliseValue(pred, this.invalid);
      if (v !== null) attrs[ATTR_PREDICTION_VALUE] = v;
    } else if (typeof pred === 'string') attrs[ATTR_PREDICTION_LABEL] = pred;
    else if (typeof pred === 'boolean') attrs[ATTR_PREDICTION_LABEL] = pred ? 'true' : 'false';
    else if (pred !== undefined && pred !== null) this.invalid.unsupported_type++;
    if (typeof p.label === 'string' && attrs[ATTR_PREDICTION_LABEL] === undefined) attrs[ATTR_PREDICTION_LABEL] = p.label;
    if (p.score !== undefined && p.score !== null) {
      const v = normaliseValue(p.score, this.invalid);
      if (typeof v === 'number') attrs[ATTR_PREDICTION_SCORE] = v;
    }
    if (p.latencyMs !== undefined && p.latencyMs !== null) {
      const v = normaliseValue(p.latencyMs, this.invalid);
      if (typeof v === 'number') attrs[ATTR_INFERENCE_DURATION_MS] = v;
    }
    const failed = hasError(p.error);
    if (failed) attrs[ATTR_ERROR_TYPE] = errorTypeOf(p.error);
    if (this.sampling) attrs[ATTR_SAMPLE_RATE] = this.sampleRate;
    writeFeatureAttributes(p.features, attrs, this.keys, this.invalid);
    this.logger.emit({
      eventName: EVENT_PREDICTION,
      timestamp: time,
      severityNumber: failed ? SeverityNumber.ERROR : SeverityNumber.INFO,
      severityText: failed ? 'ERROR' : 'INFO',
      attributes: attrs as LogAttributes,
      context: spanContext ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT,
    });
  }

  private emitGroundTruth(time: number, id: string, label: string | number | boolean): void {
    const attrs: Record<string, FeatureValue> = {};
    attrs[ATTR_MODEL_NAME] = this.model;
    if (this.version !== undefined) attrs[ATTR_MODEL_VERSION] = this.version;
    attrs[ATTR_PREDICTION_ID] = id;
    const v = normaliseValue(label, this.invalid);
    if (v === null) throw new Error('ground truth label is not finite');
    attrs[ATTR_LABEL_VALUE] = v;
    this.logger.emit({
      eventName: EVENT_GROUND_TRUTH,
      timestamp: time,
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      attributes: attrs as LogAttributes,
      context: ROOT_CONTEXT,
    });
  }

  private registerSelfMetrics(): void {
    const dropped = this.meter.createObservableCounter(METRIC_SDK_DROPPED, { unit: '{record}', description: 'Records the SDK lost before delivery, by reason' });
    dropped.addCallback((obs) => {
      for (const reason of Object.keys(this.dropped) as DropReason[]) obs.observe(this.dropped[reason], { ...this.baseAttrs, reason });
    });
    const sampled = this.meter.createObservableCounter(METRIC_SDK_SAMPLED_OUT, { unit: '{record}', description: 'Predictions not kept by sampling' });
    sampled.addCallback((obs) => obs.observe(this.sampledOut, this.baseAttrs));
    const invalid = this.meter.createObservableCounter(METRIC_SDK_INVALID_VALUES, { unit: '{value}', description: 'Values the SDK dropped or replaced with null, by reason' });
    invalid.addCallback((obs) => {
      for (const reason of Object.keys(this.invalid) as (keyof InvalidCounts)[]) obs.observe(this.invalid[reason], { ...this.baseAttrs, reason });
    });
    const queue = this.meter.createObservableGauge(METRIC_SDK_QUEUE_SIZE, { unit: '{record}', description: 'Records waiting in the SDK' });
    queue.addCallback((obs) => obs.observe(this.ring.size + (this.handedOff - this.settled), this.baseAttrs));
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  async forceFlush(): Promise<void> {
    try {
      await this.flushLogs();
      await Promise.allSettled([this.tracerProvider.forceFlush(), this.meterProvider.forceFlush()]);
    } catch (error) {
      this.diagnostic('warn', `flush failed: ${String(error)}`);
    }
  }

  private async flushLogs(): Promise<void> {
    let lastProgress = Date.now();
    for (;;) {
      const before = this.settled;
      const moved = this.drain(Number.MAX_SAFE_INTEGER);
      await this.loggerProvider.forceFlush();
      if (this.ring.size === 0 && this.handedOff === this.settled) return;
      if (moved > 0 || this.settled !== before) lastProgress = Date.now();
      else if (Date.now() - lastProgress > this.stallLimitMs) {
        this.diagnostic('warn', `flush gave up: ${this.handedOff - this.settled} record(s) did not settle`);
        return;
      }
      else await new Promise<void>((resolve) => setTimeout(resolve, 5));
    }
  }

  shutdown(): Promise<void> {
    if (!this.shutdownPromise) {
      this.closed = true;
      this.gpu?.stop();
      this.shutdownPromise = (async () => {
        try {
          await this.flushLogs();
          await this.tracerProvider.forceFlush();
          await this.meterProvider.forceFlush();
        } catch (error) {
          this.diagnostic('warn', `flush at shutdown failed: ${String(error)}`);
        }
        await Promise.allSettled([this.loggerProvider.shutdown(), this.tracerProvider.shutdown(), this.meterProvider.shutdown()]);
      })();
    }
    return this.shutdownPromise;
  }

  stats(): MonitorStats {
    return {
      accepted: this.accepted,
      sampledOut: this.sampledOut,
      queued: this.ring.size,
      inFlight: this.handedOff - this.settled,
      exported: this.exported,
      dropped: { ...this.dropped },
      invalidValues: { ...this.invalid },
    };
  }
}

/**
 * Creates a model monitor. Throws only for a missing `model`; nothing it returns throws into the
 * host afterwards (see {@link ModelMonitor}).
 *
 * @example
 * const monitor = createModelMonitor({ model: 'fraud', version: '3.1.0', environment: 'production' });
 * monitor.logPrediction({ id, features: { amount: 12.5, country: 'DE' }, prediction: 0.93, latencyMs: 4.2 });
 * process.on('SIGTERM', () => void monitor.shutdown());
 */
export function createModelMonitor(options: ModelMonitorOptions): ModelMonitor {
  return new Monitor(options);
}
