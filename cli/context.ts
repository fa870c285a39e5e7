import pino, { type Logger } from 'pino';
import type { Command } from 'commander';
import { loadConfig } from '../core/config/load.ts';
import type { Config } from '../core/config/schema.ts';
import { isMwError } from '../core/errors.ts';
import { createStore, type Store } from '../storage/client.ts';
import { migrate } from '../storage/migrate.ts';
import { prettyDestination, resolveLogFormat, useColor, type ResolvedLogFormat } from './log-format.ts';

/** Options every command that touches storage shares. */
export interface CommonOptions {
  config?: string;
  dataDir?: string;
  clickhouseUrl?: string;
  logLevel?: string;
  logFormat?: string;
}

/** Adds --config, --data-dir, --clickhouse-url, --log-level and --log-format to a command. */
export function withStorageOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML config file (see docs/configuration.md)')
    .option('--data-dir <dir>', 'embedded ClickHouse data directory (default ./data)')
    .option('--clickhouse-url <url>', 'use a ClickHouse server instead of the embedded engine, e.g. http://127.0.0.1:8123')
    .option('--log-level <level>', 'fatal, error, warn, info, debug (adds one line per HTTP request), trace or silent')
    .option('--log-format <format>', 'auto (pretty on a terminal, else JSON), json (pino lines) or pretty (one short line per event)');
}

/** Loads the config from file, environment and flags; a bad value exits with a clear message. */
export function loadCliConfig(opts: CommonOptions, overrides: Record<string, unknown> = {}): Config {
  try {
    return loadConfig({
      file: opts.config,
      env: process.env,
      overrides: { 'storage.dataDir': opts.dataDir, 'storage.url': opts.clickhouseUrl, 'log.level': opts.logLevel, 'log.format': opts.logFormat, ...overrides },
    });
  } catch (err) {
    return fail(err);
  }
}

/** Prints an error (with its code) and exits 1. */
export function fail(err: unknown): never {
  const code = isMwError(err) ? `${err.code}: ` : '';
  process.stderr.write(`modelwatch: ${code}${(err as Error).message}\n`);
  process.exit(1);
}

const REDACT = ['*.password', '*.secret', '*.webhook_url', 'headers.authorization', 'headers["x-api-key"]', '*.hmacKey'];

/** The format the logger of this process writes: log.format, with `auto` decided by stdout. */
export function logFormat(config: Config): ResolvedLogFormat {
  return resolveLogFormat(config.log.format, process.stdout);
}

/** Where a logger writes when not to stdout (tests): `isTTY` stands in for the terminal check. */
export interface LogSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * Creates the logger, on stdout unless `out` is given: pino JSON lines, or short terminal lines
 * (log.format). Both go through pino, so the same levels and redaction apply to each.
 */
export function createLogger(config: Config, out?: LogSink): Logger {
  const options = { level: config.log.level, redact: REDACT };
  const tty = out ?? process.stdout;
  if (resolveLogFormat(config.log.format, tty) === 'json') return out ? pino(options, out) : pino(options);
  const stacks = config.log.level === 'debug' || config.log.level === 'trace';
  // Synchronous: `fail()` and the shutdown call process.exit right after their last line.
  const sink = out ?? pino.destination({ dest: 1, sync: true });
  return pino(options, prettyDestination(sink, { color: useColor(tty, process.env), stacks }));
}

/**
 * Listen options for a pretty terminal: fastify's own "Server listening at URL" line (one per
 * address) then reads `<what> listening on URL`, and is the only line saying so. In JSON mode
 * fastify's line and the command's own line stay as they were.
 */
export function listenText(config: Config, what: string): { listenTextResolver?: (address: string) => string } {
  return logFormat(config) === 'pretty' ? { listenTextResolver: (address) => `${what} listening on ${address}` } : {};
}

/** Writes the plain stderr line scripts wait for ("... listening on URL"), unless the pretty log line on the same terminal already said it. */
export function printListening(config: Config, line: string): void {
  if (logFormat(config) === 'pretty' && process.stderr.isTTY) return;
  process.stderr.write(`${line}\n`);
}

/** Creates the store the config names: a ClickHouse server when storage.url is set, else embedded. */
export function storeFromConfig(config: Config): Promise<Store> {
  const s = config.storage;
  return createStore({ dataDir: s.dataDir, url: s.url || undefined, user: s.user, password: s.password, database: s.database, requestTimeoutMs: s.requestTimeoutMs });
}

/** Opens the store the config names and applies pending migrations. */
export async function openStore(config: Config, log: Logger): Promise<Store> {
  const store = await storeFromConfig(config);
  const result = await migrate(store, { cluster: config.storage.cluster || undefined, log: (m) => log.info(m) });
  log.info({ mode: store.mode, clickhouse: result.version, applied: result.applied.length }, 'storage ready');
  return store;
}
