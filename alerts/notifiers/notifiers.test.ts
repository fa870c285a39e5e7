import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Alert, Notification, RetryPolicy } from '../types.ts';
import { withRetry, backoffDelay } from './retry.ts';
import { slackMessage, SECTION_TEXT_MAX } from './slack.ts';
import type { Notifier, NotifyResult } from './types.ts';
import { parseRetryAfter, resultFromHttp } from './types.ts';
import { sign, webhookPayload } from './webhook.ts';

const alert = (i: number, over: Partial<Alert> = {}): Alert => ({
  fingerprint: `fp${i}`, rule: 'FeatureDrift', status: 'firing', state: 'firing',
  labels: { alertname: 'FeatureDrift', severity: 'warning', model: 'fraud', feature: `f${i}` },
  annotations: { summary: `feature f${i} drifted` }, value: 0.3, threshold: 0.1, unit: '', startsAt: Date.UTC(2024, 0, 1), endsAt: null,
  generatorURL: 'http://127.0.0.1:4318/alerts?rule=FeatureDrift', ...over,
});
const notification = (alerts: Alert[], status: 'firing' | 'resolved' = 'firing'): Notification => ({
  receiver: 'slack', groupKey: '0/slack:{model="fraud"}', status, groupLabels: { model: 'fraud' },
  commonLabels: { alertname: 'FeatureDrift', severity: 'warning', model: 'fraud' }, commonAnnotations: {}, externalURL: 'http://127.0.0.1:4318', alerts,
});
const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxElapsedMs: 10_000, jitter: 0 };

function scripted(results: NotifyResult[]): Notifier & { calls: number } {
  const n = { name: 'x', type: 'webhook' as const, calls: 0, async send() { return results[Math.min(n.calls++, results.length - 1)]; } };
  return n;
}

describe('withRetry', () => {
  it('retries retryable results with exponential backoff, honouring retryAfterMs', async () => {
    const sleeps: number[] = [];
    const n = scripted([{ retryable: true, reason: '500' }, { retryable: true, retryAfterMs: 2500, reason: '429' }, { ok: true }]);
    const attempts: number[] = [];
    const r = await withRetry(n, policy, { sleep: async (ms) => void sleeps.push(ms), onAttempt: (a) => void attempts.push(a.attempt) }).send(notification([]));
    expect(r).toEqual({ ok: true });
    expect(sleeps).toEqual([100, 2500]);
    expect(attempts).toEqual([1, 2, 3]);
  });
  it('does not retry permanent failures', async () => {
    const n = scripted([{ failed: true, reason: 'HTTP 400: invalid_payload' }]);
    const r = await withRetry(n, policy, { sleep: async () => {} }).send(notification([]));
    expect(n.calls).toBe(1);
    expect(r).toMatchObject({ failed: true, reason: 'HTTP 400: invalid_payload' });
  });
  it('gives up after max attempts and marks the result exhausted', async () => {
    const n = scripted([{ retryable: true, reason: 'down' }]);
    const r = await withRetry(n, policy, { sleep: async () => {} }).send(notification([]));
    expect(n.calls).toBe(4);
    expect(r).toMatchObject({ failed: true, exhausted: true });
  });
  it('stops when the next wait would pass max elapsed time', async () => {
    const n = scripted([{ retryable: true, retryAfterMs: 60_000, reason: '429' }]);
    const r = await withRetry(n, policy, { sleep: async () => {} }).send(notification([]));
    expect(n.calls).toBe(1);
    expect(r).toMatchObject({ failed: true, exhausted: true });
  });
  it('jitter stays within its band', () => {
    const p = { ...policy, jitter: 0.5 };
    expect(backoffDelay(p, 3, undefined, () => 0)).toBe(200);
    expect(backoffDelay(p, 3, undefined, () => 1)).toBe(600);
    expect(backoffDelay(p, 10, undefined, () => 0.5)).toBe(1000);
  });
});

describe('HTTP mapping', () => {
  it('maps statuses and Retry-After', () => {
    expect(resultFromHttp(200, 'ok', null)).toMatchObject({ ok: true });
    expect(resultFromHttp(429, '', '3')).toMatchObject({ retryable: true, retryAfterMs: 3000 });
    expect(resultFromHttp(503, '', null)).toMatchObject({ retryable: true });
    expect(resultFromHttp(404, 'channel_not_found', null)).toMatchObject({ failed: true, reason: 'HTTP 404: channel_not_found' });
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:58 GMT'))).toBe(2000);
  });
});

describe('slackMessage', () => {
  it('builds Block Kit with title, severity, model, value, since and a link, plus a text fallback', () => {
    const m = slackMessage(notification([alert(1)]));
    expect(m.text).toContain('[FIRING:1] FeatureDrift');
    const json = JSON.stringify(m.blocks);
    for (const s of ['Severity', 'warning', 'Model', 'fraud', '0.3 (threshold 0.1)', 'Since', '2024-01-01 00:00 UTC', 'http://127.0.0.1:4318/alerts?rule=FeatureDrift']) expect(json).toContain(s);
    const resolved = slackMessage(notification([alert(1, { status: 'resolved', state: 'resolved', endsAt: Date.UTC(2024, 0, 1, 1) })], 'resolved'));
    expect(resolved.text).toContain('[RESOLVED] FeatureDrift');
  });
  it('caps section text at 3,000 characters', () => {
    const many = Array.from({ length: 40 }, (_, i) => alert(i, { annotations: { summary: 'x'.repeat(500) } }));
    const m = slackMessage(notification(many));
    for (const b of m.blocks as any[]) if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(SECTION_TEXT_MAX);
    expect(JSON.stringify(m.blocks)).toMatch(/and \d+ more/);
  });
});

describe('webhookPayload', () => {
  it('is Alertmanager webhook v4 and is signed over the body', () => {
    const p = webhookPayload(notification([alert(1), alert(2, { status: 'resolved', state: 'resolved', endsAt: Date.UTC(2024, 0, 2) })]), 1);
    expect(p).toMatchObject({ version: '4', groupKey: '0/slack:{model="fraud"}', status: 'firing', receiver: 'slack', truncatedAlerts: 1, externalURL: 'http://127.0.0.1:4318' });
    expect((p.alerts as any[])[0]).toEqual({
      status: 'firing', labels: alert(1).labels, annotations: alert(1).annotations, startsAt: '2024-01-01T00:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z', generatorURL: alert(1).generatorURL, fingerprint: 'fp1',
    });
    const body = JSON.stringify(p);
    expect(sign('k', body)).toBe(`sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`);
  });
});
