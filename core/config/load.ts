import fs from 'node:fs';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { configSchema, ENV_KEYS, type Config } from './schema.ts';
import { MwError } from '../errors.ts';

type Obj = Record<string, any>;

function setPath(obj: Obj, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k];
  }
  cur[keys[keys.length - 1]] = value;
}

function getPath(obj: Obj, pointer: string): unknown {
  return pointer.split('/').filter(Boolean).reduce<any>((o, k) => (o == null ? undefined : o[k]), obj);
}

const ajv = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: true });
const validate = ajv.compile(configSchema as any);

/** Where the settings come from, lowest precedence first: file, environment, explicit overrides. */
export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}

/** Reads a YAML/JSON config file into a plain object; a missing or bad file is a clear error. */
export function readConfigFile(file: string): Obj {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new MwError('MW_ERR_CONFIG_FILE', `${file}: ${(err as Error).message}`);
  }
  try {
    const parsed = YAML.parse(text) ?? {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('top level must be a mapping');
    return parsed;
  } catch (err) {
    throw new MwError('MW_ERR_CONFIG_FILE', `${file}: ${(err as Error).message}`);
  }
}

/**
 * Builds and validates the configuration. A bad value stops start-up with the key,
 * the value and what was expected.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const raw: Obj = sources.file ? readConfigFile(sources.file) : {};
  const env = sources.env ?? {};
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    if (env[name] !== undefined && env[name] !== '') setPath(raw, key, env[name]);
  }
  for (const [key, value] of Object.entries(sources.overrides ?? {})) {
    if (value !== undefined) setPath(raw, key, value);
  }
  const original = structuredClone(raw);
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => {
      const key = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
      if (e.keyword === 'additionalProperties') {
        const extra = (e.params as { additionalProperty: string }).additionalProperty;
        return `${key ? key + '.' : ''}${extra}: unknown setting`;
      }
      const value = JSON.stringify(getPath(original, e.instancePath));
      return `${key}: got ${value}, expected ${describe(e)}`;
    });
    throw new MwError('MW_ERR_CONFIG_INVALID', problems.join('; '), { problems });
  }
  const config = raw as Config;
  const problems = crossChecks(config);
  if (problems.length) throw new MwError('MW_ERR_CONFIG_INVALID', problems.join('; '), { problems });
  return config;
}

/** Rules between settings that the schema cannot say: a coarser rollup level is kept at least as long as a finer one. */
function crossChecks(config: Config): string[] {
  const s = config.storage;
  const levels = [
    ['storage.minuteRetentionDays', s.minuteRetentionDays],
    ['storage.hourRetentionDays', s.hourRetentionDays],
    ['storage.dayRetentionDays', s.dayRetentionDays],
  ] as const;
  const problems: string[] = [];
  for (let i = 1; i < levels.length; i++) {
    const [fineKey, fine] = levels[i - 1];
    const [key, value] = levels[i];
    if (value < fine) problems.push(`${key}: got ${value}, expected a number >= ${fineKey} (${fine}): a coarser rollup level is kept at least as long as a finer one`);
  }
  return problems;
}

function describe(e: { keyword: string; params: any; message?: string }): string {
  switch (e.keyword) {
    case 'minimum': return `a number >= ${e.params.limit}`;
    case 'maximum': return `a number <= ${e.params.limit}`;
    case 'type': return `type ${e.params.type}`;
    case 'enum': return `one of ${e.params.allowedValues.join(', ')}`;
    case 'pattern': return `a value matching ${e.params.pattern}`;
    case 'minLength': return `a non-empty string`;
    default: return e.message ?? e.keyword;
  }
}

/** Returns a copy of the config safe to log: secrets replaced. */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config);
  if (copy.storage.password) copy.storage.password = '***';
  if (copy.privacy?.hmacKey) copy.privacy.hmacKey = '***';
  return copy;
}
