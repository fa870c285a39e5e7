/**
 * modelwatch SDK: instrumentation for model servers. See docs/semconv.md for the wire contract.
 */
export {
  createModelMonitor,
  resolveEndpoint,
  errorTypeOf,
  DEFAULT_ENDPOINT,
  INFERENCE_DURATION_BUCKETS,
  SCOPE_NAME,
  SDK_VERSION,
  type ModelMonitor,
  type ModelMonitorOptions,
  type MonitorStats,
  type PredictionInput,
} from './monitor.ts';
export type { KafkaTransportOptions } from './transport/kafka.ts';
export { FEATURE_NAME_PATTERN, isValidFeatureName, type FeatureValue, type Features, type InvalidCounts } from './features.ts';
export * as semconv from './semconv.ts';
export type { DropReason, InvalidValueReason } from './semconv.ts';
export {
  GpuSampler,
  parseNvidiaSmiCsv,
  parseDcgmMetrics,
  parsePrometheusText,
  nvidiaSmiArgs,
  type GpuSample,
  type GpuParseResult,
  type GpuSamplerOptions,
} from './gpu/index.ts';
