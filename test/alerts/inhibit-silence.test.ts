import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAlerts, type AlertsEngine } from '../../alerts/engine.ts';
import { parseAlertsFile } from '../../alerts/rules.ts';
import type { Store } from '../../storage/client.ts';
import { createTestStore } from '../helpers/store.ts';
import { startSlackReceiver, type SlackReceiver } from '../services/slack-receiver.ts';
import { baseTime, driftRows, resetTables, seedResults, testConfig } from './helpers.ts';

let store: Store;
let cleanup: () => Promise<void>;
let slack: SlackReceiver;

function engine(): AlertsEngine {
  const rules = parseAlertsFile(`
rules:
  - name: DatasetDrift
    condition: { kind: drift_share, op: '>=', value: 0.5 }
    severity: critical
  - name: FeatureDrift
    condition: { kind: feature_drift }
    severity: warning
routes:
  - receivers: [slack]
    group_by: [alertname, model]
    group_wait: 0s
    group_interval: 1m
inhibit_rules:
  - source_matchers: ['alertname="DatasetDrift"']
    target_matchers: ['alertname="FeatureDrift"']
    equal: [model]
receivers:
  - name: slack
    slack: { webhook_url: "${slack.url}" }
`);
  return startAlerts({ store, config: testConfig(), rules, schedule: false });
}

beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
});
afterAll(async () => {
  await slack?.close();
  await cleanup?.();
});
beforeEach(async () => {
  await resetTables(store);
  await slack?.close();
  slack = await startSlackReceiver();
});

const sentModels = (): string[] => slack.requests.map((r) => r.body.text as string).sort();

describe('inhibition and silences', () => {
  it('a firing dataset drift inhibits the feature drift alerts of the same model only', async () => {
    const t0 = baseTime();
    await seedResults(store, [
      ...driftRows('a', ['x', 'y'], 'drift', t0, t0),
      ...driftRows('b', ['x'], 'drift', t0, t0),
      { analyzer: 'drift', model: 'a', subject: '__dataset__', metric: 'drift_share', value: 0.8, threshold: 0.5, status: 'drift', windowStart: t0 - 3_600_000, windowEnd: t0, computedAt: t0 },
    ]);
    const e = engine();
    await e.tick(t0);
    const texts = sentModels();
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(/^🔴 \[FIRING:1\] DatasetDrift — a/);
    expect(texts[1]).toMatch(/^🔴 \[FIRING:1\] FeatureDrift — b/);
    const active = await e.activeAlerts();
    expect(active.filter((a) => a.inhibited).map((a) => `${a.labels.model}/${a.labels.feature}`).sort()).toEqual(['a/x', 'a/y']);
    const history = await e.history({ rule: 'FeatureDrift' });
    expect(history.filter((h) => h.inhibited)).toHaveLength(2);
    await e.stop();
  });

  it('silenced alerts are recorded but not sent, and are sent once the silence is expired', async () => {
    const t0 = baseTime();
    await seedResults(store, [...driftRows('a', ['x'], 'drift', t0, t0), ...driftRows('b', ['x'], 'drift', t0, t0)]);
    const e = engine();
    const s = await e.createSilence({ matchers: ['model="b"'], duration: '2h', comment: 'known issue', createdBy: 'test' }, t0 - 1000);
    await e.tick(t0);
    expect(sentModels()).toEqual([expect.stringMatching(/FeatureDrift — a/)]);
    const b = (await e.activeAlerts()).find((a) => a.labels.model === 'b')!;
    expect(b).toMatchObject({ state: 'firing', silenced: true });
    expect((await e.history({ rule: 'FeatureDrift' })).find((h) => (h.labels as Record<string, string>).model === 'b')).toMatchObject({ to: 'firing', silenced: true });
    expect((await e.listSilences()).map((x) => x.id)).toEqual([s.id]);

    await e.tick(t0 + 60_000);
    expect(slack.requests).toHaveLength(1);
    await e.expireSilence(s.id, t0 + 90_000);
    await e.tick(t0 + 120_000);
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1].body.text).toMatch(/FeatureDrift — b/);
    await e.stop();
  });

  it('matchers with !=, =~ and !~ select what a silence covers', async () => {
    const t0 = baseTime();
    await seedResults(store, [...driftRows('fraud-v1', ['x'], 'drift', t0, t0), ...driftRows('fraud-v2', ['x'], 'drift', t0, t0), ...driftRows('churn', ['x'], 'drift', t0, t0)]);
    const e = engine();
    await e.createSilence({ matchers: ['model=~"fraud-.*"', 'model!~".*v2"', 'feature!="y"'], duration: '1h' }, t0 - 1000);
    await e.tick(t0);
    const silenced = (await e.activeAlerts()).filter((a) => a.silenced).map((a) => a.labels.model);
    expect(silenced).toEqual(['fraud-v1']);
    await e.stop();
  });
});
