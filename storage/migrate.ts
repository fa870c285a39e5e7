import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MwError } from '../core/errors.ts';
import { ident } from './identifiers.ts';
import type { Store } from './client.ts';
import { clusterStatements } from './cluster.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Oldest ClickHouse the schema runs on (quantilesDD, Map in ARRAY JOIN views, lightweight TTL settings). */
export const MIN_CLICKHOUSE_VERSION = '24.8';

/** One migration file: version number, name, statements, checksum of its text. */
export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

/** How to render DDL: single node, or a cluster (ON CLUSTER + Replicated engines). */
export interface RenderOptions {
  database: string;
  cluster?: string;
}

/** Compares dotted versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Throws MW_ERR_CLICKHOUSE_VERSION when `found` is older than the schema needs. */
export function checkVersion(found: string, needed = MIN_CLICKHOUSE_VERSION): void {
  if (compareVersions(found, needed) < 0) {
    throw new MwError('MW_ERR_CLICKHOUSE_VERSION', `found ${found}, need ${needed} or newer`, { found, needed });
  }
}

/** Substitutes the placeholders of a migration for a single node or a cluster. */
export function renderSql(sql: string, opts: RenderOptions): string {
  const db = ident(opts.database);
  const cluster = opts.cluster ? ident(opts.cluster) : undefined;
  return sql
    .replaceAll('{{db}}', db)
    .replaceAll('{{on_cluster}}', cluster ? `ON CLUSTER ${cluster}` : '')
    .replace(
      /\{\{(MergeTree|AggregatingMergeTree|SummingMergeTree|ReplacingMergeTree):([A-Za-z0-9_]+)(?::([A-Za-z0-9_]+))?\}\}/g,
      (_m, engine: string, table: string, arg?: string) => {
        const args = cluster ? [`'/clickhouse/tables/{shard}/${db}/${ident(table)}'`, `'{replica}'`] : [];
        if (arg) args.push(ident(arg));
        return `${cluster ? 'Replicated' : ''}${engine}${args.length ? `(${args.join(', ')})` : ''}`;
      },
    );

}

/**
 * Renders the statements of a migration text. Single node: placeholders substituted, as
 * renderSql does. Cluster: each statement is first laid out for the cluster (storage/cluster.ts:
 * local Replicated tables, Distributed tables over them, views on the local tables).
 */
export function renderStatements(text: string, opts: RenderOptions): string[] {
  if (!opts.cluster) return splitStatements(renderSql(text, opts));
  return splitStatements(text).flatMap((raw) => clusterStatements(raw, opts.cluster!, opts.database).map((s) => renderSql(s, opts)));
}

/** Splits a SQL file into statements: `;` at the end of a line ends one; `--` comment lines are dropped. */
export function splitStatements(sql: string): string[] {
  const lines = sql.split('\n').filter((l) => !l.trim().startsWith('--'));
  const out: string[] = [];
  let cur: string[] = [];
  for (const line of lines) {
    cur.push(line);
    if (line.trimEnd().endsWith(';')) {
      const stmt = cur.join('\n').trim().replace(/;$/, '').trim();
      if (stmt) out.push(stmt);
      cur = [];
    }
  }
  const rest = cur.join('\n').trim();
  if (rest) out.push(rest);
  return out;
}

/** Loads and renders every migration under storage/migrations, ordered by version. */
export function loadMigrations(opts: RenderOptions, dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      return {
        version: parseInt(file.slice(0, 4), 10),
        name: file.replace(/\.sql$/, ''),
        // The checksum covers the file as written, not as rendered: the same code has the same sum in every mode.
        checksum: createHash('sha256').update(text).digest('hex').slice(0, 16),
        statements: renderStatements(text, opts),
      };
    });
}

// On a cluster it is replicated to every node, so each one sees the same migration history.
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS {{db}}.schema_migrations {{on_cluster}} (
        version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = {{ReplacingMergeTree:schema_migrations}} ORDER BY version`;

/** Outcome of a migration run. */
export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
  version: string;
}

/** Where a migration run is, for a progress display: the pending migration and statement about to run. */
export interface MigrateProgress {
  /** 1-based position among the pending migrations. */
  index: number;
  total: number;
  name: string;
  statement: number;
  statements: number;
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`. Idempotent: every statement is
 * IF NOT EXISTS, so a run cut off half-way is finished by the next one; a migration is recorded
 * only after all its statements succeeded.
 */
export async function migrate(
  store: Store,
  opts: {
    cluster?: string;
    log?: (msg: string) => void;
    progress?: (p: MigrateProgress) => void;
    /** Apply migrations up to this version only (tests that need a data directory of an older schema). */
    upTo?: number;
  } = {},
): Promise<MigrateResult> {
  const version = await store.serverVersion();
  checkVersion(version);
  const render: RenderOptions = { database: store.database, cluster: opts.cluster };
  const onCluster = opts.cluster ? ` ON CLUSTER ${ident(opts.cluster)}` : '';
  await store.command(`CREATE DATABASE IF NOT EXISTS ${ident(store.database)}${onCluster}`);
  for (const stmt of renderStatements(MIGRATIONS_TABLE, render)) await store.command(stmt);
  const done = await store.query<{ version: number; name: string; checksum: string }>(
    `SELECT version, any(name) AS name, any(checksum) AS checksum FROM ${store.t('schema_migrations')} GROUP BY version`,
  );
  const byVersion = new Map(done.map((r) => [Number(r.version), r]));
  const result: MigrateResult = { applied: [], alreadyApplied: [], version };
  const migrations = loadMigrations(render).filter((m) => opts.upTo === undefined || m.version <= opts.upTo);
  const total = migrations.filter((m) => !byVersion.has(m.version)).length;
  for (const m of migrations) {
    const prev = byVersion.get(m.version);
    if (prev) {
      if (prev.checksum !== m.checksum) {
        throw new MwError('MW_ERR_MIGRATION_CHECKSUM', `${m.name}: applied ${prev.checksum}, code has ${m.checksum}`);
      }
      result.alreadyApplied.push(m.name);
      continue;
    }
    opts.log?.(`applying migration ${m.name} (${m.statements.length} statements)`);
    for (const [i, stmt] of m.statements.entries()) {
      opts.progress?.({ index: result.applied.length + 1, total, name: m.name, statement: i + 1, statements: m.statements.length });
      try {
        await store.command(stmt);
      } catch (err) {
        throw new MwError('MW_ERR_MIGRATION_FAILED', `${m.name} statement ${i + 1}: ${(err as Error).message}`, undefined, { cause: err });
      }
    }
    await store.insert('schema_migrations', [{ version: m.version, name: m.name, checksum: m.checksum }]);
    result.applied.push(m.name);
  }
  return result;
}

/** True when every migration in the code is recorded as applied (readiness). */
export async function migrationsApplied(store: Store): Promise<boolean> {
  try {
    const rows = await store.query<{ n: string }>(`SELECT count(DISTINCT version) AS n FROM ${store.t('schema_migrations')}`);
    return Number(rows[0].n) >= loadMigrations({ database: store.database }).length;
  } catch {
    return false;
  }
}
