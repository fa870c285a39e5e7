import type { Config } from '../core/config/schema.ts';
import { MwError } from '../core/errors.ts';
import type { Store } from '../storage/client.ts';
import { buildGroups, type GroupSnapshot } from './buckets.ts';
import { DeliveryQueues, sendLogged } from './delivery.ts';
import { ALERTING_STATES, evaluate } from './evaluator.ts';
import { createNotifier } from './notifiers/index.ts';
import type { RetryHooks } from './notifiers/retry.ts';
import { isOk, type Notifier, type NotifyResult } from './notifiers/types.ts';
import { readCondition } from './queries.ts';
import { emptyAlertsFile, loadAlertsFile } from './rules.ts';
import { planGroup, type GroupState } from './routing.ts';
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

/** Which rules a reload added, changed, kept as they were and removed (by name). */
export interface ReloadSummary {
  added: string[];
  changed: string[];
  unchanged: string[];
  removed: string[];
}

/** The running engine. */
export interface AlertsEngine {
  /**
   * Evaluates every rule at `now` (ms), persists state and queues what is due for delivery;
   * resolves once the notifications it queued have been delivered or given up (the scheduled
   * evaluations do not wait for them).
   */
  tick(now?: number): Promise<TickReport>;
  /**
   * Replaces the rules, routes, inhibitions and receivers. Series state is kept per rule name (a
   * rule's series whose labels no longer come out resolve as usual); a removed rule's series are
   * forgotten and the alerts among them are sent as resolved. Group state is kept.
   */
  reload(next: AlertsFile): Promise<ReloadSummary>;
  /** Resolves when every notification queued so far has been delivered or given up. */
  idle(): Promise<void>;
  /** Stops evaluating; messages queued but not started stay unsent, one being retried stops retrying. */
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
  let rules = opts.rules ?? (file ? loadAlertsFile(file) : emptyAlertsFile());
  const stateStore = new AlertStateStore(store);
  const externalURL = (config.server.publicUrl || 'http://127.0.0.1:4318').replace(/\/+$/, '');
  const scheduled = opts.schedule !== false && config.alerts.enabled;
  const notifiers = new Map<string, Notifier>();
  const buildNotifiers = (next: AlertsFile, prev: AlertsFile | null): void => {
    const before = new Map((prev?.receivers ?? []).map((r) => [r.name, JSON.stringify(r)]));
    for (const name of [...notifiers.keys()]) if (!next.receivers.some((r) => r.name === name) && !opts.notifiers?.[name]) notifiers.delete(name);
    for (const r of next.receivers) {
      // An unchanged receiver keeps its notifier (and with it any rate-limit state).
      if (opts.notifiers?.[r.name] || (notifiers.has(r.name) && before.get(r.name) === JSON.stringify(r))) continue;
      notifiers.set(r.name, createNotifier(r, { evaluationIntervalMs: config.alerts.evaluationIntervalMs }));
    }
    for (const [name, n] of Object.entries(opts.notifiers ?? {})) notifiers.set(name, n);
  };
  buildNotifiers(rules, null);

  let ruleStates: Map<string, RuleState> | undefined;
  let groups: Map<string, GroupState> = new Map();
  let snapshot: GroupSnapshot | null = null;
  const queues = new DeliveryQueues();
  /** Groups with a notification queued or being sent: not planned again until it is done. */
  const sending = new Set<string>();
  let chain: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let flushAt = Infinity;

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

  const deliver = (notifier: Notifier, n: Notification, records: DeliveryRecord[], signal?: AbortSignal): Promise<NotifyResult> =>
    sendLogged(notifier, n, rules.retry, records, { ...opts.retryHooks, signal });

  /** Evaluates every rule at `now`, persists the new states and history, and leaves the groups to send. */
  async function evaluateAll(now: number): Promise<TickReport> {
    const states = await ensureLoaded();
    const report: TickReport = { now, evaluated: 0, errors: [], transitions: 0, sent: [] };
    const silences = await stateStore.loadSilences();
    const changed: { rule: string; series: SeriesState }[] = [];
    const deleted: { rule: string; fingerprint: string }[] = [];
    const transitions: HistoryRecord[] = [];
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
    snapshot = buildGroups({ rules, states, groups, silences, now, generatorURL });
    for (const t of transitions) {
      const f = snapshot.mute.get(t.fingerprint) ?? { silenced: isSilenced(t.labels, silences, now), inhibited: false };
      t.silenced = f.silenced;
      t.inhibited = f.inhibited;
    }
    report.transitions = transitions.length;
    // Persist the evaluation before anything is sent: a crash after this point re-evaluates from here.
    await stateStore.saveSeries(changed, deleted);
    await stateStore.logHistory(transitions);
    return report;
  }

  /**
   * Plans every group of the last evaluation at `now`: what is due goes to its receiver's delivery
   * queue (evaluation does not wait for it); what is not due yet gets a timer for when it will be.
   */
  function planGroups(now: number, report?: TickReport, deliveries?: Promise<void>[]): void {
    if (!snapshot) return;
    const { buckets, ended, open, silences } = snapshot;
    let nextDue = Infinity;
    for (const [key, b] of buckets) {
      if (sending.has(key)) continue;
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
      const notifier = notifiers.get(b.receiver);
      if (!plan.notification) {
        setGroup(key, b.receiver, plan.next);
        if (plan.dueAt !== null) nextDue = Math.min(nextDue, plan.dueAt);
        continue;
      }
      if (!notifier) {
        log.warn({ receiver: b.receiver }, 'no notifier for receiver');
        continue;
      }
      const n = plan.notification;
      sending.add(key);
      const delivery = queues.enqueue(b.receiver, async (signal) => {
        const records: DeliveryRecord[] = [];
        try {
          const result = await deliver(notifier, n, records, signal);
          report?.sent.push({ receiver: b.receiver, groupKey: key, status: n.status, alerts: n.alerts.length, result });
          if (!isOk(result)) log.error({ receiver: b.receiver, groupKey: key, reason: result.reason }, 'alert notification failed');
          if (!isOk(result) && 'aborted' in result && result.aborted) {
            // Stopped before it got through: the group state stays as it was, so a restart sends it.
          } else if (!notifiers.has(b.receiver)) {
            setGroup(key, b.receiver, null); // the receiver was removed by a reload meanwhile
          } else if (isOk(result) || ('failed' in result && !result.exhausted)) {
            // A permanent failure is not retried either: the same message would fail again.
            setGroup(key, b.receiver, plan.next);
          } else {
            setGroup(key, b.receiver, plan.onFailure);
          }
          await stateStore.logDeliveries(records);
          await flushGroups();
        } catch (err) {
          log.error({ receiver: b.receiver, groupKey: key, err: (err as Error).message }, 'alert delivery bookkeeping failed');
        } finally {
          sending.delete(key);
        }
      });
      deliveries?.push(delivery);
    }
    if (scheduled && nextDue < Infinity) scheduleFlush(nextDue);
  }

  /** Plans the groups again when the earliest of them becomes due (group_wait, group_interval), between evaluations. */
  function scheduleFlush(at: number): void {
    if (stopped || (flushTimer && at >= flushAt)) return;
    if (flushTimer) clearTimeout(flushTimer);
    flushAt = at;
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      flushAt = Infinity;
      if (stopped) return;
      // Timers may fire a little before the wall clock reaches `at`: never plan earlier than asked.
      void serial(async () => {
        planGroups(Math.max(Date.now(), at));
        await flushGroups();
      }).catch((err) => log.error({ err: (err as Error).message }, 'alert group flush failed'));
    }, Math.max(0, at - Date.now()));
    flushTimer.unref?.();
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

  /** Swaps in a new rules file; see {@link AlertsEngine.reload}. */
  async function applyReload(next: AlertsFile): Promise<ReloadSummary> {
    const states = await ensureLoaded();
    const before = new Map(rules.rules.map((r) => [r.name, JSON.stringify(r)]));
    const summary: ReloadSummary = { added: [], changed: [], unchanged: [], removed: [] };
    for (const r of next.rules) {
      const old = before.get(r.name);
      (old === undefined ? summary.added : old === JSON.stringify(r) ? summary.unchanged : summary.changed).push(r.name);
    }
    const now = Date.now();
    const deleted: { rule: string; fingerprint: string }[] = [];
    const history: HistoryRecord[] = [];
    for (const r of rules.rules) {
      if (next.rules.some((x) => x.name === r.name)) continue;
      summary.removed.push(r.name);
      // A removed rule's series are forgotten; those that were alerting end (receivers get them as resolved).
      for (const s of Object.values(states.get(r.name)?.series ?? {})) {
        deleted.push({ rule: r.name, fingerprint: s.fingerprint });
        if (s.state !== 'inactive' && s.state !== 'resolved') {
          history.push({ rule: r.name, fingerprint: s.fingerprint, labels: s.labels, from: s.state, to: ALERTING_STATES.has(s.state) ? 'resolved' : 'inactive', at: now, value: s.value, silenced: false, inhibited: false });
        }
      }
      states.delete(r.name);
    }
    await stateStore.saveSeries([], deleted);
    await stateStore.logHistory(history);
    const prev = rules;
    rules = next;
    buildNotifiers(next, prev);
    for (const [key, g] of [...groups]) if (!notifiers.has(g.receiver) && !sending.has(key)) setGroup(key, g.receiver, null);
    await flushGroups();
    // The last evaluation's groups were routed by the old file: the next evaluation routes anew.
    snapshot = null;
    return summary;
  }

  const engine: AlertsEngine = {
    get rules() {
      return rules;
    },
    stateStore,
    async tick(now = Date.now()) {
      const deliveries: Promise<void>[] = [];
      const report = await serial(async () => {
        const r = await evaluateAll(now);
        planGroups(now, r, deliveries);
        await flushGroups();
        return r;
      });
      await Promise.all(deliveries);
      return report;
    },
    reload: (next) => serial(() => applyReload(next)),
    idle: () => queues.idle(),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (flushTimer) clearTimeout(flushTimer);
      await chain.catch(() => undefined);
      // Messages not yet started stay unsent (their group state says so, a restart sends them); one
      // being retried stops retrying.
      await queues.stop();
    },
    async activeAlerts() {
      const states = await serial(ensureLoaded);
      const muteFlags = snapshot?.mute ?? new Map<string, { silenced: boolean; inhibited: boolean }>();
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
      const notifier = notifiers.get(receiver);
      if (!notifier) throw new MwError('MW_ERR_ALERT_RECEIVER_UNKNOWN', `${JSON.stringify(receiver)} (known: ${[...notifiers.keys()].join(', ') || 'none'})`);
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

  if (scheduled) {
    let busy = false;
    timer = setInterval(() => {
      // Evaluation never waits for deliveries; a slow query delays the next evaluation rather than queueing more.
      if (stopped || busy) return;
      busy = true;
      const now = Date.now();
      serial(async () => {
        const report = await evaluateAll(now);
        planGroups(now, report);
        await flushGroups();
      })
        .catch((err) => log.error({ err: (err as Error).message }, 'alert evaluation failed'))
        .finally(() => { busy = false; });
    }, config.alerts.evaluationIntervalMs);
    timer.unref?.();
  }
  return engine;
}
