/**
 * Wire names of the modelwatch data contract, as the SDK emits them. docs/semconv.md is the
 * normative description; these constants must match it.
 */

/** Event name of a prediction LogRecord. */
export const EVENT_PREDICTION = 'ml.prediction';
/** Event name of a ground-truth LogRecord. */
export const EVENT_GROUND_TRUTH = 'ml.ground_truth';

export const ATTR_MODEL_NAME = 'ml.model.name';
export const ATTR_MODEL_VERSION = 'ml.model.version';
export const ATTR_PREDICTION_ID = 'ml.prediction.id';
export const ATTR_PREDICTION_VALUE = 'ml.prediction.value';
export const ATTR_PREDICTION_LABEL = 'ml.prediction.label';
export const ATTR_PREDICTION_SCORE = 'ml.prediction.score';
export const ATTR_INFERENCE_DURATION_MS = 'ml.inference.duration_ms';
export const ATTR_SAMPLE_RATE = 'ml.sample_rate';
export const ATTR_LABEL_VALUE = 'ml.label.value';
export const ATTR_ERROR_TYPE = 'error.type';
/** Prefix of the flat, one-per-feature attributes. */
export const FEATURE_PREFIX = 'ml.feature.';

export const RES_SERVICE_NAME = 'service.name';
export const RES_SERVICE_VERSION = 'service.version';
export const RES_DEPLOYMENT_ENVIRONMENT = 'deployment.environment.name';
export const RES_HOST_NAME = 'host.name';

export const METRIC_INFERENCE_DURATION = 'ml.inference.duration';
export const METRIC_SDK_DROPPED = 'ml.sdk.dropped';
export const METRIC_SDK_SAMPLED_OUT = 'ml.sdk.sampled_out';
export const METRIC_SDK_INVALID_VALUES = 'ml.sdk.invalid_values';
export const METRIC_SDK_QUEUE_SIZE = 'ml.sdk.queue.size';

export const METRIC_GPU_UTILIZATION = 'hw.gpu.utilization';
export const METRIC_GPU_MEMORY_USAGE = 'hw.gpu.memory.usage';
export const METRIC_GPU_MEMORY_LIMIT = 'hw.gpu.memory.limit';
export const METRIC_GPU_POWER_DRAW = 'hw.gpu.power.draw';
export const METRIC_GPU_TEMPERATURE = 'hw.gpu.temperature';
export const METRIC_GPU_THROTTLED = 'hw.gpu.throttled';
export const METRIC_GPU_CLOCK_EVENT_REASONS = 'hw.gpu.clock_event_reasons';

export const ATTR_HW_ID = 'hw.id';
export const ATTR_HW_NAME = 'hw.name';
export const ATTR_HW_VENDOR = 'hw.vendor';
export const ATTR_GPU_INDEX = 'gpu.index';

/** Reasons of `ml.sdk.dropped` (records lost before reaching the collector). */
export type DropReason = 'queue_full' | 'export_failed' | 'shutdown' | 'invalid_input';
/** Reasons of `ml.sdk.invalid_values` (values the SDK changed or removed). */
export type InvalidValueReason = 'invalid_name' | 'non_finite' | 'unsupported_type';
