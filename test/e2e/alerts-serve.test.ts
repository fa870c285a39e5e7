/**
 * Alerting in the real `modelwatch serve` process: predictions with errors sent over HTTP raise an
 * error-rate alert in Slack; a broken rules file (saved to disk, then SIGHUP) is refused and logged
 * while the running rules stay; a valid edit adds a rule without a restart; more good predictions
 * resolve the first alert with exactly one resolved message; SIGTERM ends it cleanly. Then the
 * evaluator alone (`modelwatch alerts`): it keeps running, and reloads its rules the same way.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSlackReceiver } from '../services/slack-receiver.ts';
import { startServe, stopAllServes, until } from './serve-process.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'mw-e2e-alerts-serve-'));
const rulesFile = path.join(work, 'alerts.yaml');
afterAll(async () => {
  await stopAllServes();
  rmSync(work, { recursive: true, force: true });
});

const MODEL = 'e2e-serve';

function rules(slackUrl: string, extra = ''): string {
  return `
rules:
  - name: HighErrorRate
    condition: { kind: error_rate, model: ${MODEL}, value: 10%, window: 5m }
    severity: critical
    annotations: { summary: "{{ $labels.model }} fails {{ $value | humanizePercentage }} of predictions" }${extra}
routes:
  - receivers: [slack]
    group_by: [alertname, model]
    group_wait: 500ms
    group_interval: 1s
    repeat_interval: 4h
receivers:
  - name: slack
    slack: { webhook_url: "${slackUrl}" }
`;
}

const NO_TRAFFIC = `
  - name: NoTraffic
    condition: { kind: no_data, model: ghost, for: 10m }
    severity: warning`;

describe('alerting inside serve', () => {
  it('fires, refuses a broken rules file, reloads a valid one, resolves once', { timeout: 120_000 }, async () => {
    const slack = await startSlackReceiver();
    writeFileSync(rulesFile, rules(slack.url));
    const serve = await startServe({
      dataDir: path.join(work, 'data'),
      args: ['--alerts', rulesFile],
      config: { writer: { flushIntervalMs: 50 }, analyzer: { enabled: false }, alerts: { evaluationIntervalMs: 300 }, log: { level: 'warn' } },
    });
    const post = async (n: number, errors: number, tag: string) => {
      const now = Date.now();
      const body = Array.from({ length: n }, (_, i) =>
        JSON.stringify({ model: MODEL, id: `${tag}-${i}`, timestamp: now - 1_000 + i, latency_ms: 5, error: i < errors ? 'TimeoutError' : undefined, features: { x: i } }),
      ).join('\n');
      const res = await fetch(`${serve.url}/v1/predictions`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
      expect(await res.json()).toEqual({ accepted: n, rejected: 0 });
    };
    const texts = () => slack.requests.map((r) => String(r.body.text));

    // Half of 100 predictions fail: 50% against a 10% threshold.
    await post(100, 50, 'bad');
    await slack.waitFor(1);
    expect(texts()[0]).toMatch(new RegExp(`^🔴 \\[FIRING:1\\] HighErrorRate — ${MODEL}`));
    expect(JSON.stringify(slack.requests[0].body.blocks)).toContain(`${MODEL} fails 50% of predictions`);

    // A broken file on disk is refused; so is the same file on SIGHUP. The running rule stays.
    writeFileSync(rulesFile, rules(slack.url).replace('value: 10%', 'value: ten percent'));
    await until(() => serve.stdout().includes('alert rules reload rejected'));
    serve.child.kill('SIGHUP');
    await until(() => /"reason":"SIGHUP"[^\n]*alert rules reload rejected/.test(serve.stdout()));
    const rejected = serve.stdout().split('\n').filter((l) => l.includes('alert rules reload rejected')).map((l) => JSON.parse(l));
    expect(rejected[0]).toMatchObject({ level: 50, reason: 'file changed', file: rulesFile });
    expect(rejected[0].problems).toEqual([expect.stringMatching(/alerts\.yaml: rule "HighErrorRate" field condition\.value/)]);
    const api = (await (await fetch(`${serve.url}/api/v1/alerts`)).json()) as { alerts: { rule: string; state: string }[] };
    expect(api.alerts.map((a) => [a.rule, a.state])).toEqual([['HighErrorRate', 'firing']]);

    // A valid edit adds a rule, without a restart: a model that never sent anything is silent.
    writeFileSync(rulesFile, rules(slack.url, NO_TRAFFIC));
    await slack.waitFor(2);
    expect(texts()[1]).toMatch(/^🔴 \[FIRING:1\] NoTraffic — ghost/);

    // 2,000 good predictions: 50 of 2,100 fail (2.4%): resolved, once.
    await post(2_000, 0, 'good');
    await slack.waitFor(3);
    expect(texts()[2]).toMatch(new RegExp(`^✅ \\[RESOLVED\\] HighErrorRate — ${MODEL}`));
    // More evaluations (every 300 ms): nothing else is sent.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(slack.requests).toHaveLength(3);

    expect(await serve.stop()).toBe(0);
    await slack.close();
  });
});

describe('modelwatch alerts (the evaluator alone)', () => {
  it('keeps running, refuses a broken rules file on change and on SIGHUP, reloads a valid one, stops on SIGTERM', async () => {
    const file = path.join(work, 'alone.yaml');
    const rule = (name: string) => `  - name: ${name}\n    condition: { kind: no_data, model: ghost, for: 10m }\n`;
    writeFileSync(file, `rules:\n${rule('Quiet')}`);
    const child = spawn(process.execPath, [path.resolve(import.meta.dirname, '../../bin/modelwatch.mjs'), 'alerts', '--rules', file, '--data-dir', path.join(work, 'alone-data'), '--log-level', 'info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await until(() => out.includes('alert evaluator started'));
      writeFileSync(file, `rules:\n${rule('Quiet')}  - name: Bad\n    condition: { kind: nope }\n`);
      await until(() => /"reason":"file changed"[^\n]*alert rules reload rejected/.test(out));
      child.kill('SIGHUP');
      await until(() => /"reason":"SIGHUP"[^\n]*alert rules reload rejected/.test(out));
      writeFileSync(file, `rules:\n${rule('Quiet')}${rule('Silent')}`);
      await until(() => out.includes('alert rules reloaded'));
      const reloaded = JSON.parse(out.split('\n').find((l) => l.includes('alert rules reloaded'))!);
      expect(reloaded).toMatchObject({ added: ['Silent'], unchanged: ['Quiet'], removed: [], rules: 2 });
      expect(child.exitCode).toBeNull();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
