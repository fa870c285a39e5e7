/**
 * Runs `modelwatch demo` as a user would (a child process, `--json` for a machine-readable event
 * stream) and checks that the scenario raises the alerts it promises, and nothing else.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DRIFTED_FEATURES } from '../../demo/traffic.ts';
import { expectedAlerts, idleGpuSubject, matchesExpected, P99_THRESHOLD_MS } from '../../demo/scenario.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface DemoRun {
  code: number | null;
  events: Record<string, any>[];
  stderr: string;
}

/** Starts the demo; `onEvent` may act on events as they arrive (send a signal, say). */
function runDemo(args: string[], onEvent: (e: Record<string, any>, child: ReturnType<typeof spawn>) => void = () => undefined): Promise<DemoRun> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/modelwatch.mjs'), 'demo', '--json', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, any>[] = [];
  let buf = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line);
      events.push(e);
      onEvent(e, child);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, events, stderr })));
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('modelwatch demo', () => {
  it('plays the four phases and raises the drift, latency and idle-GPU alerts for the right series, then exits 0 by itself', async () => {
    const run = await runDemo(['--duration', '30s']);
    const of = (type: string) => run.events.filter((e) => e.type === type);
    const context = `stderr:\n${run.stderr.slice(-3000)}\nevents:\n${run.events.map((e) => JSON.stringify(e)).join('\n').slice(-6000)}`;
    expect(run.code, context).toBe(0);
    expect(of('end')).toEqual([{ type: 'end', code: 0 }]);

    const [start] = of('start');
    expect(start.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(of('phase').map((p) => p.name)).toEqual(['steady', 'drift', 'latency', 'gpu_idle']);
    const phaseStart = Object.fromEntries(start.phases.map((p: { name: string; startMs: number }) => [p.name, p.startMs]));

    const firing = of('alert').filter((a) => a.status === 'firing');
    // Every expected alert fired, and not before its fault began.
    for (const e of expectedAlerts()) {
      const hit = firing.find((a) => matchesExpected(e, a.labels));
      expect(hit, `${e.alertname} ${JSON.stringify(e.labels)} did not fire\n${context}`).toBeDefined();
      expect(hit!.atMs).toBeGreaterThanOrEqual(phaseStart[e.phase]);
    }
    // Nothing else fired: no false alarm on the 17 steady features, the other versions or the busy GPUs.
    for (const a of firing) expect(expectedAlerts().some((e) => matchesExpected(e, a.labels)), `unexpected alert ${JSON.stringify(a)}`).toBe(true);

    const latency = firing.find((a) => a.alertname === 'HighP99Latency')!;
    expect(latency.labels).toMatchObject({ model: 'fraud-detector', version: 'v2' });
    expect(latency.value).toBeGreaterThan(P99_THRESHOLD_MS);
    const features = firing.filter((a) => a.alertname === 'FeatureDrift');
    expect(new Set(features.map((a) => a.labels.feature))).toEqual(new Set(DRIFTED_FEATURES));
    for (const a of features) expect(a.value).toBeGreaterThanOrEqual(0.1);
    expect(firing.find((a) => a.alertname === 'GpuIdle')!.labels.gpu).toBe(idleGpuSubject());

    // The Slack-like sink got a message per rule, as Slack would show it.
    const titles = of('slack').map((s) => s.title as string);
    for (const rule of ['DatasetDrift', 'FeatureDrift', 'HighP99Latency', 'GpuIdle']) expect(titles.some((t) => t.includes('[FIRING') && t.includes(rule)), rule).toBe(true);

    const summary = of('summary')[0];
    expect(summary.missing).toEqual([]);
    // Cleaned up: the temporary directory is gone, and so is serve.
    expect(fs.existsSync(start.dir)).toBe(false);
    expect(processGone(start.servePid)).toBe(true);
  }, 300_000);

  it('refuses a duration too short for the four phases, naming the flag', async () => {
    const run = await runDemo(['--duration', '5s']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--duration.*at least 20s/);
    expect(run.events).toEqual([]);
  });

  it('stops cleanly on Ctrl-C: serve ends and the temporary directory is removed', async () => {
    let signalled = false;
    const run = await runDemo(['--duration', '120s'], (e, child) => {
      // SIGINT is what the terminal sends the demo on Ctrl-C.
      if (e.type === 'phase' && !signalled) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    expect(signalled, run.stderr).toBe(true);
    expect(run.code, run.stderr).toBe(130);
    const start = run.events.find((e) => e.type === 'start')!;
    expect(run.events.at(-1)).toEqual({ type: 'end', code: 130 });
    expect(fs.existsSync(start.dir)).toBe(false);
    expect(processGone(start.servePid)).toBe(true);
  }, 180_000);
});
