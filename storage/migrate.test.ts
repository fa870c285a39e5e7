import { describe, expect, it } from 'vitest';
import { checkVersion, compareVersions, loadMigrations, renderSql, splitStatements } from './migrate.ts';

describe('migrations', () => {
  it('version check: a server older than the schema needs is refused with both versions', () => {
    expect(compareVersions('24.8.1.2', '24.8')).toBeGreaterThan(0);
    expect(compareVersions('23.12.6', '24.8')).toBeLessThan(0);
    expect(() => checkVersion('26.7.2.1')).not.toThrow();
    expect(() => checkVersion('23.3.1')).toThrow(expect.objectContaining({ code: 'MW_ERR_CLICKHOUSE_VERSION', message: expect.stringContaining('found 23.3.1, need 24.8 or newer') }));
  });

  it('renders single-node and cluster DDL from the same file', () => {
    const sql = 'CREATE TABLE IF NOT EXISTS {{db}}.t {{on_cluster}} (x UInt8) ENGINE = {{ReplacingMergeTree:t:x}} ORDER BY x';
    expect(renderSql(sql, { database: 'mw' })).toBe('CREATE TABLE IF NOT EXISTS mw.t  (x UInt8) ENGINE = ReplacingMergeTree(x) ORDER BY x');
    expect(renderSql(sql, { database: 'mw', cluster: 'prod' })).toBe(
      "CREATE TABLE IF NOT EXISTS mw.t ON CLUSTER prod (x UInt8) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/mw/t', '{replica}', x) ORDER BY x",
    );
    expect(() => renderSql(sql, { database: 'mw; DROP TABLE x' })).toThrow(expect.objectContaining({ code: 'MW_ERR_BAD_IDENTIFIER' }));
  });

  it('splits statements on a trailing semicolon and drops comment lines', () => {
    expect(splitStatements('-- c\nSELECT 1;\n\nSELECT\n 2;\n')).toEqual(['SELECT 1', 'SELECT\n 2']);
  });

  it('every migration file renders, in order, with a stable checksum', () => {
    const a = loadMigrations({ database: 'modelwatch' });
    const b = loadMigrations({ database: 'other', cluster: 'c1' });
    expect(a.map((m) => m.version)).toEqual([...a.map((m) => m.version)].sort((x, y) => x - y));
    expect(a.map((m) => m.checksum)).toEqual(b.map((m) => m.checksum));
    for (const m of a) for (const s of m.statements) expect(s).not.toMatch(/\{\{/);
    for (const m of b) for (const s of m.statements) if (/^CREATE TABLE/.test(s)) expect(s).toMatch(/ON CLUSTER c1[\s\S]*(Replicated|Distributed)/);
  });
});
