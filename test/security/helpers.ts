import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../core/config/load.ts';
import type { Config } from '../../core/config/schema.ts';
import { createStore, type Store } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { buildCollector, type Collector } from '../../collector/server.ts';

/** A collector over a fresh embedded store whose log lines (JSON, debug level) are kept in memory. */
export interface SecureServer {
  url: string;
  store: Store;
  config: Config;
  collector: Collector;
  /** Every log line written so far, as text. */
  logText(): string;
  stop(): Promise<void>;
}

/** Starts a collector with config overrides; `extend` registers more routes before listen. */
export async function startSecureServer(
  overrides: Record<string, unknown>,
  opts: { extend?: (app: FastifyInstance, store: Store) => void; store?: { store: Store; dataDir: string } } = {},
): Promise<SecureServer> {
  const dataDir = opts.store?.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mw-sec-'));
  const config = loadConfig({ overrides: { 'storage.dataDir': dataDir, 'server.port': 0, 'writer.flushIntervalMs': 50, ...overrides } });
  const store = opts.store?.store ?? (await createStore({ dataDir }));
  if (!opts.store) await migrate(store);
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  const collector = buildCollector({ store, config, logger });
  opts.extend?.(collector.app, store);
  await collector.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (collector.app.server.address() as { port: number }).port;
  const scheme = config.server.tls.certFile ? 'https' : 'http';
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    store,
    config,
    collector,
    logText: () => lines.join(''),
    async stop() {
      await collector.app.close();
      await collector.writer.close();
      if (!opts.store) {
        await store.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** A self-signed certificate for 127.0.0.1 made with the openssl CLI (node:crypto cannot make one). */
export function selfSignedCert(dir: string): { keyFile: string; certFile: string; cert: Buffer } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { keyFile, certFile, cert: fs.readFileSync(certFile) };
}

/** One HTTPS request trusting only `ca`; resolves with status and body text. */
export function httpsRequest(url: string, opts: { ca: Buffer; method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: opts.method ?? 'GET', headers: opts.headers, ca: opts.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Polls `check` until it returns true or the deadline passes (generous: the machine is shared). */
export async function waitFor(check: () => Promise<boolean>, what: string, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A recent timestamp (rows older than the retention TTL are refused). */
export const recentMs = (agoMs = 60_000) => Date.now() - agoMs;
