import { describe, expect, it } from 'vitest';
import { parseMatcher, matchAll } from './matchers.ts';
import { isInhibited, planGroup, routeAlert, type GroupState } from './routing.ts';
import { renderTemplate } from './template.ts';
import type { Alert, Route } from './types.ts';

const route = (over: Partial<Route> = {}): Route => ({
  matchers: [], receivers: ['r'], groupBy: ['model'], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000, continue: false, ...over,
});
const alert = (fp: string, labels: Record<string, string>, over: Partial<Alert> = {}): Alert => ({
  fingerprint: fp, rule: 'R', status: 'firing', state: 'firing', labels: { alertname: 'R', ...labels }, annotations: {},
  value: 1, threshold: 0.5, unit: '', startsAt: 0, endsAt: null, generatorURL: '', ...over,
});

describe('matchers', () => {
  it('supports =, !=, =~, !~ with anchored regexes', () => {
    const l = { model: 'fraud-v2', severity: 'critical' };
    expect(matchAll([parseMatcher('model="fraud-v2"')], l)).toBe(true);
    expect(matchAll([parseMatcher('model!=fraud-v2')], l)).toBe(false);
    expect(matchAll([parseMatcher('model=~"fraud.*"')], l)).toBe(true);
    expect(matchAll([parseMatcher('model=~"fraud"')], l)).toBe(false);
    expect(matchAll([parseMatcher('severity!~"warn.*"'), parseMatcher('team=""')], l)).toBe(true);
    expect(() => parseMatcher('model')).toThrow(/expected a matcher/);
    expect(() => parseMatcher('model=~"("')).toThrow(/bad regular expression/);
  });
});

describe('templates', () => {
  it('renders labels, value and functions', () => {
    const d = { labels: { model: 'fraud' }, value: 0.123456, threshold: 0.1 };
    expect(renderTemplate('{{ $labels.model }}: {{ $value }} > {{ $threshold }}', d)).toBe('fraud: 0.123456 > 0.1');
    expect(renderTemplate('{{ $value | humanizePercentage }}', d)).toBe('12.35%');
    expect(renderTemplate('{{ printf "%.2f" $value }}', d)).toBe('0.12');
    expect(renderTemplate('{{ $labels.missing }}!', d)).toBe('!');
  });
});

describe('routeAlert', () => {
  it('takes the first matching route unless continue is set', () => {
    const routes = [route({ matchers: [parseMatcher('severity="critical"')], receivers: ['pager'], continue: true }), route({ receivers: ['slack'] }), route({ receivers: ['never'] })];
    expect(routeAlert(routes, { severity: 'critical', model: 'a' }).map((d) => d.receiver)).toEqual(['pager', 'slack']);
    expect(routeAlert(routes, { severity: 'warning', model: 'a' }).map((d) => d.receiver)).toEqual(['slack']);
  });
  it('groups by the group_by labels', () => {
    const [d1] = routeAlert([route()], { model: 'a', feature: 'x' });
    const [d2] = routeAlert([route()], { model: 'a', feature: 'y' });
    const [d3] = routeAlert([route()], { model: 'b', feature: 'x' });
    expect(d1.groupKey).toBe(d2.groupKey);
    expect(d1.groupKey).not.toBe(d3.groupKey);
    expect(d1.groupLabels).toEqual({ model: 'a' });
  });
});

describe('isInhibited', () => {
  const rules = [{ sourceMatchers: [parseMatcher('alertname="ModelDown"')], targetMatchers: [parseMatcher('severity="warning"')], equal: ['model'] }];
  it('mutes targets with equal labels while a source fires', () => {
    const src = { alertname: 'ModelDown', model: 'a', severity: 'critical' };
    expect(isInhibited({ alertname: 'Drift', model: 'a', severity: 'warning' }, [src], rules)).toBe(true);
    expect(isInhibited({ alertname: 'Drift', model: 'b', severity: 'warning' }, [src], rules)).toBe(false);
    expect(isInhibited({ alertname: 'Drift', model: 'a', severity: 'critical' }, [src], rules)).toBe(false);
    expect(isInhibited({ alertname: 'Drift', model: 'a', severity: 'warning' }, [], rules)).toBe(false);
  });
});

describe('planGroup', () => {
  const timing = { groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 3_600_000 };
  const base = { groupKey: 'g', receiver: 'r', groupLabels: { model: 'a' }, muted: new Set<string>(), resolved: new Map<string, Alert>(), timing, externalURL: 'http://x' };

  it('waits group_wait, then sends, then waits group_interval for changes and repeat_interval otherwise', () => {
    let prev: GroupState | undefined;
    let p = planGroup({ ...base, prev, firing: [alert('1', { model: 'a' })], now: 0 });
    expect(p.notification).toBeNull();
    prev = p.next!;
    p = planGroup({ ...base, prev, firing: [alert('1', { model: 'a' })], now: 30_000 });
    expect(p.notification?.alerts.map((a) => a.fingerprint)).toEqual(['1']);
    prev = p.next!;
    // A new alert within group_interval waits.
    p = planGroup({ ...base, prev, firing: [alert('1', { model: 'a' }), alert('2', { model: 'a' })], now: 100_000 });
    expect(p.notification).toBeNull();
    p = planGroup({ ...base, prev, firing: [alert('1', { model: 'a' }), alert('2', { model: 'a' })], now: 330_000 });
    expect(p.notification?.alerts.length).toBe(2);
    prev = p.next!;
    // Unchanged: nothing until repeat_interval.
    expect(planGroup({ ...base, prev, firing: [alert('1', { model: 'a' }), alert('2', { model: 'a' })], now: 700_000 }).notification).toBeNull();
    expect(planGroup({ ...base, prev, firing: [alert('1', { model: 'a' }), alert('2', { model: 'a' })], now: 330_000 + 3_600_000 }).notification).not.toBeNull();
    // Both gone: one resolved message after group_interval, then the group ends.
    p = planGroup({ ...base, prev, firing: [], now: 700_000 });
    expect(p.notification?.status).toBe('resolved');
    expect(p.notification?.alerts.map((a) => a.status)).toEqual(['resolved', 'resolved']);
    expect(p.next).toBeNull();
  });

  it('a muted alert is neither sent nor resolved', () => {
    const sent = planGroup({ ...base, prev: { groupKey: 'g', receiver: 'r', groupLabels: {}, firstSeenAt: 0, lastSentAt: null, sent: {} }, firing: [alert('1', { model: 'a' })], now: 30_000 }).next!;
    const p = planGroup({ ...base, prev: sent, firing: [], muted: new Set(['1']), now: 1_000_000 });
    expect(p.notification).toBeNull();
    expect(Object.keys(p.next!.sent)).toEqual(['1']);
  });
});
