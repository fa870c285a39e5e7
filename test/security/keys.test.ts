import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerKeys } from '../../cli/commands/keys.ts';
import { generateKey, hashKey, keyFromHeaders, KeyRing, parseKeyHash, type KeyRecord } from '../../collector/auth/keys.ts';
import { principalOf } from '../../collector/auth/scope.ts';
import { routeNeed } from '../../collector/auth/hook.ts';
import { applyWriteScope } from '../../collector/auth/write-scope.ts';
import { configKeyRecords } from '../../collector/auth/key-source.ts';
import { loadConfig } from '../../core/config/load.ts';

const rec = (id: string, key: string, over: Partial<KeyRecord> = {}): KeyRecord => ({ id, hash: parseKeyHash(hashKey(key)), tenants: [], models: [], access: ['read'], source: 'config', ...over });

describe('API keys', () => {
  it('are mw_<id>_<256 random bits>, stored as sha256 of the whole key', () => {
    const k = generateKey('fraud-writer');
    expect(k).toMatch(/^mw_fraud-writer_[0-9a-f]{64}$/);
    expect(generateKey('fraud-writer')).not.toBe(k);
    expect(hashKey(k)).toBe(`sha256:${createHash('sha256').update(k).digest('hex')}`);
    expect(() => generateKey('bad_id')).toThrow(/letters, digits and '-'/);
  });

  it('verify: the right key, nothing for a wrong secret, an unknown id or garbage; hand-made secrets work too', () => {
    const a = generateKey('a');
    const b = generateKey('b');
    const ring = new KeyRing([rec('a', a), rec('b', b), rec('hand', 'a hand-made secret of some length')]);
    expect(ring.verify(a)?.id).toBe('a');
    expect(ring.verify(b)?.id).toBe('b');
    expect(ring.verify(a.replace(/.$/, (c) => (c === '0' ? '1' : '0')))).toBeNull();
    // b's secret under a's id: the id picks the record, the digest must match it.
    expect(ring.verify(`mw_a_${b.slice(-64)}`)).toBeNull();
    expect(ring.verify(generateKey('zzz'))).toBeNull();
    expect(ring.verify('')).toBeNull();
    expect(ring.verify('a hand-made secret of some length')?.id).toBe('hand');
    expect(() => parseKeyHash('md5:abc')).toThrow();
    expect(parseKeyHash('ab'.repeat(32))).toHaveLength(32);
  });

  it('are read from Authorization: Bearer, else x-api-key', () => {
    expect(keyFromHeaders({ authorization: 'Bearer abc' })).toBe('abc');
    expect(keyFromHeaders({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(keyFromHeaders({ authorization: 'Basic abc' })).toBeUndefined();
    expect(keyFromHeaders({ 'x-api-key': ' abc ' })).toBe('abc');
    expect(keyFromHeaders({ authorization: 'Bearer one', 'x-api-key': 'two' })).toBe('one');
    expect(keyFromHeaders({})).toBeUndefined();
  });

  it('scopes: tenants and models add up; no tenant and no model = every model; unknown tenants grant nothing', () => {
    const tenants = { fraud: { models: ['fraud-*'] }, ads: { models: ['ctr'] } };
    const p = principalOf(rec('k', 'x', { tenants: ['fraud'], models: ['ctr-v2'] }), tenants);
    expect(['fraud-eu', 'ctr-v2'].every((m) => p.allows(m))).toBe(true);
    expect(['ctr', 'fraud', '', 'xfraud-eu'].some((m) => p.allows(m))).toBe(false);
    expect(p.unrestricted).toBe(false);
    const admin = principalOf(rec('a', 'x'), tenants);
    expect(admin.unrestricted && admin.allows('anything')).toBe(true);
    const orphan = principalOf(rec('o', 'x', { tenants: ['gone'] }), tenants);
    expect(orphan.unrestricted).toBe(false);
    expect(orphan.allows('fraud-eu')).toBe(false);
  });

  it('config keys: validated against tenants, ids unique', () => {
    const h = hashKey(generateKey('k'));
    const cfg = loadConfig({ overrides: { 'auth.keys': [{ id: 'k', hash: h, tenants: ['t'], access: ['read'] }], 'auth.tenants': { t: { models: ['m-*'] } } } });
    expect(configKeyRecords(cfg.auth)[0]).toMatchObject({ id: 'k', tenants: ['t'], access: ['read'] });
    const dup = loadConfig({ overrides: { 'auth.keys': [{ id: 'k', hash: h, access: ['read'] }, { id: 'k', hash: h, access: ['write'] }] } });
    expect(() => configKeyRecords(dup.auth)).toThrow(/auth\.keys\[1\]\.id: got "k": expected a unique key id/);
    expect(() => loadConfig({ overrides: { 'auth.keys': [{ id: 'k', hash: 'plain', access: ['read'] }] } })).toThrow(/auth\.keys\.0\.hash: got "plain", expected a value matching/);
    expect(() => loadConfig({ overrides: { 'auth.keys': [{ id: 'k', hash: h, access: ['admin'] }] } })).toThrow(/auth\.keys\.0\.access\.0: got "admin", expected one of read, write/);
  });

  it('routes: ingest needs write, everything but health and the UI shell needs read', () => {
    expect(routeNeed('/v1/logs')).toBe('write');
    expect(routeNeed('/v1/predictions')).toBe('write');
    expect(routeNeed('/api/v1/models')).toBe('read');
    expect(routeNeed('/metrics')).toBe('read');
    expect(routeNeed('/some/new/route')).toBe('read');
    expect(routeNeed('/healthz')).toBe('open');
    expect(routeNeed('/readyz')).toBe('open');
    expect(routeNeed('/')).toBe('open');
    expect(routeNeed('/ui/app.js')).toBe('open');
    expect(routeNeed('/uix')).toBe('read');
  });

  it('write scope: out-of-scope rows refused and named; model-less rows kept; ground truth must name its model', () => {
    const scope = principalOf(rec('k', 'x', { models: ['a-*'] }), {});
    const r = applyWriteScope(
      [
        ['predictions', [{ model: 'a-1' }, { model: 'b-1' }, { model: 'b-1' }, { model: 'b-2' }]],
        ['ground_truth', [{ model: '' }, { model: 'a-1' }]],
        ['logs', [{ attributes: {} }, { attributes: { 'ml.model.name': 'b-1' } }, { resource_attributes: { 'ml.model.name': 'a-9' } }]],
        ['gpu_samples', [{ attributes: { 'ml.model.name': 'b-1' } }]],
      ],
      scope,
      'k',
    );
    expect(r.tables.map(([t, rows]) => [t, rows.length])).toEqual([['predictions', 1], ['ground_truth', 1], ['logs', 2], ['gpu_samples', 0]]);
    expect(r.refused).toBe(5);
    expect(r.kept).toBe(4);
    expect(r.errors).toEqual([
      'model "b-1" is outside the scope of key "k"',
      'model "b-2" is outside the scope of key "k"',
      'ground truth without ml.model.name is refused for key "k", which is limited to some models',
    ]);
  });
});

describe('modelwatch keys create', () => {
  // In-process, the command alone: what it prints on stdout.
  const cli = async (args: string[]): Promise<string> => {
    const program = new Command('modelwatch').exitOverride();
    registerKeys(program);
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      await program.parseAsync(['node', 'modelwatch', 'keys', ...args]);
    } finally {
      spy.mockRestore();
    }
    return out;
  };
  afterEach(() => vi.restoreAllMocks());

  it('prints the key once and a config snippet holding only its hash', async () => {
    const out = await cli(['create', '--id', 'ci-writer', '--tenant', 'fraud', '--tenant', 'ads', '--models', 'extra-1, extra-2', '--access', 'write']);
    const key = /^(mw_ci-writer_[0-9a-f]{64})$/m.exec(out)![1];
    const snippet = YAML.parse(out.slice(out.indexOf('auth:')));
    expect(snippet).toEqual({ auth: { keys: [{ id: 'ci-writer', hash: hashKey(key), tenants: ['fraud', 'ads'], models: ['extra-1', 'extra-2'], access: ['write'] }] } });
    expect(out.split(key.slice(-64)).length).toBe(2);
  });

  it('--store inserts the hash into api_keys; list shows it without the secret; revoke marks it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-keys-'));
    try {
      const out = await cli(['create', '--id', 'stored', '--models', 'm-*', '--access', 'read', '--store', '--data-dir', dir]);
      const key = /^(mw_stored_[0-9a-f]{64})$/m.exec(out)![1];
      expect(out).not.toContain('sha256:');
      const listed = await cli(['list', '--data-dir', dir]);
      expect(listed).toContain('stored\tactive\taccess=read\ttenants=-\tmodels=m-*');
      expect(listed).not.toContain(key.slice(-64));
      await cli(['revoke', '--id', 'stored', '--data-dir', dir]);
      expect(await cli(['list', '--data-dir', dir])).toContain('stored\trevoked');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
