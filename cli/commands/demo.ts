import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration } from '../../alerts/duration.ts';
import { jsonReporter, prettyReporter } from '../../demo/report.ts';
import { DEMO_DATABASE, runDemo } from '../../demo/run.ts';
import { loadCliConfig } from '../context.ts';
import { MIN_DURATION_MS } from '../../demo/scenario.ts';

interface DemoFlags {
  duration?: number;
  port?: number;
  keepData?: boolean;
  json?: boolean;
  clickhouseUrl?: string;
}

const DEFAULT_DURATION_MS = 120_000;

function durationArg(text: string): number {
  // A bare number is seconds here (a demo lasting 120 ms makes no sense).
  const ms = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) * 1000 : parseDuration(text);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 120s, 2m or 90');
  if (ms < MIN_DURATION_MS) throw new InvalidArgumentError(`the four phases need at least ${MIN_DURATION_MS / 1000}s`);
  return ms;
}

function portArg(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0 picks a free one)');
  return n;
}

/** `modelwatch demo`: serve plus simulated model servers playing drift, latency and idle-GPU incidents. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run serve on a temporary directory with simulated model servers, and watch drift, latency and GPU alerts fire (about 2 minutes)')
    .option('-d, --duration <duration>', 'length of the scenario, e.g. 90s, 3m; bare numbers are seconds (default 120s)', durationArg)
    .option('-p, --port <port>', 'port of serve and its UI (default 4318 when free, else any free port)', portArg)
    .option('--keep-data', 'keep the temporary directory (data, config, rules) at the end')
    .option('--json', 'print one JSON event per line instead of the terminal view')
    .option('--clickhouse-url <url>', `use a ClickHouse server (for Grafana) instead of the embedded engine; the demo owns database ${DEMO_DATABASE} there`)
    .action(async (flags: DemoFlags) => {
      const report = flags.json ? jsonReporter() : prettyReporter();
      const abort = new AbortController();
      let interrupts = 0;
      const onSignal = () => {
        // The first Ctrl-C stops in order; a second one stops at once.
        if (++interrupts > 1) process.exit(130);
        abort.abort();
      };
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
      // User and password of the server come from the environment, as for every other command.
      const storage = flags.clickhouseUrl ? loadCliConfig({ clickhouseUrl: flags.clickhouseUrl }).storage : undefined;
      const clickhouse = storage ? { url: storage.url, user: storage.user, password: storage.password } : undefined;
      const code = await runDemo({ durationMs: flags.duration ?? DEFAULT_DURATION_MS, port: flags.port, keepData: Boolean(flags.keepData), clickhouse, signal: abort.signal }, report);
      process.exit(code);
    });
}
