import type { FeatureMap } from '../../core/features.ts';
import { FeatureListBuilder } from './shapes.ts';

/** Feature names: the same rule the SDK applies (letters, digits, `_ . -`, at most 128). */
export const FEATURE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

// Names already checked: feature sets repeat, so the pattern runs once per name, not once per value.
const validNames = new Set<string>();
function validName(name: string): boolean {
  if (validNames.has(name)) return true;
  if (!FEATURE_NAME.test(name)) return false;
  if (validNames.size < 100_000) validNames.add(name);
  return true;
}

/**
 * A prediction as the collector understands it, whatever it arrived as (OTLP log, JSON, Kafka).
 * Features come as parallel name and value arrays, entries `featureFrom` to `featureTo` (exclusive):
 * callers fill reused or per-record arrays instead of allocating a [name, value] pair per feature.
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
  featureNames: readonly string[];
  featureValues: readonly unknown[];
  featureFrom: number;
  featureTo: number;
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

const numLists = new FeatureListBuilder<number>();
const catLists = new FeatureListBuilder<string>();
const numNames: string[] = [];
const numValues: number[] = [];
const catNames: string[] = [];
const catValues: string[] = [];

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
  // Numeric and categorical features are collected into scratch arrays (reused: this function is
  // synchronous), then copied into each kind's FeatureList with interned names (shapes.ts).
  let nNum = 0;
  let nCat = 0;
  const features_null: string[] = [];
  const names = p.featureNames;
  const values = p.featureValues;
  for (let i = p.featureFrom; i < p.featureTo; i++) {
    const name = names[i];
    const v = values[i];
    if (!validName(name)) return { error: `feature name ${JSON.stringify(name)} is not allowed (letters, digits, _ . -; at most 128)` };
    if (v === null || v === undefined) features_null.push(name);
    else if (typeof v === 'number') {
      // A non-finite number carries no information a test could use: store it as a null.
      if (Number.isFinite(v)) {
        numNames[nNum] = name;
        numValues[nNum++] = v;
      } else features_null.push(name);
    } else if (typeof v === 'string' || typeof v === 'boolean') {
      catNames[nCat] = name;
      catValues[nCat++] = typeof v === 'string' ? v : v ? 'true' : 'false';
    } else return { error: `feature ${JSON.stringify(name)} has unsupported type ${Array.isArray(v) ? 'array' : typeof v} (number, string, boolean or null)` };
  }
  const features_num = numLists.build(numNames, numValues, nNum);
  const features_cat = catLists.build(catNames, catValues, nCat);
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
      features_num,
      features_cat,
      features_null,
      attributes: p.attributes ?? {},
      trace_id: p.traceId ?? '',
      span_id: p.spanId ?? '',
    },
  };
}
