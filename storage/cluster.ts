import { ident } from './identifiers.ts';

/**
 * Cluster layout of the schema (`storage.cluster` set). Two kinds of tables:
 *
 * - Sharded (raw ingest tables and the rollups fed from them): the data lives in `<name>_local`,
 *   a Replicated*MergeTree at `/clickhouse/tables/{shard}/<db>/<name>_local` with replica
 *   `{replica}`, one per shard; `<name>` itself is a Distributed table over them, so every query
 *   and insert in the code, which names `<name>`, is unchanged. Materialized views are attached
 *   to the local tables and write to the local rollups, so each shard aggregates its own rows and
 *   the -Merge combinators of a read through the Distributed rollup merge the shards' states.
 * - Everywhere (small state: migrations, analysis results, alert state and history, API keys):
 *   one Replicated*MergeTree replicated to every node (`/clickhouse/tables/all/<db>/<name>`,
 *   replica `{shard}-{replica}`), no Distributed table. Any node reads all of it locally, and a
 *   ReplacingMergeTree read with FINAL or argMax stays exact, since no key is split across shards.
 */

/** Suffix of the local table behind a Distributed one. */
export const LOCAL_SUFFIX = '_local';

/**
 * The sharded tables, with the sharding key of their Distributed table. Keys are deterministic
 * functions of the row, never rand(): a retried insert then sends the same rows to the same
 * shards, where the deduplication token recognises them. Predictions and ground truth shard by
 * prediction id, so a prediction and its label meet on one shard. Rollups have no key: only
 * their views write to them, shard-locally.
 */
export const SHARDED_TABLES: Readonly<Record<string, { shardingKey?: string }>> = {
  predictions: { shardingKey: "if(prediction_id = '', cityHash64(model, ts), cityHash64(prediction_id))" },
  ground_truth: { shardingKey: 'cityHash64(prediction_id)' },
  logs: { shardingKey: 'cityHash64(trace_id, ts)' },
  spans: { shardingKey: 'cityHash64(trace_id)' },
  metric_points: { shardingKey: 'cityHash64(name, service, ts)' },
  metric_histograms: { shardingKey: 'cityHash64(name, service, ts)' },
  gpu_samples: { shardingKey: 'cityHash64(host, gpu_id)' },
  dead_letters: { shardingKey: 'cityHash64(source, topic, partition, offset, raw)' },
  latency_1m: {},
  feature_num_1m: {},
  feature_cat_1m: {},
  feature_null_1m: {},
  gpu_1m: {},
  latency_1h: {},
  feature_num_1h: {},
  feature_cat_1h: {},
  feature_null_1h: {},
  gpu_1h: {},
  latency_1d: {},
  feature_num_1d: {},
  feature_cat_1d: {},
  feature_null_1d: {},
  gpu_1d: {},
};

/** True when `table` is sharded on a cluster. */
export function isSharded(table: string): boolean {
  return Object.hasOwn(SHARDED_TABLES, table);
}

/** The table that holds the rows of `table` on this node: `<name>_local` when sharded on a cluster. */
export function localTable(table: string, cluster: string | undefined): string {
  return cluster && isSharded(table) ? table + LOCAL_SUFFIX : table;
}

const ENGINE = /\{\{(MergeTree|AggregatingMergeTree|SummingMergeTree|ReplacingMergeTree):([A-Za-z0-9_]+)(?::([A-Za-z0-9_]+))?\}\}/;
const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS \{\{db\}\}\.([A-Za-z0-9_]+)\b/;
const CREATE_MV = /^CREATE MATERIALIZED VIEW\b/;
const ALTER_TABLE = /^ALTER TABLE \{\{db\}\}\.([A-Za-z0-9_]+)\b/;
const COLUMN_ALTER = /^\s*(ADD|DROP|MODIFY|RENAME|COMMENT|CLEAR)\s+COLUMN\b/i;
const DB_TABLE = /\{\{db\}\}\.([A-Za-z0-9_]+)\b/g;

function replicatedEngine(engine: string, zkTable: string, db: string, arg: string | undefined, everywhere: boolean): string {
  const args = everywhere
    ? [`'/clickhouse/tables/all/${db}/${zkTable}'`, `'{shard}-{replica}'`]
    : [`'/clickhouse/tables/{shard}/${db}/${zkTable}'`, `'{replica}'`];
  if (arg) args.push(ident(arg));
  return `Replicated${engine}(${args.join(', ')})`;
}

/**
 * Rewrites one migration statement (placeholders still in) for a cluster; returns the statements
 * to run in its place. CREATE TABLE of a sharded table becomes the local table plus the
 * Distributed one; views read from and write to local tables; ALTERs reach the local table (and
 * the Distributed one too for column changes, so both keep the same columns). Anything else
 * passes through unchanged.
 */
export function clusterStatements(stmt: string, cluster: string, database: string): string[] {
  const c = ident(cluster);
  const db = ident(database);
  const create = CREATE_TABLE.exec(stmt);
  if (create) {
    const table = create[1];
    const engine = ENGINE.exec(stmt);
    if (!engine) return [stmt];
    const [placeholder, kind, , arg] = engine;
    if (!isSharded(table)) return [stmt.replace(placeholder, replicatedEngine(kind, ident(table), db, arg, true))];
    const local = table + LOCAL_SUFFIX;
    const localStmt = stmt
      .replace(CREATE_TABLE, `CREATE TABLE IF NOT EXISTS {{db}}.${local}`)
      .replace(placeholder, replicatedEngine(kind, ident(local), db, arg, false));
    const key = SHARDED_TABLES[table].shardingKey;
    const distributed =
      `CREATE TABLE IF NOT EXISTS {{db}}.${table} {{on_cluster}} AS {{db}}.${local}\n` +
      `ENGINE = Distributed(${c}, ${db}, ${local}${key ? `, ${key}` : ''})`;
    return [localStmt, distributed];
  }
  if (CREATE_MV.test(stmt)) {
    return [stmt.replace(DB_TABLE, (m, t: string) => (isSharded(t) ? `{{db}}.${t}${LOCAL_SUFFIX}` : m))];
  }
  const alter = ALTER_TABLE.exec(stmt);
  if (alter && isSharded(alter[1])) {
    const toLocal = stmt.replace(ALTER_TABLE, `ALTER TABLE {{db}}.${alter[1]}${LOCAL_SUFFIX}`);
    const rest = stmt.slice(alter[0].length).replace(/^\s*\{\{on_cluster\}\}/, '');
    return COLUMN_ALTER.test(rest) ? [toLocal, stmt] : [toLocal];
  }
  return [stmt];
}
