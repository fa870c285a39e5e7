import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMwError } from '../../core/errors.ts';
import { describeReference, fileSource, parseReference, referenceWindow } from './reference.ts';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return isMwError(err) ? err.code : String(err);
  }
};

describe('reference files', () => {
  it('picks the ClickHouse format from the extension', () => {
    expect(fileSource('/data/train.csv')).toEqual({ kind: 'file', path: '/data/train.csv', format: 'CSVWithNames' });
    expect(fileSource('/data/train.parquet').format).toBe('Parquet');
    expect(fileSource('/data/train.jsonl').format).toBe('JSONEachRow');
    expect(fileSource('/data/x.bin', { format: 'ndjson' }).format).toBe('JSONEachRow');
  });
  it('refuses globs, quotes, escapes, unknown formats and paths outside the root', () => {
    for (const bad of ['/d/*.csv', '/d/{a,b}.csv', "/d/a'.csv", '/d/a\\.csv', '', '/d/a.xlsx']) {
      expect(codeOf(() => fileSource(bad)), bad).toBe('MW_ERR_REFERENCE_INVALID');
    }
    expect(codeOf(() => fileSource('/etc/passwd.csv', { root: '/srv/refs' }))).toBe('MW_ERR_REFERENCE_INVALID');
    expect(fileSource('/srv/refs/a/b.csv', { root: '/srv/refs' }).path).toBe(path.resolve('/srv/refs/a/b.csv'));
  });
});

describe('parseReference', () => {
  const cur = { from: new Date('2026-01-01T01:00:00Z'), to: new Date('2026-01-01T02:00:00Z') };
  it('reads previous, a time range and a file', () => {
    expect(parseReference(undefined)).toEqual({ kind: 'previous' });
    const r = parseReference('2025-12-01T00:00:00Z..2025-12-02T00:00:00Z');
    expect(r).toEqual({ kind: 'range', window: { from: new Date('2025-12-01T00:00:00Z'), to: new Date('2025-12-02T00:00:00Z') } });
    expect(parseReference('file:/srv/refs/t.csv', { fileRoot: '/srv/refs' })).toMatchObject({ kind: 'file', format: 'CSVWithNames' });
  });
  it('rejects files when not allowed, and reversed or malformed ranges', () => {
    expect(codeOf(() => parseReference('file:/srv/refs/t.csv', { allowFiles: false }))).toBe('MW_ERR_REFERENCE_INVALID');
    expect(codeOf(() => parseReference('2025-12-02T00:00:00Z..2025-12-01T00:00:00Z'))).toBe('MW_ERR_REFERENCE_INVALID');
    expect(codeOf(() => parseReference('yesterday'))).toBe('MW_ERR_REFERENCE_INVALID');
  });
  it('describes a reference as stored with each result row', () => {
    expect(referenceWindow({ kind: 'previous' }, cur)).toEqual({ from: new Date('2026-01-01T00:00:00Z'), to: cur.from });
    expect(describeReference({ kind: 'previous' }, cur)).toBe('previous:2026-01-01T00:00:00.000Z..2026-01-01T01:00:00.000Z');
    expect(describeReference(fileSource('/r/t.csv'), cur)).toBe('file:/r/t.csv');
  });
  it('previous:<length> is the stretch of that length just before the window', () => {
    expect(parseReference('previous:7d')).toEqual({ kind: 'previous', lengthMs: 7 * 86_400_000 });
    expect(referenceWindow(parseReference('previous:29d'), cur)).toEqual({ from: new Date('2025-12-03T01:00:00Z'), to: cur.from });
    expect(referenceWindow(parseReference('previous:90m'), cur)).toEqual({ from: new Date('2025-12-31T23:30:00Z'), to: cur.from });
    expect(describeReference(parseReference('previous:24h'), cur)).toBe('previous:2025-12-31T01:00:00.000Z..2026-01-01T01:00:00.000Z');
    for (const bad of ['previous:', 'previous:0d', 'previous:7w', 'previous:1234567d', 'previous:-1h', 'previous:1.5d']) {
      expect(codeOf(() => parseReference(bad)), bad).toBe('MW_ERR_REFERENCE_INVALID');
    }
  });
});
