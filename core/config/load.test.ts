import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from './load.ts';

describe('config', () => {
  it('fills every default', () => {
    const c = loadConfig();
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 4318 });
    expect(c.storage).toMatchObject({ dataDir: './data', url: '', database: 'modelwatch', retentionDays: 30, minuteRetentionDays: 30, hourRetentionDays: 400, dayRetentionDays: 1825 });
    expect(c.writer.maxBatchRows).toBeGreaterThan(1000);
  });

  it('layers file < environment < overrides, coercing strings', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cfg-')), 'c.yaml');
    fs.writeFileSync(file, 'server:\n  port: 5000\nstorage:\n  retentionDays: 7\n');
    const c = loadConfig({ file, env: { MODELWATCH_SERVER_PORT: '6000', MODELWATCH_CLICKHOUSE_URL: 'http://127.0.0.1:8123' }, overrides: { 'server.port': '7000' } });
    expect(c.server.port).toBe(7000);
    expect(c.storage.retentionDays).toBe(7);
    expect(c.storage.url).toBe('http://127.0.0.1:8123');
  });

  it('a bad value names the key, the value and what was expected', () => {
    expect(() => loadConfig({ overrides: { 'server.port': 70000 } })).toThrow('server.port: got 70000, expected a number <= 65535');
    expect(() => loadConfig({ overrides: { 'log.level': 'loud' } })).toThrow(/log\.level: got "loud", expected one of fatal, error/);
    expect(() => loadConfig({ overrides: { 'storage.database': 'x; DROP' } })).toThrow(/storage\.database: got "x; DROP", expected a value matching/);
    expect(() => loadConfig({ overrides: { 'server.prot': 1 } })).toThrow('server.prot: unknown setting');
  });

  it('rollup retention: each level from its env variable, and a coarser level kept shorter than a finer one is refused naming both', () => {
    const c = loadConfig({ env: { MODELWATCH_MINUTE_RETENTION_DAYS: '14', MODELWATCH_HOUR_RETENTION_DAYS: '90', MODELWATCH_DAY_RETENTION_DAYS: '730' } });
    expect(c.storage).toMatchObject({ minuteRetentionDays: 14, hourRetentionDays: 90, dayRetentionDays: 730 });
    expect(() => loadConfig({ overrides: { 'storage.hourRetentionDays': 20 } })).toThrow(
      'storage.hourRetentionDays: got 20, expected a number >= storage.minuteRetentionDays (30): a coarser rollup level is kept at least as long as a finer one',
    );
    expect(() => loadConfig({ env: { MODELWATCH_DAY_RETENTION_DAYS: '365' } })).toThrow(expect.objectContaining({ code: 'MW_ERR_CONFIG_INVALID', message: expect.stringContaining('storage.dayRetentionDays: got 365, expected a number >= storage.hourRetentionDays (400)') }));
    expect(() => loadConfig({ overrides: { 'storage.minuteRetentionDays': 400, 'storage.hourRetentionDays': 400 } })).not.toThrow();
    expect(() => loadConfig({ overrides: { 'storage.minuteRetentionDays': 0 } })).toThrow('storage.minuteRetentionDays: got 0, expected a number >= 1');
  });

  it('a missing or unparseable file is MW_ERR_CONFIG_FILE', () => {
    expect(() => loadConfig({ file: '/nonexistent/mw.yaml' })).toThrow(expect.objectContaining({ code: 'MW_ERR_CONFIG_FILE' }));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cfg-')), 'bad.yaml');
    fs.writeFileSync(file, 'server: [unclosed');
    expect(() => loadConfig({ file })).toThrow(expect.objectContaining({ code: 'MW_ERR_CONFIG_FILE' }));
  });

  it('redacts secrets for logging', () => {
    const c = loadConfig({ overrides: { 'storage.password': 's3cret' } });
    expect(JSON.stringify(redactConfig(c))).not.toContain('s3cret');
    expect(c.storage.password).toBe('s3cret');
  });
});
