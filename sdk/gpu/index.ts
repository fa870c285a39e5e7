export { GpuSampler, findOnPath, runCommand, type GpuSamplerOptions, type CommandResult, type DiagnosticSink, type DiagnosticLevel } from './sampler.ts';
export { parseNvidiaSmiCsv, nvidiaSmiArgs, nvidiaSmiFields, rejectsField, REASONS_FIELD, LEGACY_REASONS_FIELD } from './nvidia-smi.ts';
export { parseDcgmMetrics, parsePrometheusText, type PromSample } from './dcgm.ts';
export { THROTTLE_MASK, type GpuSample, type GpuParseResult } from './types.ts';
