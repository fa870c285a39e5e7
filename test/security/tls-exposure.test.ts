import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load.ts';
import { buildCollector } from '../../collector/server.ts';
import { checkExposure, isLoopback } from '../../collector/auth/exposure.ts';
import { generateKey, hashKey } from '../../collector/auth/keys.ts';
import { createTestStore } from '../helpers/store.ts';
import { httpsRequest, recentMs, selfSignedCert, startSecureServer } from './helpers.ts';
import type { Store } from '../../storage/client.ts';

let shared: { store: Store; dataDir: string; cleanup: () => Promise<void> };
let tmp: string;
beforeAll(async () => {
  shared = await createTestStore();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-tls-'));
});
afterAll(async () => {
  await shared?.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const config = (o: Record<string, unknown>) => loadConfig({ overrides: { 'storage.dataDir': shared.dataDir, ...o } });
const build = (o: Record<string, unknown>) => buildCollector({ store: shared.store, config: config(o), logger: pino({ level: 'silent' }) });

describe('exposure: no open collector on the network', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'example.com', '::ffff:10.0.0.1']) expect(isLoopback(h)).toBe(false);
  });

  it('refuses to start on a non-loopback address without keys, naming key, value and what is expected', () => {
    expect(() => build({ 'server.host': '0.0.0.0' })).toThrow(
      expect.objectContaining({ code: 'MW_ERR_CONFIG_INVALID', message: expect.stringMatching(/server\.host: got "0\.0\.0\.0", expected a loopback address .*auth\.allowAnonymous: true/) }),
    );
    // With a key, with keys from the table, or with an explicit opt-out, it starts.
    expect(() => checkExposure(config({ 'server.host': '0.0.0.0', 'auth.keys': [{ id: 'k', hash: hashKey(generateKey('k')), access: ['write'] }] }))).not.toThrow();
    expect(() => checkExposure(config({ 'server.host': '0.0.0.0', 'auth.table': true }))).not.toThrow();
    expect(() => checkExposure(config({ 'server.host': '0.0.0.0', 'auth.allowAnonymous': true }))).not.toThrow();
    expect(() => checkExposure(config({ 'server.host': '127.0.0.1' }))).not.toThrow();
  });

  it('refuses a key naming an undefined tenant, and a half-configured TLS', () => {
    expect(() => build({ 'auth.keys': [{ id: 'k', hash: hashKey(generateKey('k')), tenants: ['nope'], access: ['read'] }] })).toThrow(
      expect.objectContaining({ code: 'MW_ERR_CONFIG_INVALID', message: expect.stringContaining('auth.keys[0] (k): tenant "nope": expected a tenant defined under auth.tenants') }),
    );
    expect(() => build({ 'server.tls.certFile': '/nonexistent/cert.pem' })).toThrow(expect.objectContaining({ message: expect.stringContaining('server.tls.keyFile') }));
    expect(() => build({ 'server.tls.certFile': '/nonexistent/cert.pem', 'server.tls.keyFile': '/nonexistent/key.pem' })).toThrow(
      expect.objectContaining({ code: 'MW_ERR_CONFIG_INVALID', message: expect.stringContaining('server.tls.keyFile: got "/nonexistent/key.pem", expected a readable PEM file (ENOENT)') }),
    );
  });
});

describe('TLS', () => {
  it('serves ingest and the read API over HTTPS with a self-signed certificate, keys included', async () => {
    const { keyFile, certFile, cert } = selfSignedCert(tmp);
    const key = generateKey('tls-client');
    const srv = await startSecureServer(
      { 'server.tls.keyFile': keyFile, 'server.tls.certFile': certFile, 'auth.keys': [{ id: 'tls-client', hash: hashKey(key), access: ['read', 'write'] }] },
      { store: shared },
    );
    try {
      expect(srv.url).toMatch(/^https:/);
      expect(await httpsRequest(`${srv.url}/healthz`, { ca: cert })).toEqual({ status: 200, body: '{"status":"ok"}' });
      const body = JSON.stringify({ model: 'tls-model', timestamp: recentMs(), prediction: 1, features: { a: 1 } });
      const noKey = await httpsRequest(`${srv.url}/v1/predictions`, { ca: cert, method: 'POST', body, headers: { 'content-type': 'application/json' } });
      expect(noKey.status).toBe(401);
      const res = await httpsRequest(`${srv.url}/v1/predictions`, { ca: cert, method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } });
      expect(res).toEqual({ status: 200, body: '{"accepted":1,"rejected":0}' });
      await srv.collector.writer.flush();
      const read = await httpsRequest(`${srv.url}/api/v1/models/tls-model/predictions`, { ca: cert, headers: { authorization: `Bearer ${key}` } });
      expect(read.status).toBe(200);
      expect(JSON.parse(read.body)).toHaveLength(1);
      // The certificate is checked: a client trusting nothing refuses it...
      await expect(httpsRequest(`${srv.url}/healthz`, { ca: Buffer.from('') })).rejects.toThrow();
      // ...and plain HTTP on the TLS port gets no HTTP answer.
      const plain = await new Promise<string>((resolve) => {
        http.get(srv.url.replace('https:', 'http:') + '/healthz', (r) => resolve(`status ${r.statusCode}`)).on('error', (e) => resolve(`error ${e.message}`));
      });
      expect(plain).not.toBe('status 200');
    } finally {
      await srv.stop();
    }
  });
});
