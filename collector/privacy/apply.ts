import { featureObject, FeatureList, type FeatureMap } from '../../core/features.ts';
import type { PredictionRow } from '../predictions/record.ts';
import { bucketLabel, type CompiledRule, type PrivacyPolicy } from './policy.ts';

/** Attribute key prefix of a feature (docs/semconv.md). */
export const FEATURE_ATTR = 'ml.feature.';

type StringMap = Record<string, string>;

/** A numeric reading of a text value for bucketize; NaN when it is not a number. */
function asNumber(s: string): number {
  return s.trim() === '' ? NaN : Number(s);
}

/**
 * The text to store for a scalar under a rule, or undefined when nothing may be stored
 * (drop, or a bucketize rule given a value that is not a number).
 */
function replacement(policy: PrivacyPolicy, rule: CompiledRule, value: string | number | boolean): string | undefined {
  if (rule.action === 'drop') return undefined;
  if (rule.action === 'hash') return policy.hash(typeof value === 'string' ? value : String(value));
  const n = typeof value === 'number' ? value : typeof value === 'string' ? asNumber(value) : NaN;
  return Number.isFinite(n) ? bucketLabel(n, rule.buckets) : undefined;
}

function names(m: FeatureMap<number> | FeatureMap<string>): readonly string[] {
  return m instanceof FeatureList ? m.names : Object.keys(m);
}

/**
 * Applies the rules to one prediction row, in place. Dropped features disappear from every
 * column; hashed and bucketized ones become categorical (their text is no longer a measure);
 * a bucketize rule given a non-number stores a null, so the type problem still shows as nulls.
 */
export function redactPrediction(policy: PrivacyPolicy, row: PredictionRow): void {
  const model = row.model;
  // The maps become plain objects only for a row that a rule touches (most rows keep their lists).
  const touched = (m: FeatureMap<number> | FeatureMap<string>) => names(m).some((name) => policy.ruleFor(model, name));
  if (touched(row.features_cat) || touched(row.features_num)) redactFeatures(policy, row);
  if (row.features_null.length) row.features_null = row.features_null.filter((name) => policy.ruleFor(model, name)?.action !== 'drop');
  redactAttributes(policy, model, row.attributes);
}

function redactFeatures(policy: PrivacyPolicy, row: PredictionRow): void {
  const model = row.model;
  // A FeatureList becomes a new object; a plain object is changed in place, as before lists.
  const cat = (row.features_cat = featureObject(row.features_cat));
  const num = (row.features_num = featureObject(row.features_num));
  // Categorical first: numeric values moved into features_cat below must not be processed twice.
  for (const name of Object.keys(cat)) {
    const rule = policy.ruleFor(model, name);
    if (!rule) continue;
    const out = replacement(policy, rule, cat[name]);
    if (out === undefined) {
      delete cat[name];
      if (rule.action === 'bucketize') row.features_null.push(name);
    } else cat[name] = out;
  }
  for (const name of Object.keys(num)) {
    const rule = policy.ruleFor(model, name);
    if (!rule) continue;
    const v = num[name];
    delete num[name];
    const out = replacement(policy, rule, v);
    if (out !== undefined) cat[name] = out;
  }
}

/** Applies the rules to the `ml.feature.*` keys of a string attribute map, in place. */
export function redactAttributes(policy: PrivacyPolicy, model: string, attrs: StringMap | undefined): void {
  if (!attrs) return;
  for (const key of Object.keys(attrs)) {
    if (!key.startsWith(FEATURE_ATTR)) continue;
    const rule = policy.ruleFor(model, key.slice(FEATURE_ATTR.length));
    if (!rule) continue;
    // An empty value is how a null feature reads in a string map: there is nothing to hide.
    if (attrs[key] === '') {
      if (rule.action === 'drop') delete attrs[key];
      continue;
    }
    const out = replacement(policy, rule, attrs[key]);
    if (out === undefined) delete attrs[key];
    else attrs[key] = out;
  }
}

type AttrRow = {
  model?: unknown;
  attributes?: StringMap;
  resource_attributes?: StringMap;
  events_attributes?: StringMap[];
};

function modelOf(row: AttrRow): string {
  if (typeof row.model === 'string' && row.model) return row.model;
  return row.attributes?.['ml.model.name'] ?? row.resource_attributes?.['ml.model.name'] ?? '';
}

/**
 * Applies the rules to rows bound for `table`, in place, before they reach the writer: prediction
 * features, and every attribute map (logs, spans and their events, metric points) that carries
 * `ml.feature.<name>`. Ground truth carries no features.
 */
export function redactRows(policy: PrivacyPolicy, table: string, rows: readonly object[]): void {
  if (table === 'predictions') {
    for (const r of rows) redactPrediction(policy, r as PredictionRow);
    return;
  }
  if (table === 'ground_truth') return;
  for (const r of rows as AttrRow[]) {
    const model = modelOf(r);
    redactAttributes(policy, model, r.attributes);
    redactAttributes(policy, model, r.resource_attributes);
    if (Array.isArray(r.events_attributes)) for (const m of r.events_attributes) redactAttributes(policy, model, m);
  }
}

// --- raw text (dead letters of payloads kept as received) ---------------------------------------

const DROP = Symbol('drop');

function redactScalar(policy: PrivacyPolicy, feature: string, v: unknown): unknown {
  const rule = policy.ruleFor('', feature);
  if (!rule) return v;
  if (v === null || v === undefined) return rule.action === 'drop' ? DROP : v;
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return DROP;
  const out = replacement(policy, rule, v);
  return out === undefined ? DROP : out;
}

// An OTLP/JSON AnyValue for a feature: { stringValue } | { intValue } | { doubleValue } | { boolValue } | {}.
function redactAnyValue(policy: PrivacyPolicy, feature: string, av: Record<string, unknown>): unknown {
  const k = Object.keys(av)[0];
  const v = k === undefined ? null : av[k];
  const out = redactScalar(policy, feature, v);
  if (out === DROP) return DROP;
  return out === v ? av : { stringValue: out };
}

function walk(policy: PrivacyPolicy, node: unknown): unknown {
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    for (const x of node) {
      const y = walk(policy, x);
      if (y !== DROP) out.push(y);
    }
    return out;
  }
  if (node === null || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  if (typeof o.key === 'string' && o.key.startsWith(FEATURE_ATTR) && o.value && typeof o.value === 'object') {
    const v = redactAnyValue(policy, o.key.slice(FEATURE_ATTR.length), o.value as Record<string, unknown>);
    return v === DROP ? DROP : { ...o, value: v };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    let y: unknown;
    if (k.startsWith(FEATURE_ATTR)) y = redactScalar(policy, k.slice(FEATURE_ATTR.length), v);
    else if (k === 'features' && v && typeof v === 'object' && !Array.isArray(v)) {
      const f: Record<string, unknown> = {};
      for (const [name, fv] of Object.entries(v)) {
        const z = redactScalar(policy, name, fv);
        if (z !== DROP) f[name] = z;
      }
      y = f;
    } else y = walk(policy, v);
    if (y !== DROP) out[k] = y;
  }
  return out;
}

/**
 * Redacts a payload kept as text (a dead letter): JSON (flat predictions, NDJSON, OTLP/JSON) has
 * its feature values redacted where they sit; text that cannot be parsed, and so cannot be
 * checked, is withheld. The model is not known here, so every rule for a feature applies.
 */
export function redactRawText(policy: PrivacyPolicy, text: string): string {
  const whole = tryParse(text);
  if (whole.ok) return JSON.stringify(walk(policy, whole.value));
  return text
    .split('\n')
    .map((line) => {
      if (!line.trim()) return line;
      const p = tryParse(line);
      return p.ok ? JSON.stringify(walk(policy, p.value)) : `[withheld: ${Buffer.byteLength(line)} bytes that are not JSON, while privacy rules are active]`;
    })
    .join('\n');
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}
