/**
 * Live reload of alerts.yaml: a changed file adds rules and keeps the state of the others, an
 * invalid file is refused with a logged error and the running rules stay, SIGHUP reloads too, and
 * a removed rule's firing alerts are sent as resolved.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlerts } from '../../alerts/engine.ts';
import { watchRules } from '../../alerts/reload.ts';
import type { Store } from '../../storage/client.ts';
import { createTestStore } from '../helpers/store.ts';
import { startSlackReceiver, type SlackReceiver } from '../services/slack-receiver.ts';
import { baseTime, driftRows, seedResults, testConfig } from './helpers.ts';

let store: Store;
let cleanup: () => Promise<void>;
let slack: SlackReceiver;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-reload-'));
const file = path.join(dir, 'alerts.yaml');

beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
  slack = await startSlackReceiver();
});
afterAll(async () => {
  await slack?.close();
  await cleanup?.();
  fs.rmSync(dir, { recursive: true, force: true });
});

const until = async (check: () => boolean): Promise<void> => {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
};

/** A logger that keeps its lines. */
function captureLog() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj: typeof obj === 'string' ? {} : (obj as Record<string, unknown>), msg: msg ?? String(obj) });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

const RULE_A = `
  - name: FeatureDrift
    condition: { kind: feature_drift }
    for: 5m
    annotations: { summary: "{{ $labels.feature }} drifted" }`;
const RULE_B = `
  - name: DatasetDrift
    condition: { kind: drift_share, op: '>=', value: 0.5 }
    severity: critical`;
const tail = () => `
routes:
  - receivers: [slack]
    group_by: [alertname, model]
    group_wait: 0s
    group_interval: 1m
receivers:
  - name: slack
    slack: { webhook_url: "${slack.url}" }
`;

describe('alert rules reload', () => {
  it('adds a rule keeping the state of the others, refuses an invalid file, reloads on SIGHUP, and resolves a removed rule', async () => {
    const t0 = baseTime();
    await seedResults(store, [
      ...driftRows('fraud', ['age'], 'drift', t0, t0),
      { analyzer: 'drift', model: 'fraud', subject: '__dataset__', metric: 'drift_share', value: 0.8, threshold: 0.5, status: 'drift', windowStart: t0 - 3_600_000, windowEnd: t0, computedAt: t0 },
    ]);
    fs.writeFileSync(file, `rules:${RULE_A}\n${tail()}`);
    const { lines, log } = captureLog();
    const e = startAlerts({ store, config: testConfig(), rulesFile: file, schedule: false, log });
    await e.tick(t0);
    expect((await e.activeAlerts()).map((a) => [a.rule, a.state])).toEqual([['FeatureDrift', 'pending']]);

    // 1. The file changes on disk: the watcher picks it up and adds DatasetDrift.
    const watcher = watchRules({ engine: e, file, log, debounceMs: 50, sighup: false });
    fs.writeFileSync(file, `rules:${RULE_A}${RULE_B}\n${tail()}`);
    await until(() => e.rules.rules.length === 2);
    expect(lines.find((l) => l.msg === 'alert rules reloaded')?.obj).toMatchObject({ reason: 'file changed', added: ['DatasetDrift'], unchanged: ['FeatureDrift'], removed: [], changed: [] });
    // FeatureDrift kept its pending state: five minutes after t0 it fires (a fresh state would only be pending).
    await e.tick(t0 + 300_000);
    const active = await e.activeAlerts();
    expect(active.map((a) => [a.rule, a.state, a.activeAt]).sort()).toEqual([
      ['DatasetDrift', 'firing', new Date(t0 + 300_000).toISOString()],
      ['FeatureDrift', 'firing', new Date(t0).toISOString()],
    ]);
    expect(slack.requests.map((r) => r.body.text.slice(0, 40)).sort()).toEqual([expect.stringContaining('[FIRING:1] DatasetDrift'), expect.stringContaining('[FIRING:1] FeatureDrift')]);

    // 2. An invalid file is refused with the file, rule and field named; the running rules stay.
    fs.writeFileSync(file, `rules:${RULE_A}\n  - name: Broken\n    condition: { kind: latency_quantile, quantile: 0.75, value: 250ms }\n${tail()}`);
    await until(() => lines.some((l) => l.msg.startsWith('alert rules reload rejected')));
    const rejected = lines.find((l) => l.msg.startsWith('alert rules reload rejected'))!;
    expect(rejected.level).toBe('error');
    expect(rejected.obj.problems).toEqual([expect.stringMatching(/alerts\.yaml: rule "Broken" field condition\.quantile: the latency analyzer computes .*got 0\.75/)]);
    expect(e.rules.rules.map((r) => r.name)).toEqual(['FeatureDrift', 'DatasetDrift']);
    const r = await e.tick(t0 + 310_000);
    expect(r.evaluated).toBe(2);
    await watcher.stop();

    // 3. SIGHUP (file watching off): DatasetDrift removed, FeatureDrift's annotation changed.
    const hup = watchRules({ engine: e, file, log, watch: false });
    fs.writeFileSync(file, `rules:${RULE_A.replace('drifted', 'moved')}\n${tail()}`);
    process.kill(process.pid, 'SIGHUP');
    await until(() => e.rules.rules.length === 1);
    expect(lines.filter((l) => l.msg === 'alert rules reloaded').at(-1)?.obj).toMatchObject({ reason: 'SIGHUP', removed: ['DatasetDrift'], changed: ['FeatureDrift'] });
    await hup.stop();

    // The removed rule's alert is sent as resolved; the changed rule keeps firing (no new message yet).
    await e.tick(t0 + 400_000);
    expect(slack.requests).toHaveLength(3);
    expect(slack.requests[2].body.text).toMatch(/^✅ \[RESOLVED\] DatasetDrift — fraud/);
    expect((await e.activeAlerts()).map((a) => [a.rule, a.state, a.annotations.summary])).toEqual([['FeatureDrift', 'firing', 'age moved']]);
    expect((await e.history({ rule: 'DatasetDrift' })).map((h) => `${h.from}>${h.to}`).sort()).toEqual(['firing>resolved', 'inactive>firing']);
    await e.stop();
  });
});
