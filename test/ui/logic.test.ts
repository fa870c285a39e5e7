/** The UI's pure decisions: model status, routes, silence coverage, formatting, series buckets and histogram trimming. */
import { describe, expect, it } from 'vitest';
import { topBins } from '../../analyzer/api-series.ts';
import { bucketStarts, MAX_POINTS, stepSeconds } from '../../collector/http/series-routes.ts';
import { fmtAgo, fmtBytes, fmtCount, fmtMs, fmtNum, fmtPct, timeTicks } from '../../ui/src/format.ts';
import { hrefOf, parseHash, rangeOf, referenceParam } from '../../ui/src/router.ts';
import { coveringSilence, modelStatus, type ActiveAlert, type OverviewModel, type SilenceView } from '../../ui/src/status.ts';

const model = (over: Partial<OverviewModel> = {}): OverviewModel => ({
  model: 'fraud', versions: ['v1'], predictions_total: 100, predictions: 10, errors: 0, error_rate: 0,
  latency_p50: 1, latency_p95: 2, latency_p99: 3, last_seen: new Date().toISOString(), drift: null, ...over,
});
const alert = (over: Partial<ActiveAlert> = {}): ActiveAlert => ({
  rule: 'R', fingerprint: 'f', state: 'firing', labels: { model: 'fraud', alertname: 'R' }, annotations: {}, value: 1, threshold: 0,
  activeAt: null, firedAt: null, since: new Date().toISOString(), silenced: false, inhibited: false, ...over,
});
const drift = (status: string) => ({ version: 'v1', share: 0.5, status, window_end: new Date().toISOString() });

describe('modelStatus', () => {
  it('ranks alerting over no data over drifting over healthy', () => {
    expect(modelStatus(model(), null).status).toBe('healthy');
    expect(modelStatus(model({ drift: drift('drift') }), []).status).toBe('drifting');
    expect(modelStatus(model({ drift: drift('drift'), predictions: 0 }), []).status).toBe('nodata');
    expect(modelStatus(model({ drift: drift('drift'), predictions: 0 }), [alert()])).toEqual({ status: 'alerting', reason: 'firing: R' });
    expect(modelStatus(model({ drift: drift('ok') }), []).status).toBe('healthy');
  });

  it('counts only unsilenced, uninhibited firing alerts of this model', () => {
    expect(modelStatus(model(), [alert({ state: 'pending' })]).status).toBe('healthy');
    expect(modelStatus(model(), [alert({ silenced: true })]).status).toBe('healthy');
    expect(modelStatus(model(), [alert({ inhibited: true })]).status).toBe('healthy');
    expect(modelStatus(model(), [alert({ labels: { model: 'other' } })]).status).toBe('healthy');
    expect(modelStatus(model(), [alert({ state: 'nodata' })]).status).toBe('alerting');
    expect(modelStatus(model(), [alert({ state: 'error' })]).status).toBe('alerting');
  });
});

describe('coveringSilence', () => {
  const s = (matchers: string[], state: 'active' | 'pending' | 'expired' = 'active'): SilenceView =>
    ({ id: 'x', matchers, startsAt: '', endsAt: '', createdBy: '', comment: '', status: { state } });
  const labels = { alertname: 'HighErrorRate', model: 'churn "beta"', severity: 'critical' };

  it('finds an active silence whose equality matchers all hold', () => {
    expect(coveringSilence(labels, [s(['alertname="HighErrorRate"', 'model="churn \\"beta\\""'])])).toBeDefined();
    expect(coveringSilence(labels, [s(['alertname="HighErrorRate"', 'model="churn"'])])).toBeUndefined();
    expect(coveringSilence(labels, [s(['alertname="HighErrorRate"'], 'expired')])).toBeUndefined();
    expect(coveringSilence(labels, [s(['alertname=~"High.*"'])])).toBeUndefined();
    expect(coveringSilence(labels, [s([])])).toBeUndefined();
  });
});

describe('routes', () => {
  it('parses and builds every hash route, names with any characters included', () => {
    expect(parseHash('').route).toEqual({ page: 'models' });
    expect(parseHash('#/').route).toEqual({ page: 'models' });
    expect(parseHash('#/alerts').route).toEqual({ page: 'alerts' });
    const odd = 'fraud/v2 ä?&#';
    for (const route of [{ page: 'model' as const, model: odd }, { page: 'drift' as const, model: odd }, { page: 'alerts' as const }, { page: 'models' as const }]) {
      const href = hrefOf(route, { range: '24h', feature: 'a b' });
      const back = parseHash(href);
      expect(back.route).toEqual(route);
      expect(back.query.get('range')).toBe('24h');
      expect(back.query.get('feature')).toBe('a b');
    }
    expect(parseHash('#/models/a/b/c').route.page).toBe('notfound');
    expect(parseHash('#/models/%E0%A4%A').route.page).toBe('notfound');
  });

  it('falls back to the default range and maps stored references to the API parameter', () => {
    expect(rangeOf(new URLSearchParams('range=7d'), '6h')).toEqual({ name: '7d', ms: 7 * 86_400_000 });
    expect(rangeOf(new URLSearchParams('range=5y'), '6h')).toEqual({ name: '6h', ms: 6 * 3_600_000 });
    expect(referenceParam('previous:2025-01-01T00:00:00.000Z..2025-01-01T01:00:00.000Z')).toBe('');
    expect(referenceParam('')).toBe('');
    expect(referenceParam('file:/data/ref.csv')).toBe('file:/data/ref.csv');
    expect(referenceParam('2025-01-01T00:00:00.000Z..2025-01-02T00:00:00.000Z')).toBe('2025-01-01T00:00:00.000Z..2025-01-02T00:00:00.000Z');
  });
});

describe('format', () => {
  it('formats counts, numbers, percentages, durations and sizes', () => {
    expect(fmtCount(1234567)).toBe('1,234,567');
    expect(fmtCount(null)).toBe('–');
    expect(fmtNum(0.012345)).toBe('0.0123');
    expect(fmtNum(12345.6)).toBe('12,346');
    expect(fmtNum(Number.NaN)).toBe('–');
    expect(fmtPct(0.0333333)).toBe('3.33%');
    expect(fmtMs(20.04)).toBe('20 ms');
    expect(fmtMs(12_500)).toBe('12.5 s');
    expect(fmtBytes(30 * 1024 ** 3)).toBe('30 GiB');
    const now = Date.parse('2025-01-01T12:00:00Z');
    expect(fmtAgo('2025-01-01T11:59:50Z', now)).toBe('just now');
    expect(fmtAgo('2025-01-01T11:55:00Z', now)).toBe('5 min ago');
    expect(fmtAgo('2025-01-01T09:00:00Z', now)).toBe('3 h ago');
  });
});

describe('time axis', () => {
  it('labels ticks in 24-hour time, with the date under the first tick of each day', () => {
    const at = (d: number, hh: number) => new Date(2025, 0, d, hh, 0).getTime() / 1000;
    expect(timeTicks([at(1, 22), at(1, 23), at(2, 0), at(2, 1)], 3600)).toEqual(['22:00\n1 Jan', '23:00', '00:00\n2 Jan', '01:00']);
    expect(timeTicks([at(1, 0), at(2, 0)], 86_400)).toEqual(['1 Jan', '2 Jan']);
  });
});

describe('series buckets', () => {
  it('uses whole minutes, the requested step, and at most MAX_POINTS buckets', () => {
    expect(stepSeconds(3600_000)).toBe(60);
    expect(stepSeconds(3600_000, 90)).toBe(120);
    expect(stepSeconds(3600_000, 600)).toBe(600);
    for (const days of [1, 7, 31]) {
      const ms = days * 86_400_000;
      const step = stepSeconds(ms);
      expect(step % 60).toBe(0);
      expect(ms / 1000 / step).toBeLessThanOrEqual(MAX_POINTS);
    }
  });

  it('aligns buckets to multiples of the step and covers the range', () => {
    const from = new Date('2025-01-01T10:07:30Z');
    const to = new Date('2025-01-01T10:31:00Z');
    const b = bucketStarts(from, to, 600);
    expect(b.map((t) => new Date(t * 1000).toISOString().slice(11, 16))).toEqual(['10:00', '10:10', '10:20', '10:30']);
  });
});

describe('topBins', () => {
  it('keeps the largest categories and sums the rest', () => {
    const labels = ['a', 'b', 'c', 'd', 'e'];
    const b = topBins({ labels, reference: [0.4, 0.3, 0.1, 0.1, 0.1], current: [0.1, 0.5, 0.2, 0.1, 0.1] }, 3);
    expect(b.labels).toEqual(['b', 'a', '(other 3)']);
    expect(b.reference.map((x) => +x.toFixed(6))).toEqual([0.3, 0.4, 0.3]);
    expect(b.current.map((x) => +x.toFixed(6))).toEqual([0.5, 0.1, 0.4]);
    const small = { labels: ['x'], reference: [1], current: [1] };
    expect(topBins(small, 3)).toBe(small);
  });
});
