import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseDcgmMetrics } from '../../sdk/index.ts';
import { IDLE_MEMORY_BYTES, IDLE_UTILIZATION } from '../../analyzer/gpu.ts';
import { DEMO_LAG_MS, toDemoTime } from '../../demo/clock.ts';
import { alertRules, referenceCsv } from '../../demo/files.ts';
import { dcgmText } from '../../demo/gpu.ts';
import { createRng } from '../../demo/random.ts';
import { readSlackMessage, readWebhookPayload } from '../../demo/sink.ts';
import { loadAlertsFile } from '../../alerts/rules.ts';
import {
  expectedAlerts, faultsOf, FLEET, idleGpuSubject, matchesExpected, phaseAt, planScenario,
} from '../../demo/scenario.ts';
import { checkoutFeatures, DRIFTED_FEATURES, FEATURE_NAMES } from '../../demo/traffic.ts';

describe('demo scenario', () => {
  it('splits any duration into four back-to-back phases whose faults add up', () => {
    for (const d of [20_000, 30_000, 120_000, 301_000]) {
      const plan = planScenario(d);
      expect(plan.map((p) => p.name)).toEqual(['steady', 'drift', 'latency', 'gpu_idle']);
      expect(plan[0].startMs).toBe(0);
      expect(plan[3].endMs).toBe(d);
      for (let i = 1; i < plan.length; i++) expect(plan[i].startMs).toBe(plan[i - 1].endMs);
      expect(phaseAt(plan, 0).name).toBe('steady');
      expect(phaseAt(plan, plan[2].startMs).name).toBe('latency');
      expect(phaseAt(plan, d + 60_000).name).toBe('gpu_idle');
    }
    expect(faultsOf('steady')).toEqual({ drift: false, latency: false, idleGpu: false });
    expect(faultsOf('drift')).toEqual({ drift: true, latency: false, idleGpu: false });
    expect(faultsOf('gpu_idle')).toEqual({ drift: true, latency: true, idleGpu: true });
  });

  it('expects drift on the three shifted features of both fraud-detector versions, latency on v2 and the spare GPU idle', () => {
    const names = expectedAlerts().map((e) => [e.alertname, ...Object.values(e.labels)].join(' '));
    expect(names).toContain('HighP99Latency fraud-detector v2');
    expect(names).toContain(`GpuIdle ${idleGpuSubject()}`);
    expect(names.filter((n) => n.startsWith('FeatureDrift'))).toHaveLength(2 * DRIFTED_FEATURES.length);
    const e = expectedAlerts().find((x) => x.alertname === 'FeatureDrift')!;
    expect(matchesExpected(e, { alertname: 'FeatureDrift', ...e.labels, method: 'wasserstein' })).toBe(true);
    expect(matchesExpected(e, { alertname: 'FeatureDrift', ...e.labels, version: 'v9' })).toBe(false);
  });

  it('generates 20 features, and the drift phase moves exactly the three named ones', () => {
    const rng = createRng(1);
    const steady = Array.from({ length: 4000 }, () => checkoutFeatures(rng, false));
    const drifted = Array.from({ length: 4000 }, () => checkoutFeatures(rng, true));
    expect(Object.keys(steady[0]).sort()).toEqual([...FEATURE_NAMES].sort());
    const mean = (rows: typeof steady, f: string) => rows.reduce((s, r) => s + Number(r[f]), 0) / rows.length;
    expect(mean(drifted, 'amount') / mean(steady, 'amount')).toBeGreaterThan(3);
    expect(mean(drifted, 'account_age_days')).toBeLessThan(mean(steady, 'account_age_days') / 20);
    expect(drifted.filter((r) => r.country === 'BR').length / drifted.length).toBeGreaterThan(0.5);
    expect(steady.some((r) => r.country === 'BR')).toBe(false);
    for (const f of ['items_in_cart', 'session_duration_s', 'device_risk_score']) {
      expect(Math.abs(mean(drifted, f) / mean(steady, f) - 1)).toBeLessThan(0.1);
    }
  });

  it('writes a reference CSV with a header of the 20 features and one row per sample', () => {
    const lines = referenceCsv(50).trim().split('\n');
    expect(lines[0].split(',')).toEqual([...FEATURE_NAMES]);
    expect(lines).toHaveLength(51);
    expect(lines[1].split(',')).toHaveLength(20);
  });

  it('writes rules the alerts loader accepts, both receivers pointing at the sink', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-demo-rules-'));
    try {
      const file = path.join(dir, 'alerts.yaml');
      fs.writeFileSync(file, YAML.stringify(alertRules({ slack: 'http://127.0.0.1:9/services/T/B/x', events: 'http://127.0.0.1:9/events' })));
      const loaded = loadAlertsFile(file);
      expect(loaded.rules.map((r) => r.name).sort()).toEqual(['DatasetDrift', 'FeatureDrift', 'GpuIdle', 'HighP99Latency']);
      expect(loaded.receivers.map((r) => r.type).sort()).toEqual(['slack', 'webhook']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('demo GPUs', () => {
  it('serves DCGM text the SDK parses; the spare GPU is idle (by the analyzer rule) only in the idle phase', () => {
    const rec = FLEET.find((s) => s.gpus.some((g) => g.spare))!;
    const spare = rec.gpus.find((g) => g.spare)!;
    const idleBy = (phase: 'latency' | 'gpu_idle') => {
      const { samples, warnings } = parseDcgmMetrics(dcgmText(rec, faultsOf(phase), createRng(3)));
      expect(warnings).toEqual([]);
      expect(samples).toHaveLength(rec.gpus.length);
      const s = samples.find((x) => x.uuid === spare.uuid)!;
      expect(s.hostName).toBe(rec.host);
      return s.utilization! < IDLE_UTILIZATION && s.memoryUsedBytes! > IDLE_MEMORY_BYTES;
    };
    expect(idleBy('latency')).toBe(false);
    expect(idleBy('gpu_idle')).toBe(true);
    const busy = parseDcgmMetrics(dcgmText(rec, faultsOf('gpu_idle'), createRng(3))).samples.find((x) => x.uuid !== spare.uuid)!;
    expect(busy.utilization!).toBeGreaterThan(IDLE_UTILIZATION);
  });
});

describe('demo time', () => {
  it('shifts every metric data point one minute back and leaves the original untouched', () => {
    const point = { startTime: [1_700_000_000, 5] as [number, number], endTime: [1_700_000_060, 7] as [number, number], attributes: {}, value: 1 };
    const rm = { resource: {} as never, scopeMetrics: [{ scope: { name: 's' }, metrics: [{ descriptor: {} as never, aggregationTemporality: 1, dataPointType: 2, dataPoints: [point] }] }] } as never;
    const shifted = toDemoTime(rm) as any;
    const dp = shifted.scopeMetrics[0].metrics[0].dataPoints[0];
    expect(dp.startTime).toEqual([1_700_000_000 - DEMO_LAG_MS / 1000, 5]);
    expect(dp.endTime).toEqual([1_700_000_060 - DEMO_LAG_MS / 1000, 7]);
    expect(point.endTime).toEqual([1_700_000_060, 7]);
  });
});

describe('demo sink parsing', () => {
  it('reads a Slack Block Kit message and an Alertmanager webhook payload', () => {
    const note = readSlackMessage({
      text: 'fallback',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '🔴 [FIRING:2] FeatureDrift — fraud-detector' } },
        { type: 'section', fields: [{ type: 'mrkdwn', text: '*Severity*\nwarning' }] },
        { type: 'section', text: { type: 'mrkdwn', text: '🔴 *fraud-detector* feature=amount: 0.9\n\n🔴 *fraud-detector* feature=country: 0.3' } },
      ],
    });
    expect(note).toEqual({ title: '🔴 [FIRING:2] FeatureDrift — fraud-detector', lines: ['🔴 *fraud-detector* feature=amount: 0.9', '🔴 *fraud-detector* feature=country: 0.3'], text: 'fallback' });
    expect(readSlackMessage({})).toBeNull();
    const alerts = readWebhookPayload({ version: '4', alerts: [{ status: 'firing', labels: { alertname: 'GpuIdle' }, annotations: {} }, { status: 'weird' }, null] });
    expect(alerts).toHaveLength(1);
    expect(readWebhookPayload('nonsense')).toEqual([]);
  });
});
