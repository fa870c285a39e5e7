import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAlerts, type AlertsEngine } from '../../alerts/engine.ts';
import { parseAlertsFile } from '../../alerts/rules.ts';
import { AlertStateStore } from '../../alerts/state-store.ts';
import type { Store } from '../../storage/client.ts';
import { createTestStore } from '../helpers/store.ts';
import { SLACK, startSlackReceiver, type SlackReceiver } from '../services/slack-receiver.ts';
import { baseTime, driftRows, resetTables, seedResults, testConfig } from './helpers.ts';

const FEATURES = ['age', 'income', 'tenure', 'region', 'device'];
let store: Store;
let cleanup: () => Promise<void>;
let slack: SlackReceiver;

function rulesYaml(url: string): string {
  return `
rules:
  - name: FeatureDrift
    condition: { kind: feature_drift }
    for: 1m
    severity: warning
    annotations: { summary: "{{ $labels.feature }} drifted: {{ $value }}" }
routes:
  - receivers: [slack]
    group_by: [alertname, model]
    group_wait: 30s
    group_interval: 5m
    repeat_interval: 4h
receivers:
  - name: slack
    slack: { webhook_url: "${url}" }
retry: { max_attempts: 3, base_delay: 100ms }
`;
}

function engine(): AlertsEngine {
  return startAlerts({ store, config: testConfig({ 'server.publicUrl': 'http://mw.example:4318' }), rules: parseAlertsFile(rulesYaml(slack.url)), schedule: false });
}

beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
});
afterAll(async () => {
  await cleanup?.();
});
beforeEach(async () => {
  await resetTables(store);
  await slack?.close();
  slack = await startSlackReceiver();
});

describe('Slack delivery of a drift episode', () => {
  it('five drifting features grouped by model make one firing and one resolved message', async () => {
    const t0 = baseTime();
    await seedResults(store, driftRows('fraud', FEATURES, 'drift', t0, t0));
    await seedResults(store, driftRows('churn', ['age'], 'ok', t0, t0));
    const e = engine();
    await e.tick(t0); // pending
    await e.tick(t0 + 60_000); // firing; the group is born
    expect(slack.requests).toHaveLength(0);
    await e.tick(t0 + 75_000); // inside group_wait
    expect(slack.requests).toHaveLength(0);
    await e.tick(t0 + 90_000); // group_wait passed
    expect(slack.requests).toHaveLength(1);
    const first = slack.requests[0].body;
    expect(first.text).toContain('[FIRING:5] FeatureDrift');
    const blocks = JSON.stringify(first.blocks);
    for (const f of FEATURES) expect(blocks).toContain(`feature=${f}`);
    expect(blocks).toContain('http://mw.example:4318/alerts?');
    expect((await e.activeAlerts()).filter((a) => a.state === 'firing')).toHaveLength(5);

    // Nothing new: no message within repeat_interval.
    await e.tick(t0 + 400_000);
    expect(slack.requests).toHaveLength(1);

    // The analyzer recomputes the window: no drift any more.
    await seedResults(store, driftRows('fraud', FEATURES, 'ok', t0, t0 + 500_000));
    await e.tick(t0 + 510_000);
    expect(slack.requests).toHaveLength(2);
    const second = slack.requests[1].body;
    expect(second.text).toContain('[RESOLVED] FeatureDrift');
    await e.tick(t0 + 900_000);
    await e.tick(t0 + 2_000_000);
    expect(slack.requests).toHaveLength(2);
    const history = await e.history({ rule: 'FeatureDrift' });
    expect(history.filter((h) => h.to === 'firing')).toHaveLength(5);
    expect(history.filter((h) => h.to === 'resolved')).toHaveLength(5);
    await e.stop();
  });

  it('a restart in mid-episode sends no duplicate and still resolves once', async () => {
    const t0 = baseTime();
    await seedResults(store, driftRows('fraud', FEATURES, 'drift', t0, t0));
    const e1 = engine();
    await e1.tick(t0);
    await e1.tick(t0 + 60_000);
    await e1.tick(t0 + 90_000);
    expect(slack.requests).toHaveLength(1);
    await e1.stop();
    // A new engine on the same store: it must remember the series and the group.
    const e2 = engine();
    await e2.tick(t0 + 100_000);
    await e2.tick(t0 + 400_000);
    expect(slack.requests).toHaveLength(1);
    expect((await e2.activeAlerts()).filter((a) => a.state === 'firing')).toHaveLength(5);
    await seedResults(store, driftRows('fraud', FEATURES, 'ok', t0, t0 + 450_000));
    await e2.tick(t0 + 460_000);
    await e2.stop();
    const e3 = engine();
    await e3.tick(t0 + 470_000);
    await e3.tick(t0 + 1_000_000);
    expect(slack.requests.map((r) => r.body.text.slice(0, 20))).toEqual([expect.stringContaining('[FIRING:5]'), expect.stringContaining('[RESOLVED]')]);
    await e3.stop();
  });

  it('on 429 waits for Retry-After before the second request', async () => {
    const t0 = baseTime();
    await seedResults(store, driftRows('fraud', ['age'], 'drift', t0, t0));
    slack.reply(SLACK.rateLimited(2));
    const e = engine();
    await e.tick(t0);
    await e.tick(t0 + 60_000);
    const report = await e.tick(t0 + 90_000);
    expect(slack.requests.map((r) => r.answer.status)).toEqual([429, 200]);
    expect(slack.requests[1].at - slack.requests[0].at).toBeGreaterThanOrEqual(2000);
    expect(report.sent[0].result).toMatchObject({ ok: true });
    const log = await new AlertStateStore(store).deliveries({ receiver: 'slack' });
    expect(log.map((d) => [d.attempt, d.status, d.httpStatus]).sort()).toEqual([[1, 'retryable', 429], [2, 'ok', 200]]);
    await e.stop();
  });

  it('on 400 invalid_payload does not retry', async () => {
    const t0 = baseTime();
    await seedResults(store, driftRows('fraud', ['age'], 'drift', t0, t0));
    slack.reply(SLACK.invalidPayload);
    const e = engine();
    await e.tick(t0);
    await e.tick(t0 + 60_000);
    const report = await e.tick(t0 + 90_000);
    expect(slack.requests).toHaveLength(1);
    expect(report.sent[0].result).toMatchObject({ failed: true, reason: 'HTTP 400: invalid_payload' });
    // Nor at later evaluations: the same message would fail the same way.
    await e.tick(t0 + 120_000);
    expect(slack.requests).toHaveLength(1);
    const log = await new AlertStateStore(store).deliveries({ receiver: 'slack' });
    expect(log.map((d) => [d.attempt, d.status, d.httpStatus, d.error])).toEqual([[1, 'failed', 400, 'HTTP 400: invalid_payload']]);
    await e.stop();
  });

  it('404 channel_not_found is permanent, 500 is retried', async () => {
    const t0 = baseTime();
    await seedResults(store, driftRows('fraud', ['age'], 'drift', t0, t0));
    slack.reply(SLACK.rollupError, SLACK.channelNotFound);
    const e = engine();
    await e.tick(t0);
    await e.tick(t0 + 60_000);
    await e.tick(t0 + 90_000);
    expect(slack.requests.map((r) => r.answer.status)).toEqual([500, 404]);
    await e.stop();
  });
});
