/**
 * Alerts end to end: predictions with injected drift go in over HTTP (/v1/predictions), the
 * analyzer (a pass every second, one-minute windows against the previous minute) writes a drift
 * result, the evaluator (every 500 ms) fires FeatureDrift, and the Slack-like receiver gets one
 * firing message within one evaluation interval plus group_wait of the result being written. The
 * drift then stops (the window is diluted with undrifted rows) and exactly one resolved message
 * follows.
 *
 * The parts run in this process, wired as `serve` wires them (collector, analyzer scheduler, alert
 * engine and its API, rules watcher), so the test can note the moment each analysis result is
 * written: ClickHouse keeps only the latest computation of a window once its parts merge, so the
 * first drift row's time cannot be read back afterwards. test/e2e/alerts-serve.test.ts drives the
 * real `serve` process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../alerts/api.ts';
import { startAlerts } from '../../alerts/engine.ts';
import { watchRules } from '../../alerts/reload.ts';
import { startAnalyzer } from '../../analyzer/index.ts';
import { buildCollector } from '../../collector/server.ts';
import { loadConfig } from '../../core/config/load.ts';
import { createStore, type Store } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { startSlackReceiver } from '../services/slack-receiver.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-e2e-alerts-'));
const rulesFile = path.join(work, 'alerts.yaml');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const MINUTE = 60_000;
const EVALUATION_INTERVAL_MS = 500;
const GROUP_WAIT_MS = 1_000;
/**
 * Allowance for what the bound itself does not count: the evaluation's own run time (a few queries
 * to embedded ClickHouse and the state writes, on a shared machine), waiting for an evaluation
 * already running before the group's flush may run, and the HTTP hop to the receiver.
 */
const TOLERANCE_MS = 1_000;
const MODEL = 'e2e-drift';
const COUNTRIES = ['DE', 'FR', 'US'];

/** One prediction; `shift` moves `amount` (the drifting feature), the other features never change distribution. */
function row(i: number, minuteStart: number, shift: number, n: number): string {
  const features = { amount: 100 + (i % 200) * 0.1 + shift, tenure: i % 50, country: COUNTRIES[i % 3] };
  // Spread over the minute, away from its edges.
  const timestamp = minuteStart + 1_000 + Math.floor((i * 57_000) / n);
  return JSON.stringify({ model: MODEL, version: 'v1', id: `${minuteStart}-${shift}-${i}`, timestamp, features });
}
const rows = (minuteStart: number, n: number, shift: number): string[] => Array.from({ length: n }, (_, i) => row(i, minuteStart, shift, n));

/** A store that notes when each analysis_results insert has completed (the rows are then visible). */
function noteResultWrites(store: Store, writes: { at: number; rows: Record<string, unknown>[] }[]): Store {
  return {
    ...store,
    async insert(table, rows, opts) {
      await store.insert(table, rows, opts);
      if (table === 'analysis_results') writes.push({ at: Date.now(), rows: rows as Record<string, unknown>[] });
    },
  };
}

describe('alerts end to end', () => {
  it('drift -> analyzer -> evaluator -> Slack within one evaluation interval plus group_wait; then one resolved message', { timeout: 180_000 }, async () => {
    const slack = await startSlackReceiver();
    fs.writeFileSync(rulesFile, `
rules:
  - name: FeatureDrift
    condition: { kind: feature_drift, model: ${MODEL} }
    severity: warning
    annotations: { summary: "{{ $labels.feature }} drifted ({{ $labels.method }} {{ $value | humanize }})" }
routes:
  - receivers: [slack]
    group_by: [alertname, model]
    group_wait: ${GROUP_WAIT_MS}ms
    group_interval: 1s
    repeat_interval: 4h
receivers:
  - name: slack
    slack: { webhook_url: "${slack.url}" }
`);
    const config = loadConfig({
      overrides: {
        'storage.dataDir': path.join(work, 'data'), 'server.port': 0, 'writer.flushIntervalMs': 50,
        'analyzer.intervalMs': 1_000, 'analyzer.windowMinutes': 1,
        'alerts.evaluationIntervalMs': EVALUATION_INTERVAL_MS, 'alerts.rulesFile': rulesFile,
      },
    });
    const log = pino({ level: 'silent' });
    const store = await createStore({ dataDir: config.storage.dataDir });
    await migrate(store);
    const writes: { at: number; rows: Record<string, unknown>[] }[] = [];
    // As serve wires them: collector, analyzer, alert engine with its API, rules watcher.
    const collector = buildCollector({ store, config, logger: log });
    const analyzer = startAnalyzer({ store: noteResultWrites(store, writes), config, log });
    const engine = startAlerts({ store, config, log });
    collector.app.register(alertsRoutes, { store, engine } as never);
    const watcher = watchRules({ engine, file: rulesFile, log });
    await collector.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(collector.app.server.address() as { port: number }).port}`;
    const post = async (lines: string[]) => {
      const res = await fetch(`${url}/v1/predictions`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.join('\n') });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ accepted: lines.length, rejected: 0 });
    };

    try {
      // The analyzer's window is the last whole minute. Start early in a minute, so the episode plays
      // out in one window (the test waits for the next minute when less than 30 s are left).
      if (Date.now() % MINUTE > 30_000) await new Promise((r) => setTimeout(r, MINUTE - (Date.now() % MINUTE) + 500));
      const current = Math.floor(Date.now() / MINUTE) * MINUTE;
      const window = current - MINUTE; // analysed now, against the minute before it
      // Reference minute: 2,000 undrifted rows; analysed minute: 1,000 rows with `amount` shifted by 3
      // (normed Wasserstein distance 0.52, threshold 0.1). One request, one write.
      await post([...rows(window - MINUTE, 2_000, 0), ...rows(window, 1_000, 3)]);

      const [firing] = await slack.waitFor(1);
      expect(firing.body.text).toMatch(new RegExp(`^🔴 \\[FIRING:1\\] FeatureDrift — ${MODEL}`));
      expect(JSON.stringify(firing.body.blocks)).toContain('amount drifted (wasserstein');
      const api = (await (await fetch(`${url}/api/v1/alerts?rule=FeatureDrift`)).json()) as { alerts: { state: string; labels: Record<string, string> }[] };
      expect(api.alerts.map((a) => [a.state, a.labels.feature, a.labels.method])).toEqual([['firing', 'amount', 'wasserstein']]);

      // Timing, from moments recorded as they happened: the first drift result written, the
      // evaluation that moved the series to firing (its start, in alert_history), the receiver.
      const isDrift = (r: Record<string, unknown>) => r.model === MODEL && r.subject === 'amount' && r.metric === 'drift' && r.status === 'drift';
      const written = writes.find((w) => w.rows.some(isDrift))!.at;
      const [fired] = await store.query<{ t: number }>(
        `SELECT toUnixTimestamp64Milli(ts) AS t FROM ${store.t('alert_history')} WHERE rule = 'FeatureDrift' AND to_state = 'firing'`,
      );
      const delay = firing.at - written;
      process.stdout.write(
        `[alerts e2e] result written -> firing evaluation ${fired.t - written} ms -> Slack ${firing.at - fired.t} ms; total ${delay} ms ` +
          `(bound ${EVALUATION_INTERVAL_MS} + ${GROUP_WAIT_MS} + ${TOLERANCE_MS} ms)\n`,
      );
      // The evaluation that fired started at most one interval after the write (it may have started
      // just before the write and read the row once it was there).
      expect(fired.t - written).toBeLessThanOrEqual(EVALUATION_INTERVAL_MS + TOLERANCE_MS);
      // The message left once group_wait had passed since that evaluation, not at a later evaluation.
      expect(firing.at - fired.t).toBeGreaterThanOrEqual(GROUP_WAIT_MS);
      expect(delay).toBeLessThanOrEqual(EVALUATION_INTERVAL_MS + GROUP_WAIT_MS + TOLERANCE_MS);

      // The drift stops: 19,000 undrifted rows dilute the analysed minute (5% shifted rows: distance
      // about 0.03), and the next minute gets undrifted rows too, in case the window moves on meanwhile.
      await post([...rows(window, 19_000, 0), ...rows(current, 2_000, 0)]);
      const [, resolved] = await slack.waitFor(2);
      expect(resolved.body.text).toMatch(new RegExp(`^✅ \\[RESOLVED\\] FeatureDrift — ${MODEL}`));
      // A few more analyzer passes and evaluations (three each at least): nothing else is sent.
      const passes = writes.length;
      await new Promise((r) => setTimeout(r, 3_000));
      expect(writes.length).toBeGreaterThan(passes);
      expect(slack.requests).toHaveLength(2);
      const history = await store.query<{ to: string }>(`SELECT to_state AS to FROM ${store.t('alert_history')} WHERE rule = 'FeatureDrift' ORDER BY ts`);
      expect(history.map((h) => h.to)).toEqual(['firing', 'resolved']);
      const deliveries = await store.query<{ status: string; n: number }>(`SELECT status, count() AS n FROM ${store.t('alert_deliveries')} GROUP BY status`);
      expect(deliveries).toEqual([{ status: 'ok', n: 2 }]);
    } finally {
      // serve's shutdown order.
      await collector.app.close();
      await analyzer.stop();
      await watcher.stop();
      await engine.stop();
      await collector.writer.close();
      await store.close();
      await slack.close();
    }
  });
});
