/**
 * What the attributes of an `ml.prediction` log record mean (docs/semconv.md), in one place for
 * both readers of such records: the generic one over decoded objects (OTLP/JSON, protobufjs
 * messages) in logs.ts, and the fused one that reads protobuf bytes straight into a draft in
 * logs-wire.ts. Both classify a key with predictionKeyCode(), hand each value to
 * applyPredictionAttribute() and finish with finishPrediction(), so validation messages, feature
 * typing and defaults cannot drift apart.
 */
import { FeatureList } from '../../core/features.ts';
import { featureCollector, type Features } from '../predictions/features.ts';
import { buildPredictionRow, type BuildResult } from '../predictions/record.ts';
import type { ResourceInfo } from './resource.ts';
import { NON_SCALAR, scalarString, type Scalar } from './values.ts';

export const FEATURE_PREFIX = 'ml.feature.';

/** What an attribute key sets on a prediction. */
export const KEY = {
  ATTRIBUTE: 0,
  FEATURE: 1,
  MODEL: 2,
  VERSION: 3,
  ID: 4,
  VALUE: 5,
  LABEL: 6,
  SCORE: 7,
  LATENCY: 8,
  ERROR: 9,
  IGNORED: 10,
} as const;

/** Classifies an attribute key of an `ml.prediction` record (throws, as before, when it is not a string). */
export function predictionKeyCode(key: string): number {
  if (key.startsWith(FEATURE_PREFIX)) return KEY.FEATURE;
  switch (key) {
    case 'ml.model.name': return KEY.MODEL;
    case 'ml.model.version': return KEY.VERSION;
    case 'ml.prediction.id': return KEY.ID;
    case 'ml.prediction.value': return KEY.VALUE;
    case 'ml.prediction.label': return KEY.LABEL;
    case 'ml.prediction.score': return KEY.SCORE;
    case 'ml.inference.duration_ms': return KEY.LATENCY;
    case 'error.type': return KEY.ERROR;
    // Carried by older SDKs beside the record's event name; not an attribute to store.
    case 'event.name': return KEY.IGNORED;
    default: return KEY.ATTRIBUTE;
  }
}

/** The feature name of a FEATURE key. */
export function featureName(key: string): string {
  return key.slice(FEATURE_PREFIX.length);
}

/**
 * The fields of one `ml.prediction` record as read so far. Its features go to the shared
 * FeatureCollector as they are read (openPrediction() to closePrediction()), which splits them by
 * kind; `tsMs` null means the record carries no time (the receive time is used).
 */
export class PredictionDraft {
  model: unknown = undefined;
  version: unknown = undefined;
  id: unknown = undefined;
  value: unknown = undefined;
  label: unknown = undefined;
  score: unknown = undefined;
  latency: unknown = undefined;
  errorType: unknown = undefined;
  attributes: Record<string, string> | undefined = undefined;
  tsMs: number | null = null;
  traceId = '';
  spanId = '';
  features: Features | null = null;
  /** Whether a row has taken the features (see takeFeatures). */
  taken = false;
}

/** A new draft: features applied from now until closePrediction() are its own. */
export function openPrediction(): PredictionDraft {
  featureCollector.begin();
  return new PredictionDraft();
}

/** Ends the draft's features (before another draft is opened: the collector is shared). */
export function closePrediction(d: PredictionDraft): void {
  d.features = featureCollector.end();
}

/**
 * Applies one attribute: `s` is its value as a scalar (NON_SCALAR for arrays, maps, bytes), `av`
 * the AnyValue it came from (read only to render a non-scalar plain attribute as JSON).
 */
export function applyPredictionAttribute(d: PredictionDraft, code: number, key: string, name: string, s: Scalar | typeof NON_SCALAR, av: unknown): void {
  switch (code) {
    case KEY.FEATURE:
      // An array or map feature is refused by the collector, which names its type.
      featureCollector.add(name, s === NON_SCALAR ? [] : s);
      return;
    case KEY.MODEL: d.model = s; return;
    case KEY.VERSION: d.version = s; return;
    case KEY.ID: d.id = s; return;
    case KEY.VALUE: d.value = s; return;
    case KEY.LABEL: d.label = s; return;
    case KEY.SCORE: d.score = s; return;
    case KEY.LATENCY: d.latency = s; return;
    case KEY.ERROR: d.errorType = s; return;
    case KEY.IGNORED: return;
    default: (d.attributes ??= {})[key] = scalarString(s, av);
  }
}

/**
 * The draft's features for a row. The first row built from a draft takes them as they are (a copy
 * per row measured 2-3 µs more per record for decode and transform). A draft read again (Kafka's
 * poison check transforms a message before the ingest does) gives each later row copies of its own.
 */
function takeFeatures(d: PredictionDraft): Features {
  const f = d.features;
  if (f === null) throw new Error('finishPrediction: the draft was not closed');
  if (!d.taken) {
    d.taken = true;
    return f;
  }
  return {
    num: new FeatureList(f.num.names, f.num.values.slice()),
    cat: new FeatureList(f.cat.names, f.cat.values.slice()),
    nulls: f.nulls.slice(),
    error: f.error,
  };
}

/** Validates a closed draft and builds its row; resource fields fill what the record leaves out. */
export function finishPrediction(d: PredictionDraft, res: ResourceInfo, now: number): BuildResult {
  return buildPredictionRow({
    tsMs: d.tsMs ?? now,
    model: d.model,
    version: d.version ?? res.serviceVersion,
    environment: res.environment,
    service: res.service,
    host: res.host,
    id: d.id,
    value: d.value,
    label: d.label === NON_SCALAR ? [] : d.label,
    score: d.score,
    latencyMs: d.latency,
    errorType: d.errorType,
    features: takeFeatures(d),
    attributes: d.attributes,
    traceId: d.traceId,
    spanId: d.spanId,
  });
}
