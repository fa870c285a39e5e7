/**
 * From the rules' series states to notification groups: which alerts are open, which ended, which
 * are muted (silenced or inhibited), and into which group of which receiver each one goes. Pure.
 */
import { ALERTING_STATES, seriesAlert } from './evaluator.ts';
import { ROUTE_DEFAULTS } from './rules.ts';
import { isInhibited, routeAlert, type GroupState, type GroupTiming } from './routing.ts';
import { isSilenced, type Silence } from './silences.ts';
import type { Alert, AlertsFile, Labels, Rule, RuleState, SeriesState } from './types.ts';

/** The alerts one group holds at an evaluation. */
export interface Bucket {
  receiver: string;
  groupLabels: Labels;
  timing: GroupTiming;
  firing: Alert[];
  muted: Set<string>;
}

/** What an evaluation leaves for the groups to send. */
export interface GroupSnapshot {
  open: Alert[];
  ended: Map<string, Alert>;
  buckets: Map<string, Bucket>;
  silences: Silence[];
  mute: Map<string, { silenced: boolean; inhibited: boolean }>;
}

/** Builds the groups of an evaluation: open alerts routed into buckets, plus the known groups with nothing open (to resolve). */
export function buildGroups(opts: {
  rules: AlertsFile;
  states: ReadonlyMap<string, RuleState>;
  groups: ReadonlyMap<string, GroupState>;
  silences: Silence[];
  now: number;
  generatorURL: (rule: Rule, s: SeriesState) => string;
}): GroupSnapshot {
  const { rules, states, groups, silences, now } = opts;
  const receivers = new Map(rules.receivers.map((r) => [r.name, r]));
  const open: Alert[] = [];
  const ended = new Map<string, Alert>();
  for (const rule of rules.rules) {
    for (const s of Object.values(states.get(rule.name)?.series ?? {})) {
      if (ALERTING_STATES.has(s.state)) open.push(seriesAlert(rule, s, opts.generatorURL(rule, s)));
      else if (s.state === 'resolved') ended.set(s.fingerprint, seriesAlert(rule, s, opts.generatorURL(rule, s)));
    }
  }
  const openLabels = open.map((a) => a.labels);
  const mute = new Map<string, { silenced: boolean; inhibited: boolean }>();
  for (const a of open) {
    mute.set(a.fingerprint, {
      silenced: isSilenced(a.labels, silences, now),
      inhibited: isInhibited(a.labels, openLabels.filter((l) => l !== a.labels), rules.inhibitRules),
    });
  }

  const timingOf = (routeIndex: number, receiver: string): GroupTiming => {
    const route = rules.routes[routeIndex];
    const r = receivers.get(receiver);
    if (r?.type === 'alertmanager') return { groupWaitMs: 0, groupIntervalMs: 0, repeatIntervalMs: r.resendIntervalMs };
    return route ? { groupWaitMs: route.groupWaitMs, groupIntervalMs: route.groupIntervalMs, repeatIntervalMs: route.repeatIntervalMs } : ROUTE_DEFAULTS;
  };
  const buckets = new Map<string, Bucket>();
  for (const a of open) {
    const m = mute.get(a.fingerprint)!;
    for (const d of routeAlert(rules.routes, a.labels)) {
      // Alertmanager does its own grouping: one group per alert, sent on change and re-sent every resend interval.
      const am = receivers.get(d.receiver)?.type === 'alertmanager';
      const key = am ? `${d.routeIndex}/${d.receiver}:alert:${a.fingerprint}` : d.groupKey;
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = { receiver: d.receiver, groupLabels: am ? a.labels : d.groupLabels, timing: timingOf(d.routeIndex, d.receiver), firing: [], muted: new Set() }));
      if (m.silenced || m.inhibited) b.muted.add(a.fingerprint);
      else b.firing.push(a);
    }
  }
  for (const [key, g] of groups) {
    if (!buckets.has(key)) {
      buckets.set(key, { receiver: g.receiver, groupLabels: g.groupLabels, timing: timingOf(Number(key.split('/')[0]), g.receiver), firing: [], muted: new Set() });
    }
  }
  return { open, ended, buckets, silences, mute };
}
