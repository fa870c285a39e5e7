import type { FeatureMap } from '../../core/features.ts';
import type { Features } from './features.ts';

/**
 * A prediction as the collector understands it, whatever it arrived as (OTLP log, JSON, Kafka).
 * Its features come split already by the shared FeatureCollector (features.ts), which the readers
 * feed as they read (collectFeatures() for name and value arrays).
 */
export interface PredictionInput {
  tsMs: number;
  model: unknown;
  version?: unknown;
  environment?: string;
  service?: string;
  host?: string;
  id?: unknown;
  value?: unknown;
  label?: unknown;
  score?: unknown;
  latencyMs?: unknown;
  errorType?: unknown;
  features: Features;
  attributes?: Record<string, string>;
  traceId?: string;
  spanId?: string;
}

/** A row of the `predictions` table. */
export interface PredictionRow {
  ts: number;
  model: string;
  version: string;
  environment: string;
  service: string;
  host: string;
  prediction_id: string;
  prediction_value: number | null;
  prediction_label: string | null;
  score: number | null;
  latency_ms: number | null;
  error_type: string;
  /** A FeatureList as built here; a plain object where rows come from elsewhere (decoded blocks). */
  features_num: FeatureMap<number>;
  features_cat: FeatureMap<string>;
  features_null: string[];
  attributes: Record<string, string>;
  trace_id: string;
  span_id: string;
}

/** Latencies outside these bounds (ms) are refused; 1e12 ms is about 32 years. */
export const MAX_LATENCY_MS = 1e12;
export const MIN_LATENCY_MS = 1e-300;

/** Either a row or the reason the record was rejected. */
export type BuildResult = { row: PredictionRow } | { error: string };

function optNumber(v: unknown, field: string): number | null | string {
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) return `${field} must be a finite number, got ${JSON.stringify(v)}`;
  return n;
}

function optString(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : String(v);
}

/**
 * Validates one prediction and builds its row. Features split by type: numbers -> numeric map,
 * strings and booleans -> categorical map, null -> the null list. Anything else rejects the record.
 */
export function buildPredictionRow(p: PredictionInput): BuildResult {
  if (typeof p.model !== 'string' || p.model === '') return { error: 'model name missing (ml.model.name / "model")' };
  if (p.model.length > 256) return { error: 'model name longer than 256 characters' };
  if (!Number.isFinite(p.tsMs) || p.tsMs < 0 || p.tsMs > 32503680000000) return { error: 'timestamp cannot be parsed' };
  const value = optNumber(p.value, 'prediction value');
  if (typeof value === 'string') return { error: value };
  const score = optNumber(p.score, 'score');
  if (typeof score === 'string') return { error: score };
  const latency = optNumber(p.latencyMs, 'latency_ms');
  if (typeof latency === 'string') return { error: latency };
  if (latency !== null && latency < 0) return { error: `latency_ms must be >= 0, got ${latency}` };
  // The latency rollup's sketch (quantilesDD) refuses positive values outside about [2.3e-308,
  // 1.76e308]; ClickHouse would store the raw row and then fail the insert in the view.
  if (latency !== null && (latency > MAX_LATENCY_MS || (latency > 0 && latency < MIN_LATENCY_MS))) {
    return { error: `latency_ms must be 0 or between ${MIN_LATENCY_MS} and ${MAX_LATENCY_MS}, got ${latency}` };
  }
  if (p.label !== undefined && p.label !== null && typeof p.label !== 'string' && typeof p.label !== 'number' && typeof p.label !== 'boolean') {
    return { error: `label must be a string, got ${typeof p.label}` };
  }
  const f = p.features;
  if (f.error !== null) return { error: f.error };
  return {
    row: {
      ts: Math.trunc(p.tsMs),
      model: p.model,
      version: optString(p.version),
      environment: p.environment ?? '',
      service: p.service ?? '',
      host: p.host ?? '',
      prediction_id: optString(p.id),
      prediction_value: value,
      prediction_label: p.label === undefined || p.label === null ? null : String(p.label),
      score,
      latency_ms: latency,
      error_type: optString(p.errorType),
      features_num: f.num,
      features_cat: f.cat,
      features_null: f.nulls,
      attributes: p.attributes ?? {},
      trace_id: p.traceId ?? '',
      span_id: p.spanId ?? '',
    },
  };
}
