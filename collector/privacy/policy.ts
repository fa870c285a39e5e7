import fs from 'node:fs';
import { createHmac } from 'node:crypto';
import type { Config } from '../../core/config/schema.ts';
import { MwError } from '../../core/errors.ts';
import { PatternSet } from './glob.ts';

/** What a rule does to a feature value before it is stored. */
export type PrivacyAction = 'drop' | 'hash' | 'bucketize';

/** One compiled rule. */
export interface CompiledRule {
  index: number;
  feature: PatternSet;
  models: PatternSet | null;
  action: PrivacyAction;
  buckets: number[];
}

/** Hex characters of the HMAC kept: 128 bits, so distinct values practically never collide. */
export const HASH_HEX_CHARS = 32;
/** Shortest HMAC key accepted: a short key would let anyone who guesses it test candidate values. */
export const MIN_KEY_LENGTH = 32;
const CACHE_LIMIT = 100_000;
const NO_RULE = null;

function invalid(key: string, value: unknown, expected: string): MwError {
  const problem = `${key}: got ${JSON.stringify(value)}, expected ${expected}`;
  return new MwError('MW_ERR_CONFIG_INVALID', problem, { problems: [problem] });
}

/**
 * The privacy rules of one collector, compiled: which rule applies to a (model, feature) pair,
 * and the keyed hash. Decisions are cached, since the same features arrive on every record.
 */
export class PrivacyPolicy {
  // model -> feature -> rule: two lookups, no key string built per value.
  private readonly cache = new Map<string, Map<string, CompiledRule | null>>();
  private cached = 0;

  constructor(readonly rules: readonly CompiledRule[], private readonly hmacKey: Buffer | null) {}

  /**
   * The first rule for this feature of this model. `model` '' means the record names no model
   * (a plain log line or span): then every rule for the feature applies, whatever its `models`,
   * so that a value is never kept only because its model is unknown.
   */
  ruleFor(model: string, feature: string): CompiledRule | null {
    let byFeature = this.cache.get(model);
    const hit = byFeature?.get(feature);
    if (hit !== undefined) return hit;
    let found: CompiledRule | null = NO_RULE;
    for (const r of this.rules) {
      if (!r.feature.matches(feature)) continue;
      if (r.models && model !== '' && !r.models.matches(model)) continue;
      found = r;
      break;
    }
    if (this.cached >= CACHE_LIMIT) {
      this.cache.clear();
      this.cached = 0;
      byFeature = undefined;
    }
    if (!byFeature) this.cache.set(model, (byFeature = new Map()));
    byFeature.set(feature, found);
    this.cached++;
    return found;
  }

  /** Keyed HMAC-SHA256 of the value's text, hex, truncated to HASH_HEX_CHARS. */
  hash(value: string): string {
    // Validated at start-up: a hash rule never exists without a key.
    return createHmac('sha256', this.hmacKey!).update(value).digest('hex').slice(0, HASH_HEX_CHARS);
  }
}

/** The label of the bucket holding `v`: `[lo,hi)`, `(-inf,first)` or `[last,+inf)`. */
export function bucketLabel(v: number, buckets: readonly number[]): string {
  if (v < buckets[0]) return `(-inf,${buckets[0]})`;
  for (let i = 0; i < buckets.length - 1; i++) {
    if (v < buckets[i + 1]) return `[${buckets[i]},${buckets[i + 1]})`;
  }
  return `[${buckets[buckets.length - 1]},+inf)`;
}

function readKey(cfg: Config['privacy'], readFile: (f: string) => string): { key: Buffer; source: string } | null {
  if (cfg.hmacKey) return { key: Buffer.from(cfg.hmacKey, 'utf8'), source: 'privacy.hmacKey' };
  if (!cfg.hmacKeyFile) return null;
  let text: string;
  try {
    text = readFile(cfg.hmacKeyFile);
  } catch (err) {
    throw invalid('privacy.hmacKeyFile', cfg.hmacKeyFile, `a readable file holding the HMAC key (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  // A trailing newline from `echo > file` is not part of the key.
  return { key: Buffer.from(text.replace(/\r?\n$/, ''), 'utf8'), source: 'privacy.hmacKeyFile' };
}

/**
 * `cfg` with the HMAC key of `privacy.hmacKeyFile` read into `privacy.hmacKey`: what decode threads
 * compile, so that a thread started later does not depend on the file still being readable.
 */
export function withKeyRead(cfg: Config['privacy'], readFile: (f: string) => string = (f) => fs.readFileSync(f, 'utf8')): Config['privacy'] {
  if (!cfg?.hmacKeyFile || cfg.hmacKey || (cfg.rules ?? []).length === 0) return cfg;
  return { ...cfg, hmacKey: readKey(cfg, readFile)!.key.toString('utf8'), hmacKeyFile: '' };
}

/**
 * Validates and compiles `privacy` from the config; null when there are no rules. Stops start-up
 * (MW_ERR_CONFIG_INVALID, naming the key, the value and what was expected) on a hash rule without
 * a key, a short key, or bucket bounds that are missing or not strictly increasing.
 */
export function compilePrivacy(cfg: Config['privacy'], readFile: (f: string) => string = (f) => fs.readFileSync(f, 'utf8')): PrivacyPolicy | null {
  const rules = cfg?.rules ?? [];
  if (rules.length === 0) return null;
  const key = readKey(cfg, readFile);
  if (key && key.key.length < MIN_KEY_LENGTH) {
    throw invalid(key.source, `(${key.key.length} bytes, not shown)`, `an HMAC key of at least ${MIN_KEY_LENGTH} bytes (e.g. openssl rand -hex 32)`);
  }
  const compiled = rules.map((r, index): CompiledRule => {
    const at = `privacy.rules[${index}]`;
    if (r.action === 'hash' && !key) {
      throw invalid(`${at}.action`, 'hash', 'privacy.hmacKeyFile or MODELWATCH_PRIVACY_HMAC_KEY to be set (a hash rule needs a secret key)');
    }
    const buckets = r.buckets ?? [];
    if (r.action === 'bucketize') {
      if (buckets.length === 0) throw invalid(`${at}.buckets`, r.buckets, 'at least one bucket bound for a bucketize rule');
      for (let i = 1; i < buckets.length; i++) {
        if (!(buckets[i] > buckets[i - 1])) throw invalid(`${at}.buckets`, buckets, 'strictly increasing finite numbers');
      }
      if (!buckets.every(Number.isFinite)) throw invalid(`${at}.buckets`, buckets, 'strictly increasing finite numbers');
    } else if (r.buckets !== undefined) {
      throw invalid(`${at}.buckets`, r.buckets, `no buckets for action ${r.action} (only bucketize takes them)`);
    }
    return {
      index,
      feature: new PatternSet([r.feature]),
      models: r.models && r.models.length ? new PatternSet(r.models) : null,
      action: r.action,
      buckets,
    };
  });
  return new PrivacyPolicy(compiled, key?.key ?? null);
}
