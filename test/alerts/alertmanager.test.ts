import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlerts } from '../../alerts/engine.ts';
import { parseAlertsFile } from '../../alerts/rules.ts';
import type { Store } from '../../storage/client.ts';
import { startAlertmanager, type AlertmanagerService } from '../services/alertmanager.ts';
import { createTestStore } from '../helpers/store.ts';
import { driftRows, seedResults, testConfig } from './helpers.ts';

let store: Store;
let cleanup: () => Promise<void>;
let am: AlertmanagerService;

beforeAll(async () => {
  ({ store, cleanup } = await createTestStore());
  am = await startAlertmanager();
});
afterAll(async () => {
  await am?.stop();
  await cleanup?.();
});

describe('Alertmanager receiver', () => {
  it('the real Alertmanager receives, lists and sees our alerts resolve', async () => {
    const rules = parseAlertsFile(`
rules:
  - name: FeatureDrift
    condition: { kind: feature_drift, model: fraud }
    severity: warning
    labels: { team: ml }
    annotations: { summary: "{{ $labels.feature }} drifted" }
routes:
  - receivers: [am]
receivers:
  - name: am
    alertmanager: { url: "${am.url}", resend_interval: 1m }
`);
    // Alertmanager judges resolution on its own clock, so this test evaluates at the real time.
    const t0 = Date.now();
    await seedResults(store, driftRows('fraud', ['age', 'income'], 'drift', t0 - 1000, t0 - 1000));
    const e = startAlerts({ store, config: testConfig(), rules, schedule: false });
    const r1 = await e.tick(Date.now());
    expect(r1.sent.map((s) => s.result)).toEqual([{ ok: true, httpStatus: 200 }, { ok: true, httpStatus: 200 }]);
    const listed = await am.alerts('filter=alertname%3D%22FeatureDrift%22');
    expect(listed.map((a) => a.labels.feature).sort()).toEqual(['age', 'income']);
    expect(listed[0].labels).toMatchObject({ alertname: 'FeatureDrift', model: 'fraud', severity: 'warning', team: 'ml' });
    expect(listed[0].status.state).toBe('active');
    expect(listed[0].generatorURL).toContain('/alerts?rule=FeatureDrift');

    // Unchanged within the resend interval: not re-posted.
    const r2 = await e.tick(Date.now());
    expect(r2.sent).toEqual([]);
    // Past the resend interval: re-posted, so Alertmanager keeps it alive.
    const r3 = await e.tick(Date.now() + 61_000);
    expect(r3.sent).toHaveLength(2);

    // The drift ends: our resolve posts endsAt, and Alertmanager drops the alerts from its active list.
    const t1 = Date.now();
    await seedResults(store, driftRows('fraud', ['age', 'income'], 'ok', t0 - 1000, t1));
    const r4 = await e.tick(Date.now() + 62_000);
    expect(r4.sent.map((s) => s.status)).toEqual(['resolved', 'resolved']);
    const after = await am.alerts('filter=alertname%3D%22FeatureDrift%22');
    expect(after).toEqual([]);
    await e.stop();
  });
});
