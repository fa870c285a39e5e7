/**
 * Delivery runs on its own queue per receiver: evaluation never waits for a receiver's HTTP answer,
 * and stopping the engine does not wait out a receiver's Retry-After.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAlerts } from '../../alerts/engine.ts';
import { parseAlertsFile } from '../../alerts/rules.ts';
import { AlertStateStore } from '../../alerts/state-store.ts';
import type { Store } from '../../storage/client.ts';
import { createTestStore } from '../helpers/store.ts';
import { SLACK, startSlackReceiver, type SlackReceiver } from '../services/slack-receiver.ts';
import { driftRows, resetTables, seedResults, testConfig } from './helpers.ts';

let store: Store;
let cleanup: () => Promise<void>;
let slack: SlackReceiver;

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

const until = async (check: () => boolean | Promise<boolean>): Promise<void> => {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
};

/** A webhook that holds every request until released. */
async function startHangingHook(): Promise<{ url: string; arrived: number[]; release: () => void; close: () => Promise<void> }> {
  const held: http.ServerResponse[] = [];
  const arrived: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrived.push(Date.now());
      held.push(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    arrived,
    release: () => {
      for (const res of held.splice(0)) res.end('{}');
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

describe('delivery queues', () => {
  it('a receiver that hangs does not delay the evaluation of another rule nor its delivery', async () => {
    const hook = await startHangingHook();
    const rules = parseAlertsFile(`
rules:
  - name: SlowDrift
    condition: { kind: feature_drift, model: slow }
  - name: FastDrift
    condition: { kind: feature_drift, model: fast }
routes:
  - matchers: ['alertname="SlowDrift"']
    receivers: [hook]
    group_wait: 0s
  - receivers: [slack]
    group_wait: 0s
receivers:
  - name: hook
    webhook: { url: "${hook.url}", timeout: 50s }
  - name: slack
    slack: { webhook_url: "${slack.url}" }
`);
    const e = startAlerts({ store, config: testConfig({ 'alerts.evaluationIntervalMs': 200 }), rules });
    const t0 = Date.now();
    await seedResults(store, driftRows('slow', ['x'], 'drift', t0 - 1000, t0 - 1000));
    // The scheduled evaluation fires SlowDrift; its message reaches the hook, which does not answer.
    await until(() => hook.arrived.length === 1);
    const heldSince = Date.now();

    // Only now does the other model drift: a later evaluation must see it and Slack must get it
    // while the first message is still unanswered.
    await seedResults(store, driftRows('fast', ['y'], 'drift', heldSince, heldSince));
    await slack.waitFor(1);
    expect(slack.requests[0].body.text).toMatch(/^🔴 \[FIRING:1\] FastDrift — fast/);
    // ...and the hook's delivery is still open: no attempt of it has finished.
    expect(hook.arrived).toHaveLength(1);
    expect(await new AlertStateStore(store).deliveries({ receiver: 'hook' })).toEqual([]);

    // Released, the first message completes and is logged; nothing is sent twice.
    hook.release();
    await until(async () => (await new AlertStateStore(store).deliveries({ receiver: 'hook' })).length === 1);
    await e.idle();
    const log = await new AlertStateStore(store).deliveries();
    expect(log.map((d) => [d.receiver, d.status, d.attempt]).sort()).toEqual([['hook', 'ok', 1], ['slack', 'ok', 1]]);
    expect(hook.arrived).toHaveLength(1);
    expect(slack.requests).toHaveLength(1);
    await e.stop();
    await hook.close();
  });

  it('stop() does not wait out a Retry-After; the unsent message goes out after a restart', async () => {
    const rules = (url: string) => parseAlertsFile(`
rules:
  - name: FeatureDrift
    condition: { kind: feature_drift }
routes:
  - receivers: [slack]
    group_wait: 0s
receivers:
  - name: slack
    slack: { webhook_url: "${url}" }
retry: { max_elapsed: 2h }
`);
    const t0 = Date.now();
    await seedResults(store, driftRows('fraud', ['age'], 'drift', t0 - 1000, t0 - 1000));
    slack.reply(SLACK.rateLimited(3600));
    const e1 = startAlerts({ store, config: testConfig(), rules: rules(slack.url), schedule: false });
    const ticked = e1.tick(t0);
    await slack.waitFor(1);
    // The delivery now sleeps an hour before its second attempt; stopping cuts that short.
    await e1.stop();
    const report = await ticked;
    expect(report.sent[0].result).toMatchObject({ failed: true, aborted: true });
    expect((await new AlertStateStore(store).deliveries()).map((d) => [d.attempt, d.status, d.httpStatus])).toEqual([[1, 'retryable', 429]]);

    // The group was not marked as sent: the next engine sends the message, once. (Its webhook is a
    // fresh one: this process still honours the first webhook's hour-long Retry-After, as it should.)
    const slack2 = await startSlackReceiver();
    const e2 = startAlerts({ store, config: testConfig(), rules: rules(slack2.url), schedule: false });
    await e2.tick(t0 + 1000);
    await e2.tick(t0 + 2000);
    expect(slack2.requests.map((r) => r.body.text)).toEqual([expect.stringMatching(/^🔴 \[FIRING:1\] FeatureDrift — fraud/)]);
    expect(slack.requests).toHaveLength(1);
    await e2.stop();
    await slack2.close();
  });
});
