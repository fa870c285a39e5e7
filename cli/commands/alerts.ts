import type { Command } from 'commander';
import { isMwError } from '../../core/errors.ts';
import { startAlerts } from '../../alerts/engine.ts';
import { watchRules } from '../../alerts/reload.ts';
import { formatMatcher } from '../../alerts/matchers.ts';
import { createNotifier } from '../../alerts/notifiers/index.ts';
import { withRetry } from '../../alerts/notifiers/retry.ts';
import { isOk } from '../../alerts/notifiers/types.ts';
import { loadAlertsFile } from '../../alerts/rules.ts';
import { buildSilence, silenceState, type Silence } from '../../alerts/silences.ts';
import { AlertStateStore } from '../../alerts/state-store.ts';
import { createLogger, fail, loadCliConfig, openStore, withStorageOptions, type CommonOptions } from '../context.ts';
import { noteUnbuiltLevels } from '../levels-status.ts';

interface RunOptions extends CommonOptions {
  rules?: string;
  once?: boolean;
}

interface SilenceOptions extends CommonOptions {
  api?: string;
  matcher?: string[];
  duration?: string;
  end?: string;
  comment?: string;
  author?: string;
  all?: boolean;
}

const out = (s: string): void => void process.stdout.write(s + '\n');
const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function printSilence(s: { id: string; matchers: string[]; startsAt: string; endsAt: string; createdBy: string; comment: string; state: string }): void {
  out(`${s.id}  ${s.state.padEnd(8)} ${s.startsAt} -> ${s.endsAt}  ${s.matchers.join(', ')}${s.createdBy ? `  by ${s.createdBy}` : ''}${s.comment ? `  "${s.comment}"` : ''}`);
}

function view(s: Silence, now: number) {
  return {
    id: s.id, matchers: s.matchers.map(formatMatcher), startsAt: new Date(s.startsAt).toISOString(), endsAt: new Date(s.endsAt).toISOString(),
    createdBy: s.createdBy, comment: s.comment, state: silenceState(s, now),
  };
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base.replace(/\/+$/, '')}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as any;
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${json.code ? `${json.code}: ` : ''}${json.message ?? ''}`);
  return json;
}

/** Runs a silence subcommand against the API (--api) or directly against the store. */
async function withSilences<T>(opts: SilenceOptions, viaApi: (base: string) => Promise<T>, viaStore: (s: AlertStateStore) => Promise<T>): Promise<T> {
  if (opts.api) return viaApi(opts.api);
  const config = loadCliConfig(opts, { 'log.level': opts.logLevel ?? 'warn' });
  const store = await openStore(config, createLogger(config));
  try {
    return await viaStore(new AlertStateStore(store));
  } finally {
    await store.close();
  }
}

/** `modelwatch alerts`: the evaluator alone, rule checks, test messages and silences. */
export function registerAlerts(program: Command): void {
  const alerts = withStorageOptions(
    program
      .command('alerts')
      .description('run the alert evaluator alone (against --clickhouse-url or --data-dir); see subcommands for checks, tests and silences')
      .option('-r, --rules <file>', 'alert rules file (default: alerts.rulesFile from the config)')
      .option('--once', 'evaluate once and exit'),
  ).action(async (opts: RunOptions) => {
    const config = loadCliConfig(opts, { 'alerts.rulesFile': opts.rules });
    const log = createLogger(config);
    if (!config.alerts.rulesFile) fail(new Error('no rules file: give --rules FILE or alerts.rulesFile in the config'));
    try {
      const store = await openStore(config, log);
      await noteUnbuiltLevels(store, config.storage.cluster, log);
      const engine = startAlerts({ store, config, log, schedule: !opts.once });
      log.info({ rules: engine.rules.rules.length, receivers: engine.rules.receivers.length, everyMs: config.alerts.evaluationIntervalMs }, 'alert evaluator started');
      if (opts.once) {
        const first = await engine.tick(Date.now());
        out(JSON.stringify(first, null, 2));
        await engine.stop();
        await store.close();
        return;
      }
      // Reload the rules on SIGHUP and when the file changes; an invalid file keeps the running rules.
      const watcher = watchRules({ engine, file: config.alerts.rulesFile, log });
      // Evaluation timers do not hold the process open on their own: keep it alive until a signal.
      const keepAlive = setInterval(() => {}, 1 << 30);
      const shutdown = async () => {
        clearInterval(keepAlive);
        await watcher.stop();
        await engine.stop();
        await store.close();
        process.exit(0);
      };
      process.on('SIGTERM', () => void shutdown());
      process.on('SIGINT', () => void shutdown());
      // The first evaluation now rather than one interval from now.
      await engine.tick(Date.now());
    } catch (err) {
      fail(err);
    }
  });

  alerts
    .command('check <file>')
    .description('validate an alert rules file')
    .action((file: string) => {
      try {
        const f = loadAlertsFile(file);
        out(`${file}: ${f.rules.length} rule(s), ${f.routes.length} route(s), ${f.inhibitRules.length} inhibit rule(s), ${f.receivers.length} receiver(s): OK`);
      } catch (err) {
        if (isMwError(err) && Array.isArray(err.detail?.problems)) {
          process.stderr.write(`${err.code}:\n${(err.detail.problems as string[]).map((p) => `  ${p}`).join('\n')}\n`);
          process.exit(1);
        }
        fail(err);
      }
    });

  alerts
    .command('test')
    .description('send a test message to one receiver')
    .requiredOption('--receiver <name>', 'receiver name from the rules file')
    .option('-f, --file <file>', 'alert rules file', 'alerts.yaml')
    .action(async (opts: { receiver: string; file: string }) => {
      try {
        const f = loadAlertsFile(opts.file);
        const r = f.receivers.find((x) => x.name === opts.receiver);
        if (!r) fail(new Error(`${opts.file}: no receiver named ${JSON.stringify(opts.receiver)} (known: ${f.receivers.map((x) => x.name).join(', ') || 'none'})`));
        const now = Date.now();
        const labels = { alertname: 'ModelwatchTest', severity: 'info', model: 'test' };
        const notifier = withRetry(createNotifier(r), f.retry, {
          onAttempt: (a) => out(`attempt ${a.attempt}: ${isOk(a.result) ? 'ok' : a.result.reason}`),
        });
        const result = await notifier.send({
          receiver: r.name, groupKey: `test/${r.name}`, status: 'firing', groupLabels: {}, commonLabels: labels,
          commonAnnotations: { summary: 'Test message from modelwatch: this receiver works.' }, externalURL: 'http://127.0.0.1:4318',
          alerts: [{
            fingerprint: 'test', rule: 'ModelwatchTest', status: 'firing', state: 'firing', labels,
            annotations: { summary: 'Test message from modelwatch: this receiver works.' }, value: null, threshold: null, unit: '',
            startsAt: now, endsAt: null, generatorURL: 'http://127.0.0.1:4318/alerts',
          }],
        });
        if (!isOk(result)) fail(new Error(`receiver ${r.name}: ${result.reason}`));
        out(`receiver ${r.name}: delivered`);
      } catch (err) {
        fail(err);
      }
    });

  const silence = alerts.command('silence').description('create, list and expire silences');
  withStorageOptions(
    silence
      .command('add')
      .description('silence alerts matching every --matcher for a while')
      .requiredOption('-m, --matcher <matcher>', 'label matcher such as model="fraud" or feature=~"age|income" (repeatable)', collect)
      .option('-d, --duration <duration>', 'how long, e.g. 2h', '2h')
      .option('--end <time>', 'end time (ISO), instead of --duration')
      .option('--comment <text>', 'why')
      .option('--author <name>', 'who')
      .option('--api <url>', 'use a running modelwatch API (e.g. http://127.0.0.1:4318) instead of the store'),
  ).action(async (opts: SilenceOptions) => {
    try {
      const input = { matchers: opts.matcher, duration: opts.duration, endsAt: opts.end, comment: opts.comment, createdBy: opts.author };
      const id = await withSilences(
        opts,
        async (base) => (await api(base, 'POST', '/api/v1/silences', input)).silenceID as string,
        async (st) => {
          const s = buildSilence(input, Date.now());
          await st.saveSilence(s);
          return s.id;
        },
      );
      out(id);
    } catch (err) {
      fail(err);
    }
  });

  withStorageOptions(
    silence
      .command('list')
      .description('list silences (active and pending; --all for expired too)')
      .option('--all', 'include expired silences')
      .option('--api <url>', 'use a running modelwatch API instead of the store'),
  ).action(async (opts: SilenceOptions) => {
    try {
      const now = Date.now();
      const list = await withSilences(
        opts,
        async (base) => ((await api(base, 'GET', '/api/v1/silences')).silences as any[]).map((s) => ({ ...s, state: s.status.state })),
        async (st) => (await st.loadSilences()).map((s) => view(s, now)),
      );
      for (const s of list) if (opts.all || s.state !== 'expired') printSilence(s);
    } catch (err) {
      fail(err);
    }
  });

  withStorageOptions(
    silence
      .command('expire <id>')
      .description('end a silence now')
      .option('--api <url>', 'use a running modelwatch API instead of the store'),
  ).action(async (id: string, opts: SilenceOptions) => {
    try {
      await withSilences(
        opts,
        async (base) => api(base, 'DELETE', `/api/v1/silences/${encodeURIComponent(id)}`),
        async (st) => {
          const now = Date.now();
          const s = (await st.loadSilences()).find((x) => x.id === id);
          if (!s) throw new Error(`no silence ${id}`);
          await st.saveSilence({ ...s, endsAt: Math.min(s.endsAt, now), startsAt: Math.min(s.startsAt, now) });
        },
      );
      out(`expired ${id}`);
    } catch (err) {
      fail(err);
    }
  });
}
