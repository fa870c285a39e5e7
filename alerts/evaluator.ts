import { fingerprint } from './fingerprint.ts';
import { renderTemplate } from './template.ts';
import type { Alert, AlertEvent, EvalInput, Labels, Op, Rule, RuleState, Sample, SeriesState, SeriesStateName, Transition } from './types.ts';

/** How long a resolved series is kept before it is forgotten (Prometheus keeps resolved alerts 15 minutes). */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

/** States in which a series is reported to receivers as firing. */
export const ALERTING_STATES: ReadonlySet<SeriesStateName> = new Set(['firing', 'nodata', 'error']);

/** Result of one evaluation of one rule. */
export interface EvalResult {
  state: RuleState;
  notifications: AlertEvent[];
  transitions: Transition[];
}

/** Applies a comparison. */
export function compare(a: number, op: Op, b: number): boolean {
  switch (op) {
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
}

/** The full label set of a series: its own labels, the rule's labels, alertname and severity. */
export function alertLabels(rule: Rule, seriesLabels: Labels, value: number | null, threshold: number | null): Labels {
  const labels: Labels = { ...seriesLabels };
  for (const [k, v] of Object.entries(rule.labels)) labels[k] = renderTemplate(v, { labels: seriesLabels, value, threshold });
  labels.alertname = rule.name;
  labels.severity = rule.labels.severity !== undefined ? labels.severity : rule.severity;
  return labels;
}

function isActive(rule: Rule, s: Sample): boolean {
  const c = rule.condition;
  if (c.op && c.value !== undefined) return Number.isFinite(s.value) && compare(s.value, c.op, c.value);
  if (s.active !== undefined) return s.active;
  return true;
}

function emptySeries(fp: string, labels: Labels, now: number): SeriesState {
  return {
    fingerprint: fp, labels, annotations: {}, state: 'inactive', value: null, threshold: null,
    activeAt: null, firedAt: null, lastActiveAt: null, resolvedAt: null, lastEvalAt: now, since: now, error: null,
  };
}

/** Builds the alert a series stands for, as receivers see it. */
export function seriesAlert(rule: Rule, s: SeriesState, generatorURL = ''): Alert {
  const alerting = ALERTING_STATES.has(s.state);
  return {
    fingerprint: s.fingerprint,
    rule: rule.name,
    status: alerting ? 'firing' : 'resolved',
    state: s.state,
    labels: s.labels,
    annotations: s.annotations,
    value: s.value,
    threshold: s.threshold,
    unit: rule.unit,
    startsAt: s.firedAt ?? s.activeAt ?? s.since,
    endsAt: alerting ? null : (s.resolvedAt ?? s.lastEvalAt),
    generatorURL,
  };
}

type Input = { kind: 'sample'; sample: Sample; active: boolean } | { kind: 'absent' } | { kind: 'force'; to: 'active' | 'inactive' | 'nodata' | 'error' | 'keep'; error?: string };

/**
 * Advances one rule's state machine by one evaluation. Pure: no I/O, no clock.
 * Per series: inactive -> pending (condition holds, `for` not yet elapsed) -> firing -> resolved,
 * with `keep_firing_for` holding firing after the condition clears, and nodata / error entered
 * according to the rule's noDataState / execErrState.
 */
export function evaluate(rule: Rule, previousState: RuleState | undefined, newValues: EvalInput, now: number): EvalResult {
  const prev = previousState?.series ?? {};
  const next: Record<string, SeriesState> = {};
  const transitions: Transition[] = [];
  const notifications: AlertEvent[] = [];
  const inputs = new Map<string, { labels: Labels; input: Input }>();

  const forceAll = (to: Extract<Input, { kind: 'force' }>['to'], error?: string) => {
    const fps = Object.keys(prev);
    if (fps.length === 0 && to !== 'inactive' && to !== 'keep') {
      // No series known yet: one series carrying the rule's labels only stands for the whole rule.
      const labels = alertLabels(rule, {}, null, null);
      inputs.set(fingerprint(labels), { labels, input: { kind: 'force', to, error } });
    }
    for (const fp of fps) inputs.set(fp, { labels: prev[fp].labels, input: { kind: 'force', to, error } });
  };

  if ('error' in newValues) {
    const map = { Alerting: 'active', Error: 'error', OK: 'inactive', KeepLast: 'keep' } as const;
    forceAll(map[rule.execErrState], newValues.error);
  } else if (newValues.samples.length === 0) {
    const map = { Alerting: 'active', NoData: 'nodata', OK: 'inactive', KeepLast: 'keep' } as const;
    forceAll(map[rule.noDataState]);
  } else {
    for (const sample of newValues.samples) {
      const threshold = sample.threshold ?? rule.condition.value ?? null;
      const labels = alertLabels(rule, sample.labels, sample.value, threshold);
      const fp = fingerprint(labels);
      const active = isActive(rule, sample);
      const seen = inputs.get(fp);
      // Two rows for one label set: an active one wins.
      if (!seen || (seen.input.kind === 'sample' && !seen.input.active && active)) {
        inputs.set(fp, { labels, input: { kind: 'sample', sample: { ...sample, threshold }, active } });
      }
    }
    for (const fp of Object.keys(prev)) if (!inputs.has(fp)) inputs.set(fp, { labels: prev[fp].labels, input: { kind: 'absent' } });
  }

  for (const [fp, { labels, input }] of inputs) {
    const before = prev[fp];
    const s: SeriesState = before ? { ...before, labels } : emptySeries(fp, labels, now);
    const from: SeriesStateName = before ? before.state : 'inactive';
    s.lastEvalAt = now;
    s.error = null;
    if (input.kind === 'sample') {
      s.value = input.sample.value;
      s.threshold = input.sample.threshold ?? null;
    }
    let active: boolean | 'nodata' | 'error' | 'keep';
    if (input.kind === 'sample') active = input.active;
    else if (input.kind === 'absent') active = false;
    else if (input.to === 'active') active = true;
    else if (input.to === 'inactive') active = false;
    else active = input.to;
    if (input.kind === 'force' && input.error) s.error = input.error;

    let to: SeriesStateName = from;
    if (active === 'keep') {
      to = from;
    } else if (active === 'nodata' || active === 'error') {
      to = active;
      s.activeAt = null;
      if (!ALERTING_STATES.has(from)) s.firedAt = now;
    } else if (active) {
      s.lastActiveAt = now;
      if (from === 'firing') {
        to = 'firing';
      } else if (from === 'pending') {
        if (now - (s.activeAt ?? now) >= rule.forMs) to = 'firing';
      } else {
        s.activeAt = now;
        to = rule.forMs <= 0 ? 'firing' : 'pending';
      }
      if (to === 'firing' && from !== 'firing') s.firedAt = now;
    } else {
      if (from === 'firing') {
        const held = s.lastActiveAt !== null && now - s.lastActiveAt < rule.keepFiringForMs;
        to = held ? 'firing' : 'resolved';
      } else if (from === 'pending') {
        to = 'inactive';
      } else if (from === 'nodata' || from === 'error') {
        to = 'resolved';
      } else {
        to = from;
      }
      if (to !== 'firing') s.activeAt = null;
    }
    if (to === 'resolved' && from !== 'resolved') s.resolvedAt = now;
    if (to !== 'resolved') s.resolvedAt = to === 'inactive' ? s.resolvedAt : null;
    s.state = to;
    if (to !== from) s.since = now;
    s.annotations = {};
    for (const [k, v] of Object.entries(rule.annotations)) {
      s.annotations[k] = renderTemplate(v, { labels: s.labels, value: s.value, threshold: s.threshold, state: to });
    }
    if (to !== from) {
      transitions.push({ rule: rule.name, fingerprint: fp, labels: s.labels, from, to, at: now, value: s.value });
      if (ALERTING_STATES.has(to) && !ALERTING_STATES.has(from)) notifications.push({ kind: 'firing', alert: seriesAlert(rule, s) });
      else if (!ALERTING_STATES.has(to) && ALERTING_STATES.has(from)) notifications.push({ kind: 'resolved', alert: seriesAlert(rule, s) });
    }
    // Forget series that have been quiet long enough: inactive ones at once, resolved ones after the retention.
    if (to === 'inactive' && input.kind !== 'sample') continue;
    if (to === 'resolved' && s.resolvedAt !== null && now - s.resolvedAt >= RESOLVED_RETENTION_MS) continue;
    next[fp] = s;
  }
  return { state: { series: next }, notifications, transitions };
}
