import type { Config } from '../core/config/schema.ts';
import { MwError } from '../core/errors.ts';
import type { Store } from '../storage/client.ts';
import { ALERTING_STATES, evaluate, seriesAlert } from './evaluator.ts';
import { createNotifier } from './notifiers/index.ts';
import { withRetry, type AttemptInfo, type RetryHooks } from './notifiers/retry.ts';
import { isOk, type Notifier, type NotifyResult } from './notifiers/types.ts';
import { readCondition } from './queries.ts';
import { emptyAlertsFile, loadAlertsFile, ROUTE_DEFAULTS } from './rules.ts';
import { isInhibited, planGroup, routeAlert, type GroupState, type GroupTiming } from './routing.ts';
import { buildSilence, isSilenced, type Silence, type SilenceInput } from './silences.ts';
import { AlertStateStore, type DeliveryRecord, type HistoryRecord } from './state-store.ts';
import type { Alert, AlertsFile, EvalInput, Labels, Notification, Rule, RuleState, SeriesState } from './types.ts';

/** The logging the engine needs (a pino logger fits). */
export interface AlertsLogger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug?(obj: object | string, msg?: string): void;
}

/** Options of the alerting engine. */
export interface StartAlertsOptions {
  store: Store;
  config: Config;
  log?: AlertsLogger;
  /** The rules file; defaults to config.alerts.rulesFile. */
  rulesFile?: string;
  /** Already-parsed rules (instead of a file). */
  rules?: AlertsFile;
  /** Evaluate on a timer every config.alerts.evaluationIntervalMs (default true); tests drive `tick` instead. */
  schedule?: boolean;
  /** Notifiers by receiver name, replacing the ones built from the file. */
  notifiers?: Record<string, Notifier>;
  /** Clocks and sleeps of the retry wrapper. */
  retryHooks?: Omit<RetryHooks, 'onAttempt'>;
}

/** An alert as the API lists it. */
export interface ActiveAlert {
  rule: string;
  fingerprint: string;
  state: SeriesState['state'];
  labels: Labels;
  annotations: Record<string, string>;
  value: number | null;
  threshold: number | null;
  activeAt: string | null;
  firedAt: string | null;
  since: string;
  silenced: boolean;
  inhibited: boolean;
}

/** What one evaluation did. */
export interface TickReport {
  now: number;
  evaluated: number;
  errors: { rule: string; error: string }[];
  transitions: number;
  sent: { receiver: string; groupKey: string; status: 'firing' | 'resolved'; alerts: number; result: NotifyResult }[];
}

/** The running engine. */
export interface AlertsEngine {
  /** Evaluates every rule at `now` (ms), persists state and sends what is due. */
  tick(now?: number): Promise<TickReport>;
  stop(): Promise<void>;
  readonly rules: AlertsFile;
  activeAlerts(): Promise<ActiveAlert[]>;
  history(opts?: { rule?: string; since?: number; limit?: number }): Promise<Record<string, unknown>[]>;
  listSilences(): Promise<Silence[]>;
  createSilence(input: SilenceInput, now?: number): Promise<Silence>;
  expireSilence(id: string, now?: number): Promise<Silence>;
  /** Sends a test message to one receiver. */
  sendTest(receiver: string, now?: number): Promise<NotifyResult>;
  readonly stateStore: AlertStateStore;
}

const noopLog: AlertsLogger = { info() {}, warn() {}, error() {} };
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Comparable form of a series state: what matters for persistence (not the evaluation time). */
function persistKey(s: SeriesState): string {
  return JSON.stringify({ ...s, lastEvalAt: 0 });
}

/** Starts the alerting engine: evaluates rules, keeps state in ClickHouse and sends notifications. */
export function startAlerts(opts: StartAlertsOptions): AlertsEngine {
  const { store, config } = opts;
  const log = opts.log ?? noopLog;
  const file = opts.rulesFile ?? config.alerts.rulesFile;
  const rules = opts.rules ?? (file ? loadAlertsFile(file) : emptyAlertsFile());
  const stateStore = new AlertStateStore(store);
  const externalURL = (config.server.publicUrl || 'http://127.0.0.1:4318').replace(/\/+$/, '');
  const receivers = new Map(rules.receivers.map((r) => [r.name, r]));
  const baseNotifiers = new Map<string, Notifier>();
  for (const r of rules.receivers) baseNotifiers.set(r.name, opts.notifiers?.[r.name] ?? createNotifier(r, { evaluationIntervalMs: config.alerts.evaluationIntervalMs }));
  for (const [name, n] of Object.entries(opts.notifiers ?? {})) if (!baseNotifiers.has(name)) baseNotifiers.set(name, n);

  let ruleStates: Map<string, RuleState> | undefined;
  let groups: Map<string, GroupState> = new Map();
  const muteFlags = new Map<string, { silenced: boolean; inhibited: boolean }>();
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  };

  async function ensureLoaded(): Promise<Map<string, RuleState>> {
    if (!ruleStates) {
      const loaded = await stateStore.loadSeries();
      groups = await stateStore.loadGroups();
      ruleStates = loaded;
    }
    return ruleStates;
  }

  const generatorURL = (rule: Rule, s: SeriesState): string => {
    const q = new URLSearchParams({ rule: rule.name, fingerprint: s.fingerprint });
    if (s.labels.model) q.set('model', s.labels.model);
    return `${externalURL}/alerts?${q}`;
  };

  async function deliver(notifier: Notifier, n: Notification, records: DeliveryRecord[]): Promise<NotifyResult> {
    const notificationId = `${n.groupKey}@${Date.now()}`;
    const firing = n.alerts.filter((a) => a.status === 'firing').length;
    const onAttempt = (a: AttemptInfo) => {
      const r = a.result;
      records.push({
        ts: a.startedAt, receiver: notifier.name, receiverType: notifier.type, groupKey: n.groupKey, notificationId,
        status: isOk(r) ? 'ok' : 'retryable' in r ? 'retryable' : 'failed', httpStatus: r.httpStatus ?? 0,
        error: isOk(r) ? '' : r.reason, attempt: a.attempt, durationMs: a.durationMs,
        alerts: n.alerts.length, firing, resolved: n.alerts.length - firing,
      });
    };
    return withRetry(notifier, rules.retry, { ...opts.retryHooks, onAttempt }).send(n);
  }

  async function runTick(now: number): Promise<TickReport> {
    const states = await ensureLoaded();
    const report: TickReport = { now, evaluated: 0, errors: [], transitions: 0, sent: [] };
    const silences = await stateStore.loadSilences();
    const changed: { rule: string; series: SeriesState }[] = [];
    const deleted: { rule: string; fingerprint: string }[] = [];
    const transitions: HistoryRecord[] = [];

    // 1. Evaluate every rule.
    for (const rule of rules.rules) {
      let input: EvalInput;
      try {
        input = { samples: await readCondition(store, rule.condition, now) };
      } catch (err) {
        const error = (err as Error).message;
        input = { error };
        report.errors.push({ rule: rule.name, error });
        log.warn({ rule: rule.name, err: error }, 'alert rule evaluation failed');
      }
      const prev = states.get(rule.name);
      const res = evaluate(rule, prev, input, now);
      report.evaluated++;
      for (const s of Object.values(res.state.series)) {
        const before = prev?.series[s.fingerprint];
        if (!before || persistKey(before) !== persistKey(s)) changed.push({ rule: rule.name, series: s });
      }
      for (const fp of Object.keys(prev?.series ?? {})) if (!res.state.series[fp]) deleted.push({ rule: rule.name, fingerprint: fp });
      for (const t of res.transitions) transitions.push({ ...t, silenced: false, inhibited: false });
      states.set(rule.name, res.state);
    }

    // 2. Which alerts are open, which ended, which are muted.
    const open: Alert[] = [];
    const ended = new Map<string, Alert>();
    for (const rule of rules.rules) {
      for (const s of Object.values(states.get(rule.name)?.series ?? {})) {
        if (ALERTING_STATES.has(s.state)) open.push(seriesAlert(rule, s, generatorURL(rule, s)));
        else if (s.state === 'resolved') ended.set(s.fingerprint, seriesAlert(rule, s, generatorURL(rule, s)));
      }
    }
    const openLabels = open.map((a) => a.labels);
    muteFlags.clear();
    for (const a of open) {
      muteFlags.set(a.fingerprint, {
        silenced: isSilenced(a.labels, silences, now),
        inhibited: isInhibited(a.labels, openLabels.filter((l) => l !== a.labels), rules.inhibitRules),
      });
    }
    for (const t of transitions) {
      const f = muteFlags.get(t.fingerprint) ?? { silenced: isSilenced(t.labels, silences, now), inhibited: false };
      t.silenced = f.silenced;
      t.inhibited = f.inhibited;
    }
    report.transitions = transitions.length;

    // Persist the evaluation before anything is sent: a crash after this point re-evaluates from here.
    await stateStore.saveSeries(changed, deleted);
    await stateStore.logHistory(transitions);

    // 3. Route into groups.
    interface Bucket { receiver: string; groupLabels: Labels; timing: GroupTiming; firing: Alert[]; muted: Set<string> }
    const buckets = new Map<string, Bucket>();
    const timingOf = (routeIndex: number, receiver: string): GroupTiming => {
      const route = rules.routes[routeIndex];
      const r = receivers.get(receiver);
      if (r?.type === 'alertmanager') return { groupWaitMs: 0, groupIntervalMs: 0, repeatIntervalMs: r.resendIntervalMs };
      return route ? { groupWaitMs: route.groupWaitMs, groupIntervalMs: route.groupIntervalMs, repeatIntervalMs: route.repeatIntervalMs } : ROUTE_DEFAULTS;
    };
    for (const a of open) {
      const mute = muteFlags.get(a.fingerprint)!;
      for (const d of routeAlert(rules.routes, a.labels)) {
        // Alertmanager does its own grouping: one group per alert, sent on change and re-sent every resend interval.
        const am = receivers.get(d.receiver)?.type === 'alertmanager';
        const key = am ? `${d.routeIndex}/${d.receiver}:alert:${a.fingerprint}` : d.groupKey;
        let b = buckets.get(key);
        if (!b) buckets.set(key, (b = { receiver: d.receiver, groupLabels: am ? a.labels : d.groupLabels, timing: timingOf(d.routeIndex, d.receiver), firing: [], muted: new Set() }));
        if (mute.silenced || mute.inhibited) b.muted.add(a.fingerprint);
        else b.firing.push(a);
      }
    }
    for (const [key, g] of groups) {
      if (!buckets.has(key)) {
        buckets.set(key, { receiver: g.receiver, groupLabels: g.groupLabels, timing: timingOf(Number(key.split('/')[0]), g.receiver), firing: [], muted: new Set() });
      }
    }

    // 4. Plan and send.
    const records: DeliveryRecord[] = [];
    const sends: Promise<void>[] = [];
    for (const [key, b] of buckets) {
      let prev = groups.get(key);
      if (prev) {
        // A resolved alert that a silence covers ends quietly.
        const sent = Object.fromEntries(Object.entries(prev.sent).filter(([fp, s]) => open.some((a) => a.fingerprint === fp) || !isSilenced(s.alert.labels, silences, now)));
        prev = { ...prev, sent };
      }
      const plan = planGroup({
        prev, groupKey: key, receiver: b.receiver, groupLabels: b.groupLabels, firing: b.firing, muted: b.muted,
        resolved: ended, timing: b.timing, now, externalURL,
      });
      const notifier = baseNotifiers.get(b.receiver);
      if (!plan.notification || !notifier) {
        if (!plan.notification) setGroup(key, b.receiver, plan.next);
        else log.warn({ receiver: b.receiver }, 'no notifier for receiver');
        continue;
      }
      const n = plan.notification;
      sends.push((async () => {
        const result = await deliver(notifier, n, records);
        report.sent.push({ receiver: b.receiver, groupKey: key, status: n.status, alerts: n.alerts.length, result });
        if (isOk(result) || 'failed' in result) {
          if (!isOk(result)) log.error({ receiver: b.receiver, groupKey: key, reason: result.reason }, 'alert notification failed');
          // A permanent failure is not retried either: the same message would fail again.
          setGroup(key, b.receiver, isOk(result) || !result.exhausted ? plan.next : plan.onFailure);
        } else {
          setGroup(key, b.receiver, plan.onFailure);
        }
      })());
    }
    await Promise.all(sends);
    await stateStore.logDeliveries(records);
    await flushGroups();
    return report;
  }

  const dirtyGroups = new Map<string, { receiver: string; state: GroupState | null }>();
  function setGroup(key: string, receiver: string, state: GroupState | null): void {
    const before = groups.get(key);
    if (state) groups.set(key, state);
    else groups.delete(key);
    if (JSON.stringify(before ?? null) !== JSON.stringify(state)) dirtyGroups.set(key, { receiver, state });
  }
  async function flushGroups(): Promise<void> {
    if (dirtyGroups.size === 0) return;
    const batch = [...dirtyGroups].map(([groupKey, v]) => ({ groupKey, ...v }));
    dirtyGroups.clear();
    await stateStore.saveGroups(batch);
  }

  const engine: AlertsEngine = {
    rules,
    stateStore,
    tick: (now = Date.now()) => serial(() => runTick(now)),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await chain.catch(() => undefined);
    },
    async activeAlerts() {
      const states = await serial(ensureLoaded);
      const out: ActiveAlert[] = [];
      for (const [rule, rs] of states) {
        for (const s of Object.values(rs.series)) {
          if (s.state === 'inactive' || s.state === 'resolved') continue;
          const m = muteFlags.get(s.fingerprint);
          out.push({
            rule, fingerprint: s.fingerprint, state: s.state, labels: s.labels, annotations: s.annotations, value: s.value, threshold: s.threshold,
            activeAt: iso(s.activeAt), firedAt: iso(s.firedAt), since: iso(s.since)!, silenced: m?.silenced ?? false, inhibited: m?.inhibited ?? false,
          });
        }
      }
      return out.sort((a, b) => a.since.localeCompare(b.since));
    },
    history: (o) => stateStore.history(o),
    listSilences: () => stateStore.loadSilences(),
    async createSilence(input, now = Date.now()) {
      const s = buildSilence(input, now);
      await stateStore.saveSilence(s);
      return s;
    },
    async expireSilence(id, now = Date.now()) {
      const s = (await stateStore.loadSilences()).find((x) => x.id === id);
      if (!s) throw new MwError('MW_ERR_SILENCE_NOT_FOUND', id);
      const expired = { ...s, endsAt: Math.min(s.endsAt, now), startsAt: Math.min(s.startsAt, now) };
      await stateStore.saveSilence(expired);
      return expired;
    },
    async sendTest(receiver, now = Date.now()) {
      const notifier = baseNotifiers.get(receiver);
      if (!notifier) throw new MwError('MW_ERR_ALERT_RECEIVER_UNKNOWN', `${JSON.stringify(receiver)} (known: ${[...baseNotifiers.keys()].join(', ') || 'none'})`);
      const labels = { alertname: 'ModelwatchTest', severity: 'info', model: 'test' };
      const alert: Alert = {
        fingerprint: 'test', rule: 'ModelwatchTest', status: 'firing', state: 'firing', labels,
        annotations: { summary: 'Test message from modelwatch: this receiver works.' },
        value: null, threshold: null, unit: '', startsAt: now, endsAt: null, generatorURL: `${externalURL}/alerts`,
      };
      const n: Notification = {
        receiver, groupKey: `test/${receiver}`, status: 'firing', groupLabels: {}, commonLabels: labels,
        commonAnnotations: alert.annotations, externalURL, alerts: [alert],
      };
      const records: DeliveryRecord[] = [];
      const result = await deliver(notifier, n, records);
      await stateStore.logDeliveries(records);
      return result;
    },
  };

  if (opts.schedule !== false && config.alerts.enabled) {
    let busy = false;
    timer = setInterval(() => {
      // A slow evaluation (a receiver's Retry-After) delays the next one rather than queueing more.
      if (stopped || busy) return;
      busy = true;
      engine.tick(Date.now())
        .catch((err) => log.error({ err: (err as Error).message }, 'alert evaluation failed'))
        .finally(() => { busy = false; });
    }, config.alerts.evaluationIntervalMs);
    timer.unref?.();
  }
  return engine;
}
