import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../storage/migrate.ts';
import { clusterStatements, localTable, SHARDED_TABLES } from '../../storage/cluster.ts';
import type { Store } from '../../storage/client.ts';
import { createTestStore } from '../helpers/store.ts';

const cluster = loadMigrations({ database: 'mw', cluster: 'prod' }).flatMap((m) => m.statements);
const single = loadMigrations({ database: 'mw' }).flatMap((m) => m.statements);
const created = (stmts: string[]) => stmts.map((s) => /^CREATE (?:TABLE|MATERIALIZED VIEW) IF NOT EXISTS mw\.(\w+)/.exec(s)?.[1]).filter(Boolean) as string[];
const createOf = (name: string) => cluster.find((s) => new RegExp(`^CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS mw\\.${name} `).test(s))!;

let real: Awaited<ReturnType<typeof createTestStore>>;
beforeAll(async () => {
  real = await createTestStore();
});
afterAll(async () => {
  await real?.cleanup();
});

describe('cluster DDL (storage.cluster set)', () => {
  it('puts every statement ON CLUSTER and every statement parses in the real engine', async () => {
    for (const s of cluster) if (/^(CREATE|ALTER)/.test(s)) expect(s).toMatch(/ ON CLUSTER prod /);
    for (const s of cluster) {
      const [r] = await real.store.query<{ f: string }>('SELECT formatQuerySingleLine({q:String}) AS f', { q: s });
      expect(r.f.length).toBeGreaterThan(20);
    }
  });

  it('shards the raw tables and rollups: <name>_local Replicated on {shard}, <name> Distributed over it', () => {
    const engines: Record<string, string> = {
      predictions: 'MergeTree', ground_truth: 'MergeTree', logs: 'MergeTree', spans: 'MergeTree', metric_points: 'MergeTree', metric_histograms: 'MergeTree',
      gpu_samples: 'MergeTree', dead_letters: 'MergeTree', latency_1m: 'AggregatingMergeTree', feature_num_1m: 'AggregatingMergeTree',
      feature_cat_1m: 'SummingMergeTree', feature_null_1m: 'SummingMergeTree', gpu_1m: 'AggregatingMergeTree',
    };
    // The hour and day levels are sharded like the minute level they are rolled up from.
    for (const level of ['1h', '1d']) {
      for (const t of ['latency', 'feature_num', 'feature_cat', 'feature_null', 'gpu']) engines[`${t}_${level}`] = engines[`${t}_1m`];
    }
    expect(Object.keys(SHARDED_TABLES).sort()).toEqual(Object.keys(engines).sort());
    for (const [t, engine] of Object.entries(engines)) {
      expect(createOf(`${t}_local`)).toContain(`ENGINE = Replicated${engine}('/clickhouse/tables/{shard}/mw/${t}_local', '{replica}')`);
      const key = SHARDED_TABLES[t].shardingKey;
      expect(createOf(t)).toBe(`CREATE TABLE IF NOT EXISTS mw.${t} ON CLUSTER prod AS mw.${t}_local\nENGINE = Distributed(prod, mw, ${t}_local${key ? `, ${key}` : ''})`);
      // The local table is created before the Distributed table that clones it.
      expect(cluster.indexOf(createOf(`${t}_local`))).toBeLessThan(cluster.indexOf(createOf(t)));
    }
    expect(createOf('predictions')).toBe(
      "CREATE TABLE IF NOT EXISTS mw.predictions ON CLUSTER prod AS mw.predictions_local\nENGINE = Distributed(prod, mw, predictions_local, if(prediction_id = '', cityHash64(model, ts), cityHash64(prediction_id)))",
    );
    // TTL, partitioning and settings stay on the local table.
    expect(createOf('predictions_local')).toMatch(/PARTITION BY toDate\(ts\)\nORDER BY \(model, version, ts\)\nTTL toDateTime\(ts\) \+ INTERVAL 30 DAY/);
    // No sharding key uses rand(): a retried insert must reach the same shards to be deduplicated.
    for (const { shardingKey } of Object.values(SHARDED_TABLES)) expect(shardingKey ?? '').not.toMatch(/rand/i);
  });

  it('attaches materialized views to the local tables, writing to the local rollups', () => {
    const views = cluster.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'));
    const signals = ['feature_cat', 'feature_null', 'feature_num', 'gpu', 'latency'];
    expect(views.map((v) => /TO (mw\.\w+)/.exec(v)![1]).sort()).toEqual(['1d', '1h', '1m'].flatMap((l) => signals.map((t) => `mw.${t}_${l}_local`)).sort());
    const source = (name: string) => /FROM (mw\.\w+)/.exec(createOf(name))![1];
    expect(['latency_1m_mv', 'feature_num_1m_mv', 'feature_cat_1m_mv', 'feature_null_1m_mv'].map(source)).toEqual(Array(4).fill('mw.predictions_local'));
    expect(source('gpu_1m_mv')).toBe('mw.gpu_samples_local');
    // Each shard rolls its own minute states up into its own hour states, and hours into days.
    for (const t of signals) {
      expect(source(`${t}_1h_mv`)).toBe(`mw.${t}_1m_local`);
      expect(source(`${t}_1d_mv`)).toBe(`mw.${t}_1h_local`);
    }
    expect(createOf('latency_1m_mv')).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS mw\.latency_1m_mv ON CLUSTER prod TO mw\.latency_1m_local AS\nSELECT/);
  });

  it('replicates small state tables to every node, with no Distributed table', () => {
    const everywhere = { analysis_results: 'ReplacingMergeTree', alert_series: 'ReplacingMergeTree', alert_groups: 'ReplacingMergeTree', alert_deliveries: 'MergeTree', alert_history: 'MergeTree', alert_silences: 'ReplacingMergeTree', api_keys: 'ReplacingMergeTree' };
    for (const [t, engine] of Object.entries(everywhere)) {
      expect(createOf(t)).toContain(`ENGINE = Replicated${engine}('/clickhouse/tables/all/mw/${t}', '{shard}-{replica}'`);
      expect(cluster.some((s) => s.includes(`${t}_local`))).toBe(false);
    }
    expect(createOf('analysis_results')).toContain("'{shard}-{replica}', computed_at)");
    expect(createOf('api_keys')).toContain("'{shard}-{replica}', ver)");
  });

  it('creates every single-node table under the same name, so the rest of the code is unchanged', () => {
    const names = new Set(created(cluster));
    for (const t of created(single)) expect(names.has(t)).toBe(true);
    expect(localTable('predictions', 'prod')).toBe('predictions_local');
    expect(localTable('predictions', '')).toBe('predictions');
    expect(localTable('alert_series', 'prod')).toBe('alert_series');
  });

  it('routes ALTERs: column changes to both tables, anything else to the local one', () => {
    expect(clusterStatements('ALTER TABLE {{db}}.predictions {{on_cluster}} ADD COLUMN IF NOT EXISTS x UInt8', 'prod', 'mw')).toEqual([
      'ALTER TABLE {{db}}.predictions_local {{on_cluster}} ADD COLUMN IF NOT EXISTS x UInt8',
      'ALTER TABLE {{db}}.predictions {{on_cluster}} ADD COLUMN IF NOT EXISTS x UInt8',
    ]);
    expect(clusterStatements('ALTER TABLE {{db}}.logs {{on_cluster}} MODIFY TTL toDateTime(ts) + INTERVAL 7 DAY', 'prod', 'mw')).toEqual([
      'ALTER TABLE {{db}}.logs_local {{on_cluster}} MODIFY TTL toDateTime(ts) + INTERVAL 7 DAY',
    ]);
    expect(clusterStatements('ALTER TABLE {{db}}.alert_series {{on_cluster}} ADD COLUMN y UInt8', 'prod', 'mw')).toHaveLength(1);
  });

  it('migrate() on a cluster: database and schema_migrations ON CLUSTER, then every statement in order', async () => {
    const commands: string[] = [];
    const inserts: string[] = [];
    const fake = {
      mode: 'server', database: 'mw', t: (x: string) => `mw.${x}`,
      serverVersion: async () => '25.8.1.1',
      command: async (sql: string) => void commands.push(sql),
      query: async () => [],
      insert: async (table: string) => void inserts.push(table),
    } as unknown as Store;
    const r = await migrate(fake, { cluster: 'prod' });
    expect(commands[0]).toBe('CREATE DATABASE IF NOT EXISTS mw ON CLUSTER prod');
    expect(commands[1]).toContain("CREATE TABLE IF NOT EXISTS mw.schema_migrations ON CLUSTER prod");
    expect(commands[1]).toContain("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/mw/schema_migrations', '{shard}-{replica}')");
    expect(commands.slice(2)).toEqual(cluster);
    expect(r.applied.length).toBe(inserts.length);
  });
});

describe('single node (storage.cluster empty) is unchanged', () => {
  it('has no cluster artifacts and runs for real', async () => {
    for (const s of single) expect(s).not.toMatch(/ON CLUSTER|Replicated|Distributed|_local\b|\{shard\}/);
    expect(single.find((s) => s.includes('mw.predictions '))).toContain('ENGINE = MergeTree\nPARTITION BY toDate(ts)');
    const tables = await real.store.query<{ name: string; engine: string }>(
      'SELECT name, engine FROM system.tables WHERE database = {db:String} ORDER BY name',
      { db: real.store.database },
    );
    expect(tables.find((t) => t.name === 'api_keys')?.engine).toBe('ReplacingMergeTree');
    expect(tables.find((t) => t.name === 'predictions')?.engine).toBe('MergeTree');
    expect(tables.some((t) => t.name.endsWith('_local'))).toBe(false);
  });
});
