import { matchAll } from './matchers.ts';
import type { Alert, InhibitRule, Labels, Notification, Route } from './types.ts';

/** Where one alert goes: a route, a receiver and the group key. */
export interface Destination {
  routeIndex: number;
  receiver: string;
  groupKey: string;
  groupLabels: Labels;
  route: Route;
}

/** Timing of a group. */
export interface GroupTiming {
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

/** What was last sent for one alert of a group. */
export interface SentAlert {
  status: 'firing' | 'resolved';
  /** Hash of what the receiver saw (state and value bucket), to notice changes. */
  alert: Alert;
}

/** Persisted state of one notification group. */
export interface GroupState {
  groupKey: string;
  receiver: string;
  groupLabels: Labels;
  /** When the group first had an alert to send (group_wait counts from here). */
  firstSeenAt: number;
  /** When a notification was last attempted for the group. */
  lastSentAt: number | null;
  /** Firing alerts last delivered, by fingerprint. */
  sent: Record<string, SentAlert>;
}

/** A planned send for one group, and the group state to keep if it is delivered. */
export interface GroupPlan {
  notification: Notification | null;
  /** State when the notification is delivered (or when nothing is sent). */
  next: GroupState | null;
  /** State when delivery fails: the attempt time is kept, the sent set is not. */
  onFailure: GroupState | null;
  /** When nothing is sent now: the time the group becomes due if its alerts stay as they are (null: never). */
  dueAt: number | null;
}

/** The label subset a group is keyed on. */
export function groupLabelsOf(groupBy: Route['groupBy'], labels: Labels): Labels {
  if (groupBy === '...') return { ...labels };
  const out: Labels = {};
  for (const k of [...groupBy].sort()) out[k] = labels[k] ?? '';
  return out;
}

function formatLabels(labels: Labels): string {
  return `{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

/**
 * The destinations of an alert: routes are tried in order; the first that matches takes it,
 * and the search goes on only past routes with `continue: true`.
 */
export function routeAlert(routes: readonly Route[], labels: Labels): Destination[] {
  const out: Destination[] = [];
  for (const [i, route] of routes.entries()) {
    if (!matchAll(route.matchers, labels)) continue;
    const groupLabels = groupLabelsOf(route.groupBy, labels);
    for (const receiver of route.receivers) {
      out.push({ routeIndex: i, receiver, route, groupLabels, groupKey: `${i}/${receiver}:${formatLabels(groupLabels)}` });
    }
    if (!route.continue) break;
  }
  return out;
}

/** True when a firing source alert inhibits the target (an alert never inhibits itself). */
export function isInhibited(target: Labels, firing: readonly Labels[], rules: readonly InhibitRule[]): boolean {
  for (const r of rules) {
    if (!matchAll(r.targetMatchers, target)) continue;
    for (const src of firing) {
      if (src === target) continue;
      if (!matchAll(r.sourceMatchers, src)) continue;
      // Alertmanager: an alert matching both sides of a rule cannot inhibit another one that does too.
      if (matchAll(r.targetMatchers, src) && matchAll(r.sourceMatchers, target)) continue;
      if (r.equal.every((k) => (src[k] ?? '') === (target[k] ?? ''))) return true;
    }
  }
  return false;
}

function common<T extends Record<string, string>>(items: readonly T[]): T {
  if (items.length === 0) return {} as T;
  const out: Record<string, string> = { ...items[0] };
  for (const it of items.slice(1)) for (const k of Object.keys(out)) if (it[k] !== out[k]) delete out[k];
  return out as T;
}

function changeKey(a: Alert): string {
  return `${a.status}:${a.state}`;
}

/**
 * Decides whether a group sends now (group_wait before its first message, group_interval between
 * messages when its content changed, repeat_interval while it keeps firing) and what it sends.
 * `firing` are the group's current, unmuted alerts; `muted` the fingerprints silenced or inhibited now;
 * `resolvedAt` gives the end time of alerts that stopped firing.
 */
export function planGroup(opts: {
  prev: GroupState | undefined;
  groupKey: string;
  receiver: string;
  groupLabels: Labels;
  firing: readonly Alert[];
  muted: ReadonlySet<string>;
  resolved: ReadonlyMap<string, Alert>;
  timing: GroupTiming;
  now: number;
  externalURL: string;
}): GroupPlan {
  const { prev, firing, muted, resolved, timing, now } = opts;
  const sentBefore = prev?.sent ?? {};
  // Alerts last sent as firing that are no longer firing (and not merely muted) go out as resolved.
  const ended: Alert[] = [];
  const keepSilently: Record<string, SentAlert> = {};
  const firingFps = new Set(firing.map((a) => a.fingerprint));
  for (const [fp, s] of Object.entries(sentBefore)) {
    if (firingFps.has(fp)) continue;
    if (muted.has(fp)) {
      keepSilently[fp] = s;
      continue;
    }
    const r = resolved.get(fp);
    ended.push({ ...s.alert, ...(r ?? {}), status: 'resolved', state: 'resolved', endsAt: r?.endsAt ?? now });
  }
  if (firing.length === 0 && ended.length === 0) {
    // Nothing to say. A group that only holds muted alerts keeps its memory of them.
    const next = Object.keys(keepSilently).length && prev ? { ...prev, sent: keepSilently } : null;
    return { notification: null, next, onFailure: next, dueAt: null };
  }
  const base: GroupState = prev
    ? { ...prev }
    : { groupKey: opts.groupKey, receiver: opts.receiver, groupLabels: opts.groupLabels, firstSeenAt: now, lastSentAt: null, sent: {} };
  // The group is due at the earliest of: group_wait after it was born (first message), group_interval
  // after the last message when its content changed, repeat_interval after it while it fires.
  let dueAt: number;
  if (base.lastSentAt === null) {
    dueAt = base.firstSeenAt + timing.groupWaitMs;
  } else {
    const changed = ended.length > 0 || firing.some((a) => !sentBefore[a.fingerprint] || changeKey(sentBefore[a.fingerprint].alert) !== changeKey(a));
    dueAt = Math.min(changed ? base.lastSentAt + timing.groupIntervalMs : Infinity, firing.length > 0 ? base.lastSentAt + timing.repeatIntervalMs : Infinity);
  }
  if (now < dueAt) return { notification: null, next: base, onFailure: base, dueAt: Number.isFinite(dueAt) ? dueAt : null };
  const alerts = [...firing, ...ended].sort((a, b) => (a.status === b.status ? a.startsAt - b.startsAt : a.status === 'firing' ? -1 : 1));
  const notification: Notification = {
    receiver: opts.receiver,
    groupKey: opts.groupKey,
    status: firing.length > 0 ? 'firing' : 'resolved',
    groupLabels: opts.groupLabels,
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: opts.externalURL,
    alerts,
  };
  const sent: Record<string, SentAlert> = { ...keepSilently };
  for (const a of firing) sent[a.fingerprint] = { status: 'firing', alert: a };
  const delivered: GroupState | null = Object.keys(sent).length ? { ...base, lastSentAt: now, sent } : null;
  return { notification, next: delivered, onFailure: { ...base, lastSentAt: now }, dueAt: null };
}
