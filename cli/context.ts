import pino, { type Logger } from 'pino';
import type { Command } from 'commander';
import { loadConfig } from '../core/config/load.ts';
import type { Config } from '../core/config/schema.ts';
import { isMwError } from '../core/errors.ts';
import { createStore, type Store } from '../storage/client.ts';
import { migrate } from '../storage/migrate.ts';

/** Options every command that touches storage shares. */
export interface CommonOptions {
  config?: string;
  dataDir?: string;
  clickhouseUrl?: string;
  logLevel?: string;
}

/** Adds --config, --data-dir, --clickhouse-url and --log-level to a command. */
export function withStorageOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML config file (see docs/configuration.md)')
    .option('--data-dir <dir>', 'embedded ClickHouse data directory (default ./data)')
    .option('--clickhouse-url <url>', 'use a ClickHouse server instead of the embedded engine, e.g. http://127.0.0.1:8123')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent');
}

/** Loads the config from file, environment and flags; a bad value exits with a clear message. */
export function loadCliConfig(opts: CommonOptions, overrides: Record<string, unknown> = {}): Config {
  try {
    return loadConfig({
      file: opts.config,
      env: process.env,
      overrides: { 'storage.dataDir': opts.dataDir, 'storage.url': opts.clickhouseUrl, 'log.level': opts.logLevel, ...overrides },
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

/** Creates the logger: JSON lines on stdout (pino). */
export function createLogger(config: Config): Logger {
  return pino({ level: config.log.level, redact: ['*.password', '*.secret', '*.webhook_url', 'headers.authorization', 'headers["x-api-key"]', '*.hmacKey'] });
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
