/**
 * Runs the real `modelwatch serve` command as a child process, as an operator would, so end-to-end
 * tests exercise its flag parsing, wiring and shutdown rather than an in-process copy of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import YAML from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** A running `serve` child. */
export interface ServeProcess {
  /** Base URL, e.g. http://127.0.0.1:41234 (read from serve's "listening on" line). */
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** Everything the child wrote to stdout (pino JSON lines) so far. */
  stdout(): string;
  /** Sends SIGTERM and resolves with the exit code once the process has ended. */
  stop(): Promise<number | null>;
}

/** Options of {@link startServe}. */
export interface ServeOptions {
  dataDir: string;
  /** 0 (default) lets the system pick a free port. */
  port?: number;
  /** Config file contents (written to dataDir/../<name>.yaml as YAML). */
  config?: Record<string, unknown>;
  /** Extra CLI arguments (e.g. ['--alerts', file]). */
  args?: string[];
}

const running = new Set<ServeProcess>();
// A test that fails midway must not leave a serve behind holding its data directory.
process.on('exit', () => {
  for (const s of running) s.child.kill('SIGKILL');
});

/** Stops every serve still running (for afterAll, before the data directory is removed). */
export async function stopAllServes(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

/** A free loopback port (for a server that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts `node bin/modelwatch.mjs serve` and waits for its "listening on" line. */
export async function startServe(opts: ServeOptions): Promise<ServeProcess> {
  const args = [path.join(ROOT, 'bin/modelwatch.mjs'), 'serve', '--data-dir', opts.dataDir, '--port', String(opts.port ?? 0)];
  if (opts.config) {
    const file = `${opts.dataDir.replace(/\/+$/, '')}.config.yaml`;
    fs.writeFileSync(file, YAML.stringify(opts.config));
    args.push('--config', file);
  }
  args.push(...(opts.args ?? []));
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m) {
        child.stderr!.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`serve exited with ${code} before listening:\n${err}`)));
  });
  const serve: ServeProcess = {
    url,
    port: Number(new URL(url).port),
    child,
    stderr: () => err,
    stdout: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  running.add(serve);
  void exited.then(() => running.delete(serve));
  return serve;
}

/** Polls `check` every `everyMs` until it returns a truthy value (no deadline of its own: the test timeout bounds it). */
export async function until<T>(check: () => Promise<T> | T, everyMs = 50): Promise<NonNullable<T>> {
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
