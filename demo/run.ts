/**
 * Runs the demo: the sink, `serve` as a child process on a temporary directory, the simulated
 * fleet, and the scenario's phases; then checks that every expected alert arrived and cleans up.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startFleet, type Fleet } from './fleet.ts';
import { demoPaths, writeDemoFiles } from './files.ts';
import { dcgmText } from './gpu.ts';
import { createRng } from './random.ts';
import type { AlertEvent, Reporter, SummaryItem } from './report.ts';
import {
  describeExpected, expectedAlerts, faultsOf, FLEET, matchesExpected, phaseAt, planScenario, type Faults, type Phase,
} from './scenario.ts';
import { startServeChild, type ServeChild } from './serve-child.ts';
import { startSink, type Sink, type WebhookAlert } from './sink.ts';
import { createStore } from '../storage/client.ts';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Length of the scenario (the four phases), ms. */
  durationMs: number;
  /** Port of serve: undefined picks 4318 when free, else any free port; 0 any free port. */
  port?: number;
  keepData: boolean;
  /** After the scenario, how long to wait at most for expected alerts still on their way, ms (default: 60 s or half the duration). */
  graceMs?: number;
  /** A ClickHouse server instead of the embedded engine (for Grafana); the demo then owns database `modelwatch_demo`. */
  clickhouse?: { url: string; user: string; password: string };
  /** Stops the demo early (Ctrl-C). */
  signal?: AbortSignal;
}

/** The database the demo writes to on a ClickHouse server: dropped before the run, and after it unless --keep-data. */
export const DEMO_DATABASE = 'modelwatch_demo';

async function dropDemoDatabase(c: NonNullable<DemoOptions['clickhouse']>): Promise<void> {
  const store = await createStore({ url: c.url, user: c.user, password: c.password, database: DEMO_DATABASE });
  try {
    await store.command(`DROP DATABASE IF EXISTS ${store.database}`);
  } finally {
    await store.close();
  }
}

/**
 * Seconds of steady history sent before the scenario starts, so the first windows are full. On a
 * ClickHouse server the reference is the previous window (see docs/demo.md), which needs three
 * minutes of history behind the first two-minute window.
 */
export function backfillSeconds(server: boolean): number {
  return server ? 180 : 60;
}
/** The default port of modelwatch, used when free. */
const DEFAULT_PORT = 4318;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The port serve gets: the one asked for, else 4318 when free, else any free one. */
export async function choosePort(asked: number | undefined): Promise<number> {
  if (asked !== undefined && asked !== 0) return asked;
  if (asked === undefined && (await portFree(DEFAULT_PORT))) return DEFAULT_PORT;
  return anyFreePort();
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** Runs the demo and returns its exit code: 0 when every expected alert fired, 1 when not or on failure, 130 when stopped. */
export async function runDemo(opts: DemoOptions, report: Reporter): Promise<number> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modelwatch-demo-'));
  const paths = demoPaths(root);
  const plan = planScenario(opts.durationMs);
  const expected = expectedAlerts();
  const firedAt = new Map<number, number>();
  const gpuRng = createRng(77);
  let faults: Faults = faultsOf('steady');
  let phase: Phase = plan[0];
  let t0 = Date.now();
  let sink: Sink | undefined;
  let serve: ServeChild | undefined;
  let fleet: Fleet | undefined;
  let code = 1;
  let warnings = 0;
  const firing = new Set<string>();
  // A second Ctrl-C exits at once: still leave nothing behind.
  const onExit = () => {
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
    if (!opts.keepData) fs.rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const onWebhook = (alerts: WebhookAlert[]) => {
    for (const a of alerts) {
      const key = a.fingerprint || JSON.stringify(a.labels);
      // A group's later messages repeat its alerts: report each change of state once.
      if ((a.status === 'firing') === firing.has(key)) continue;
      if (a.status === 'firing') firing.add(key);
      else firing.delete(key);
      const atMs = Date.now() - t0;
      const raw = Number(a.annotations?.value);
      const event: AlertEvent = {
        status: a.status, alertname: a.labels.alertname ?? '', labels: a.labels, value: Number.isFinite(raw) ? raw : null,
        summary: a.annotations?.summary ?? '', atMs, phase: phase.name,
      };
      report.alert(event);
      if (a.status !== 'firing') continue;
      expected.forEach((e, i) => {
        if (!firedAt.has(i) && matchesExpected(e, a.labels)) firedAt.set(i, atMs);
      });
    }
  };

  try {
    sink = await startSink({
      onSlack: (note) => report.slack(note, Date.now() - t0),
      onWebhook,
      dcgmPage: (host) => {
        const server = FLEET.find((s) => s.host === host);
        return server ? dcgmText(server, faults, gpuRng) : null;
      },
    });
    const port = await choosePort(opts.port);
    const ch = opts.clickhouse;
    writeDemoFiles(paths, { port, clickhouseUrl: ch?.url, database: ch ? DEMO_DATABASE : undefined }, { slack: sink.slackUrl, events: sink.eventsUrl });
    if (ch) {
      // A fresh database: alert state left by an earlier run would hold back this run's notifications.
      report.note(`dropping and recreating database ${DEMO_DATABASE} on ${ch.url}...`);
      await dropDemoDatabase(ch);
    }
    if (opts.signal?.aborted) throw new Error('stopped before serve started');
    report.note(`starting modelwatch serve (${ch ? `ClickHouse server, database ${DEMO_DATABASE}` : 'embedded ClickHouse'})...`);
    serve = await startServeChild({ config: paths.config, port, dataDir: paths.dataDir, clickhouseUrl: ch?.url, logFile: paths.serveLog });
    const url = `http://127.0.0.1:${port}`;
    report.start({ url: `${url}/`, root, durationMs: opts.durationMs, phases: plan, keepData: opts.keepData, servePid: serve.child.pid });
    fleet = startFleet({
      endpoint: url,
      dcgmUrl: (host) => sink!.dcgmUrl(host),
      onWarning: (m) => {
        // Export trouble repeats every batch: a few lines say enough.
        if (++warnings <= 5) report.warn(m);
      },
    });
    const history = backfillSeconds(Boolean(ch));
    report.note(`sending ${history} s of steady history so the first analyzer windows are full...`);
    await fleet.backfill(history);

    t0 = Date.now();
    fleet.play(() => faults);
    report.phase(phase, plan.length, 0);
    const grace = opts.graceMs ?? Math.max(60_000, opts.durationMs / 2);
    let waitingNoted = false;
    let serveGone: number | string | null | undefined;
    void serve.exited.then((c) => (serveGone = c));
    for (;;) {
      await sleep(250, opts.signal);
      if (opts.signal?.aborted) {
        report.note('stopping...');
        code = 130;
        break;
      }
      if (serveGone !== undefined) {
        report.warn(`modelwatch serve exited (${serveGone}); its last lines:\n${serve.tail()}`);
        code = 1;
        break;
      }
      const elapsed = Date.now() - t0;
      const now = phaseAt(plan, elapsed);
      if (now !== phase) {
        phase = now;
        faults = faultsOf(phase.name);
        report.phase(phase, plan.length, elapsed);
      }
      const done = firedAt.size === expected.length;
      const st = fleet.stats();
      report.status(`phase ${phase.index}/${plan.length} ${phase.title} · ${st.sent.toLocaleString('en-US')} predictions sent · ${firing.size} alert(s) firing · ${firedAt.size}/${expected.length} expected alerts`);
      if (elapsed >= opts.durationMs) {
        if (done) {
          code = 0;
          break;
        }
        if (elapsed >= opts.durationMs + grace) {
          code = 1;
          break;
        }
        if (!waitingNoted) {
          waitingNoted = true;
          report.note(`scenario over; waiting up to ${Math.round(grace / 1000)} s for ${expected.length - firedAt.size} alert(s) still on their way...`);
        }
      }
    }
    if (code !== 130) {
      const items: SummaryItem[] = expected.map((e, i) => ({ name: describeExpected(e), phase: e.phase, firedAtMs: firedAt.get(i) ?? null }));
      report.summary(items);
    }
  } catch (err) {
    code = opts.signal?.aborted ? 130 : 1;
    if (code !== 130) report.warn((err as Error).message);
  } finally {
    await shutdown();
  }
  report.end(code, { keptAt: opts.keepData ? root : undefined, database: opts.clickhouse && opts.keepData ? DEMO_DATABASE : undefined });
  return code;

  async function shutdown(): Promise<void> {
    // Traffic first (what is queued is sent while serve still listens), then serve, then the sink.
    if (fleet) await Promise.race([fleet.stop(), sleep(5000)]);
    if (serve) {
      const exit = await serve.stop();
      if (exit !== 0 && exit !== null && code === 0) report.warn(`modelwatch serve exited with ${exit}`);
    }
    await sink?.close().catch(() => undefined);
    if (!opts.keepData) fs.rmSync(root, { recursive: true, force: true });
    if (opts.clickhouse && !opts.keepData) await dropDemoDatabase(opts.clickhouse).catch((err) => report.warn(`could not drop ${DEMO_DATABASE}: ${(err as Error).message}`));
    process.off('exit', onExit);
  }
}
