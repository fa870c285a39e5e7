import fs from 'node:fs';
import type { Config } from '../../core/config/schema.ts';
import { MwError } from '../../core/errors.ts';
import { authEnabled } from './key-source.ts';

function invalid(key: string, value: unknown, expected: string): MwError {
  const problem = `${key}: got ${JSON.stringify(value)}, expected ${expected}`;
  return new MwError('MW_ERR_CONFIG_INVALID', problem, { problems: [problem] });
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Refuses to expose an open collector: binding a non-loopback address needs API keys, unless
 * `auth.allowAnonymous` says the network in front does the access control.
 */
export function checkExposure(config: Config): void {
  if (isLoopback(config.server.host) || authEnabled(config.auth) || config.auth.allowAnonymous) return;
  throw invalid(
    'server.host',
    config.server.host,
    'a loopback address (127.0.0.1, ::1, localhost) while no API key is configured: add auth.keys (modelwatch keys create) or auth.table, or set auth.allowAnonymous: true',
  );
}

/** fastify's `https` option from `server.tls`, or null when TLS is off; unreadable files stop start-up. */
export function tlsOptions(config: Config, readFile: (f: string) => Buffer = (f) => fs.readFileSync(f)): { key: Buffer; cert: Buffer } | null {
  const { keyFile, certFile } = config.server.tls;
  if (!keyFile && !certFile) return null;
  if (!keyFile) throw invalid('server.tls.keyFile', keyFile, 'the private key (PEM) file, since server.tls.certFile is set');
  if (!certFile) throw invalid('server.tls.certFile', certFile, 'the certificate (PEM) file, since server.tls.keyFile is set');
  const read = (key: string, file: string) => {
    try {
      return readFile(file);
    } catch (err) {
      throw invalid(key, file, `a readable PEM file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  return { key: read('server.tls.keyFile', keyFile), cert: read('server.tls.certFile', certFile) };
}
