import fs from 'node:fs';
import YAML from 'yaml';
import { LATENCY_QUANTILES } from '../analyzer/latency.ts';
import { MwError } from '../core/errors.ts';
import { parseDuration } from './duration.ts';
import { parseMatchers } from './matchers.ts';
import { checkTemplate } from './template.ts';
import type {
  AlertsFile, Condition, ConditionKind, ExecErrState, InhibitRule, Matcher, NoDataState, Op, ReceiverConfig, RetryPolicy, Route, Rule,
} from './types.ts';

type Obj = Record<string, unknown>;

/** Alertmanager's timing defaults. */
export const ROUTE_DEFAULTS = { groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000 };
/** Default delivery retry policy. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxElapsedMs: 120_000, jitter: 0.2 };

const KINDS: readonly ConditionKind[] = ['latency_quantile', 'error_rate', 'drift_share', 'feature_drift', 'data_quality', 'gpu_idle', 'gpu_memory', 'no_data'];
const OPS: readonly Op[] = ['>', '>=', '<', '<=', '==', '!='];
const NO_DATA: readonly NoDataState[] = ['OK', 'Alerting', 'NoData', 'KeepLast'];
const EXEC_ERR: readonly ExecErrState[] = ['Alerting', 'Error', 'OK', 'KeepLast'];
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_:-]*$/;
const LABEL_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_LOOKBACK_MS = 2 * 3_600_000;
/** Quantiles with a result row (the latency analyzer's, plus 1 for its maximum). */
const ANALYZED_QUANTILES: readonly number[] = [...LATENCY_QUANTILES.map(([q]) => q), 1];

const CONDITION_KEYS: Record<ConditionKind | 'query', string[]> = {
  latency_quantile: ['model', 'version', 'segment', 'quantile', 'op', 'value', 'lookback'],
  error_rate: ['model', 'version', 'op', 'value', 'window', 'min_count'],
  drift_share: ['model', 'version', 'segment', 'op', 'value', 'lookback'],
  feature_drift: ['model', 'version', 'segment', 'feature', 'op', 'value', 'lookback'],
  data_quality: ['model', 'version', 'segment', 'feature', 'metric', 'op', 'value', 'lookback'],
  gpu_idle: ['model', 'segment', 'gpu', 'op', 'value', 'lookback'],
  gpu_memory: ['model', 'segment', 'gpu', 'op', 'value', 'lookback'],
  no_data: ['model', 'version', 'for'],
  query: ['op', 'value', 'lookback'],
};

const UNITS: Record<ConditionKind | 'query', string> = {
  latency_quantile: 'ms', error_rate: 'ratio', drift_share: 'ratio', feature_drift: '', data_quality: '',
  gpu_idle: '', gpu_memory: 'ratio', no_data: 's', query: '',
};

class Problems {
  readonly list: string[] = [];
  constructor(readonly file: string) {}
  add(where: string, field: string, msg: string): void {
    this.list.push(`${this.file}: ${where}${field ? ` field ${field}` : ''}: ${msg}`);
  }
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'nothing' : JSON.stringify(v));

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownKeys(p: Problems, where: string, prefix: string, obj: Obj, allowed: string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) p.add(where, `${prefix}${k}`, `unknown field (allowed: ${allowed.join(', ')})`);
}

function optString(p: Problems, where: string, field: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  p.add(where, field, `expected a string, got ${show(v)}`);
  return undefined;
}

function duration(p: Problems, where: string, field: string, v: unknown, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  const ms = parseDuration(v);
  if (ms === undefined) {
    p.add(where, field, `expected a duration like 250ms, 30s, 5m or 4h, got ${show(v)}`);
    return dflt;
  }
  return ms;
}

function threshold(p: Problems, where: string, field: string, v: unknown, unit: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(t)) return Number(t);
    if (/^-?\d+(\.\d+)?%$/.test(t)) return Number(t.slice(0, -1)) / 100;
    const ms = parseDuration(t);
    if (ms !== undefined && (unit === 'ms' || unit === 's')) return unit === 's' ? ms / 1000 : ms;
  }
  const hint = unit === 'ms' ? 'a number of milliseconds or a duration like 250ms or 2s' : unit === 'ratio' ? 'a number or a percentage like 5%' : 'a number';
  p.add(where, field, `expected ${hint}, got ${show(v)}`);
  return undefined;
}

function parseCondition(p: Problems, where: string, raw: unknown): Condition | undefined {
  if (!isObj(raw)) {
    p.add(where, 'condition', `expected a mapping with a kind or a query, got ${show(raw)}`);
    return undefined;
  }
  let kind: ConditionKind | 'query';
  if (raw.query !== undefined) {
    if (raw.kind !== undefined && raw.kind !== 'query') {
      p.add(where, 'condition', 'give either kind or query, not both');
      return undefined;
    }
    kind = 'query';
  } else if (typeof raw.kind === 'string' && (KINDS as readonly string[]).includes(raw.kind)) {
    kind = raw.kind as ConditionKind;
  } else {
    p.add(where, 'condition.kind', `expected one of ${KINDS.join(', ')} (or a query), got ${show(raw.kind)}`);
    return undefined;
  }
  unknownKeys(p, where, 'condition.', raw, ['kind', 'query', ...CONDITION_KEYS[kind]]);
  const unit = UNITS[kind];
  const c: Condition = { kind, lookbackMs: duration(p, where, 'condition.lookback', raw.lookback, DEFAULT_LOOKBACK_MS) };
  for (const key of ['model', 'version', 'segment', 'feature', 'metric'] as const) {
    const v = optString(p, where, `condition.${key}`, raw[key]);
    if (v !== undefined) c[key] = v;
  }
  if (raw.gpu !== undefined) c.feature = optString(p, where, 'condition.gpu', raw.gpu);
  if (raw.op !== undefined) {
    if (typeof raw.op === 'string' && (OPS as readonly string[]).includes(raw.op)) c.op = raw.op as Op;
    else p.add(where, 'condition.op', `expected one of ${OPS.join(' ')}, got ${show(raw.op)}`);
  }
  c.value = threshold(p, where, 'condition.value', raw.value, unit);
  if (c.value !== undefined && !c.op) c.op = '>';
  if (c.op && c.value === undefined) p.add(where, 'condition.value', `expected a threshold for op ${c.op}, got nothing`);
  switch (kind) {
    case 'latency_quantile': {
      const q = typeof raw.quantile === 'string' && /^\d*\.?\d+$/.test(raw.quantile) ? Number(raw.quantile) : raw.quantile;
      if (typeof q !== 'number' || !(q > 0 && q <= 1)) p.add(where, 'condition.quantile', `expected a number in (0,1], got ${show(raw.quantile)}`);
      else if (!ANALYZED_QUANTILES.includes(q)) p.add(where, 'condition.quantile', `the latency analyzer computes ${ANALYZED_QUANTILES.join(', ')} (1 = the maximum), got ${show(q)}`);
      else c.quantile = q;
      if (c.value === undefined && raw.value === undefined) p.add(where, 'condition.value', 'expected a latency threshold like 250ms, got nothing');
      break;
    }
    case 'error_rate':
      c.windowMs = duration(p, where, 'condition.window', raw.window, 300_000);
      if (raw.min_count !== undefined && !(Number.isInteger(raw.min_count) && (raw.min_count as number) >= 0)) {
        p.add(where, 'condition.min_count', `expected a whole number >= 0, got ${show(raw.min_count)}`);
      }
      c.minCount = typeof raw.min_count === 'number' ? raw.min_count : 1;
      if (c.value === undefined && raw.value === undefined) p.add(where, 'condition.value', 'expected an error-rate threshold like 0.05 or 5%, got nothing');
      break;
    case 'data_quality':
      if (!c.metric) p.add(where, 'condition.metric', 'expected a quality metric name such as null_rate, got nothing');
      break;
    case 'no_data':
      if (!c.model) p.add(where, 'condition.model', 'expected a model name, got nothing');
      if (raw.for === undefined) p.add(where, 'condition.for', 'expected a duration like 10m, got nothing');
      c.silenceMs = duration(p, where, 'condition.for', raw.for, 600_000);
      break;
    case 'query': {
      if (typeof raw.query !== 'string' || !raw.query.trim()) {
        p.add(where, 'condition.query', `expected SQL text, got ${show(raw.query)}`);
        break;
      }
      const sql = raw.query.trim().replace(/;\s*$/, '');
      if (!/^(select|with)\b/i.test(sql)) p.add(where, 'condition.query', 'expected a single SELECT (or WITH ... SELECT) statement');
      else if (sql.includes(';')) p.add(where, 'condition.query', 'expected one statement, found ";"');
      else if (!/\bvalue\b/i.test(sql)) p.add(where, 'condition.query', 'expected a column named value in the result');
      c.sql = sql;
      break;
    }
    default:
      break;
  }
  return c;
}

function stringMap(p: Problems, where: string, field: string, raw: unknown, checkLabels: boolean): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw)) {
    p.add(where, field, `expected a mapping, got ${show(raw)}`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (checkLabels && !LABEL_RE.test(k)) p.add(where, `${field}.${k}`, 'expected a label name matching [A-Za-z_][A-Za-z0-9_]*');
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      p.add(where, `${field}.${k}`, `expected a string, got ${show(v)}`);
      continue;
    }
    const text = String(v);
    const bad = checkTemplate(text);
    if (bad) p.add(where, `${field}.${k}`, `bad template: ${bad}`);
    out[k] = text;
  }
  return out;
}

function parseRule(p: Problems, raw: unknown, index: number, seen: Set<string>): Rule | undefined {
  if (!isObj(raw)) {
    p.add(`rule #${index + 1}`, '', `expected a mapping, got ${show(raw)}`);
    return undefined;
  }
  const name = typeof raw.name === 'string' ? raw.name : (typeof raw.alert === 'string' ? raw.alert : undefined);
  const where = name ? `rule "${name}"` : `rule #${index + 1}`;
  if (!name || !NAME_RE.test(name)) p.add(where, 'name', `expected a name matching ${NAME_RE.source}, got ${show(raw.name)}`);
  else if (seen.has(name)) p.add(where, 'name', 'duplicate rule name');
  else seen.add(name);
  unknownKeys(p, where, '', raw, ['name', 'alert', 'condition', 'for', 'keep_firing_for', 'severity', 'labels', 'annotations', 'no_data_state', 'exec_err_state']);
  const condition = parseCondition(p, where, raw.condition);
  const severity = raw.severity === undefined ? 'warning' : raw.severity;
  if (typeof severity !== 'string' || !severity) p.add(where, 'severity', `expected a string such as critical, warning or info, got ${show(raw.severity)}`);
  const noData = raw.no_data_state ?? 'OK';
  if (!NO_DATA.includes(noData as NoDataState)) p.add(where, 'no_data_state', `expected one of ${NO_DATA.join(', ')}, got ${show(raw.no_data_state)}`);
  const execErr = raw.exec_err_state ?? 'Error';
  if (!EXEC_ERR.includes(execErr as ExecErrState)) p.add(where, 'exec_err_state', `expected one of ${EXEC_ERR.join(', ')}, got ${show(raw.exec_err_state)}`);
  const rule: Rule = {
    name: name ?? `rule${index + 1}`,
    condition: condition ?? { kind: 'query', lookbackMs: DEFAULT_LOOKBACK_MS },
    forMs: duration(p, where, 'for', raw.for, 0),
    keepFiringForMs: duration(p, where, 'keep_firing_for', raw.keep_firing_for, 0),
    severity: String(severity),
    labels: stringMap(p, where, 'labels', raw.labels, true),
    annotations: stringMap(p, where, 'annotations', raw.annotations, false),
    noDataState: noData as NoDataState,
    execErrState: execErr as ExecErrState,
    unit: UNITS[condition?.kind ?? 'query'],
  };
  return rule;
}

function matchersField(p: Problems, where: string, field: string, raw: unknown): Matcher[] {
  try {
    return parseMatchers(raw);
  } catch (err) {
    p.add(where, field, (err as Error).message);
    return [];
  }
}

function stringList(p: Problems, where: string, field: string, raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return raw as string[];
  p.add(where, field, `expected a list of strings, got ${show(raw)}`);
  return [];
}

function parseRoute(p: Problems, raw: unknown, index: number, receivers: Set<string>): Route | undefined {
  const where = `route #${index + 1}`;
  if (!isObj(raw)) {
    p.add(where, '', `expected a mapping, got ${show(raw)}`);
    return undefined;
  }
  unknownKeys(p, where, '', raw, ['matchers', 'match', 'receiver', 'receivers', 'group_by', 'group_wait', 'group_interval', 'repeat_interval', 'continue']);
  const matchers = [...matchersField(p, where, 'matchers', raw.matchers), ...matchersField(p, where, 'match', raw.match)];
  const names = [...stringList(p, where, 'receiver', raw.receiver), ...stringList(p, where, 'receivers', raw.receivers)];
  if (names.length === 0) p.add(where, 'receivers', 'expected at least one receiver name, got nothing');
  for (const n of names) if (!receivers.has(n)) p.add(where, 'receivers', `no receiver named ${JSON.stringify(n)}`);
  const groupByRaw = stringList(p, where, 'group_by', raw.group_by);
  for (const g of groupByRaw) if (g !== '...' && !LABEL_RE.test(g)) p.add(where, 'group_by', `expected label names or "...", got ${show(g)}`);
  if (raw.continue !== undefined && typeof raw.continue !== 'boolean') p.add(where, 'continue', `expected true or false, got ${show(raw.continue)}`);
  return {
    matchers,
    receivers: names,
    groupBy: groupByRaw.includes('...') ? '...' : groupByRaw,
    groupWaitMs: duration(p, where, 'group_wait', raw.group_wait, ROUTE_DEFAULTS.groupWaitMs),
    groupIntervalMs: duration(p, where, 'group_interval', raw.group_interval, ROUTE_DEFAULTS.groupIntervalMs),
    repeatIntervalMs: duration(p, where, 'repeat_interval', raw.repeat_interval, ROUTE_DEFAULTS.repeatIntervalMs),
    continue: raw.continue === true,
  };
}

function httpUrl(p: Problems, where: string, field: string, v: unknown): string {
  if (typeof v === 'string') {
    try {
      const u = new URL(v);
      if (u.protocol === 'http:' || u.protocol === 'https:') return v;
    } catch {
      // reported below
    }
  }
  p.add(where, field, `expected an http(s) URL, got ${show(v)}`);
  return '';
}

function parseReceiver(p: Problems, raw: unknown, index: number, seen: Set<string>): ReceiverConfig | undefined {
  if (!isObj(raw)) {
    p.add(`receiver #${index + 1}`, '', `expected a mapping, got ${show(raw)}`);
    return undefined;
  }
  const name = typeof raw.name === 'string' && raw.name ? raw.name : undefined;
  const where = name ? `receiver "${name}"` : `receiver #${index + 1}`;
  if (!name) p.add(where, 'name', `expected a name, got ${show(raw.name)}`);
  else if (seen.has(name)) p.add(where, 'name', 'duplicate receiver name');
  else seen.add(name);
  unknownKeys(p, where, '', raw, ['name', 'slack', 'webhook', 'alertmanager']);
  const types = (['slack', 'webhook', 'alertmanager'] as const).filter((t) => raw[t] !== undefined);
  if (types.length !== 1) {
    p.add(where, '', `expected exactly one of slack, webhook, alertmanager, got ${types.length ? types.join(' and ') : 'none'}`);
    return undefined;
  }
  const type = types[0];
  const body = raw[type];
  if (!isObj(body)) {
    p.add(where, type, `expected a mapping, got ${show(body)}`);
    return undefined;
  }
  const n = name ?? `receiver${index + 1}`;
  if (type === 'slack') {
    unknownKeys(p, where, 'slack.', body, ['webhook_url', 'min_interval']);
    return { name: n, type, webhookUrl: httpUrl(p, where, 'slack.webhook_url', body.webhook_url), minIntervalMs: duration(p, where, 'slack.min_interval', body.min_interval, 1000) };
  }
  if (type === 'webhook') {
    unknownKeys(p, where, 'webhook.', body, ['url', 'secret', 'max_alerts', 'timeout']);
    if (body.secret !== undefined && typeof body.secret !== 'string') p.add(where, 'webhook.secret', 'expected a string');
    if (body.max_alerts !== undefined && !(Number.isInteger(body.max_alerts) && (body.max_alerts as number) >= 0)) p.add(where, 'webhook.max_alerts', `expected a whole number >= 0, got ${show(body.max_alerts)}`);
    return {
      name: n, type, url: httpUrl(p, where, 'webhook.url', body.url), secret: typeof body.secret === 'string' ? body.secret : '',
      maxAlerts: typeof body.max_alerts === 'number' ? body.max_alerts : 0, timeoutMs: duration(p, where, 'webhook.timeout', body.timeout, 10_000),
    };
  }
  unknownKeys(p, where, 'alertmanager.', body, ['url', 'resend_interval', 'timeout']);
  return {
    name: n, type, url: httpUrl(p, where, 'alertmanager.url', body.url).replace(/\/+$/, ''),
    resendIntervalMs: duration(p, where, 'alertmanager.resend_interval', body.resend_interval, 60_000),
    timeoutMs: duration(p, where, 'alertmanager.timeout', body.timeout, 10_000),
  };
}

function parseInhibit(p: Problems, raw: unknown, index: number): InhibitRule | undefined {
  const where = `inhibit_rule #${index + 1}`;
  if (!isObj(raw)) {
    p.add(where, '', `expected a mapping, got ${show(raw)}`);
    return undefined;
  }
  unknownKeys(p, where, '', raw, ['source_matchers', 'target_matchers', 'source_match', 'target_match', 'equal']);
  const sourceMatchers = [...matchersField(p, where, 'source_matchers', raw.source_matchers), ...matchersField(p, where, 'source_match', raw.source_match)];
  const targetMatchers = [...matchersField(p, where, 'target_matchers', raw.target_matchers), ...matchersField(p, where, 'target_match', raw.target_match)];
  if (sourceMatchers.length === 0) p.add(where, 'source_matchers', 'expected at least one matcher');
  if (targetMatchers.length === 0) p.add(where, 'target_matchers', 'expected at least one matcher');
  return { sourceMatchers, targetMatchers, equal: stringList(p, where, 'equal', raw.equal) };
}

function parseRetry(p: Problems, raw: unknown): RetryPolicy {
  if (raw === undefined || raw === null) return { ...DEFAULT_RETRY };
  const where = 'retry';
  if (!isObj(raw)) {
    p.add(where, '', `expected a mapping, got ${show(raw)}`);
    return { ...DEFAULT_RETRY };
  }
  unknownKeys(p, where, '', raw, ['max_attempts', 'base_delay', 'max_delay', 'max_elapsed', 'jitter']);
  const attempts = raw.max_attempts ?? DEFAULT_RETRY.maxAttempts;
  if (!Number.isInteger(attempts) || (attempts as number) < 1) p.add(where, 'max_attempts', `expected a whole number >= 1, got ${show(attempts)}`);
  const jitter = raw.jitter ?? DEFAULT_RETRY.jitter;
  if (typeof jitter !== 'number' || jitter < 0 || jitter > 1) p.add(where, 'jitter', `expected a number in [0,1], got ${show(jitter)}`);
  return {
    maxAttempts: Number(attempts) || DEFAULT_RETRY.maxAttempts,
    baseDelayMs: duration(p, where, 'base_delay', raw.base_delay, DEFAULT_RETRY.baseDelayMs),
    maxDelayMs: duration(p, where, 'max_delay', raw.max_delay, DEFAULT_RETRY.maxDelayMs),
    maxElapsedMs: duration(p, where, 'max_elapsed', raw.max_elapsed, DEFAULT_RETRY.maxElapsedMs),
    jitter: typeof jitter === 'number' ? jitter : DEFAULT_RETRY.jitter,
  };
}

/** Parses and validates the text of an alerts file; throws MW_ERR_ALERT_RULES_INVALID listing every problem. */
export function parseAlertsFile(text: string, file = 'alerts.yaml'): AlertsFile {
  let doc: unknown;
  try {
    doc = YAML.parse(text) ?? {};
  } catch (err) {
    throw new MwError('MW_ERR_ALERT_RULES_FILE', `${file}: ${(err as Error).message}`);
  }
  const p = new Problems(file);
  if (!isObj(doc)) {
    p.add('top level', '', `expected a mapping with rules, routes, inhibit_rules, receivers, got ${show(doc)}`);
    throw new MwError('MW_ERR_ALERT_RULES_INVALID', p.list.join('\n'), { problems: p.list });
  }
  unknownKeys(p, 'top level', '', doc, ['rules', 'groups', 'routes', 'inhibit_rules', 'receivers', 'retry']);
  const list = (key: string): unknown[] => {
    const v = doc[key];
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v;
    p.add('top level', key, `expected a list, got ${show(v)}`);
    return [];
  };
  // Prometheus-style `groups: [{ name, rules: [...] }]` is accepted beside a flat `rules` list.
  const rawRules = [...list('rules'), ...list('groups').flatMap((g) => (isObj(g) && Array.isArray(g.rules) ? g.rules : []))];
  const seenRules = new Set<string>();
  const rules = rawRules.map((r, i) => parseRule(p, r, i, seenRules)).filter((r): r is Rule => !!r);
  const seenReceivers = new Set<string>();
  const receivers = list('receivers').map((r, i) => parseReceiver(p, r, i, seenReceivers)).filter((r): r is ReceiverConfig => !!r);
  const routes = list('routes').map((r, i) => parseRoute(p, r, i, seenReceivers)).filter((r): r is Route => !!r);
  const inhibitRules = list('inhibit_rules').map((r, i) => parseInhibit(p, r, i)).filter((r): r is InhibitRule => !!r);
  const retry = parseRetry(p, doc.retry);
  if (p.list.length) throw new MwError('MW_ERR_ALERT_RULES_INVALID', p.list.join('\n'), { problems: p.list });
  return { file, rules, routes, inhibitRules, receivers, retry };
}

/** Reads and validates an alerts file from disk. */
export function loadAlertsFile(file: string): AlertsFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new MwError('MW_ERR_ALERT_RULES_FILE', `${file}: ${(err as Error).message}`);
  }
  return parseAlertsFile(text, file);
}

/** An empty configuration (no rules, no routes). */
export function emptyAlertsFile(file = ''): AlertsFile {
  return { file, rules: [], routes: [], inhibitRules: [], receivers: [], retry: { ...DEFAULT_RETRY } };
}
