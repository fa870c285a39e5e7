/**
 * `modelwatch serve` as a child process of the demo: started on the demo's config, its output
 * kept in a log file, stopped with SIGTERM (SIGKILL if it does not go).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

/** A running serve child. */
export interface ServeChild {
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the child ends. */
  exited: Promise<number | string | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
  stop(graceMs?: number): Promise<number | string | null>;
  /** The last lines of its output, for error messages. */
  tail(lines?: number): string;
}

/** Options of {@link startServeChild}. */
export interface ServeChildOptions {
  config: string;
  port: number;
  /** Embedded data directory, or a ClickHouse URL. */
  dataDir?: string;
  clickhouseUrl?: string;
  logFile: string;
}

/** Starts serve and resolves once it listens; rejects with its output if it exits first. */
export async function startServeChild(o: ServeChildOptions): Promise<ServeChild> {
  // Flags, not only the config file: they win over MODELWATCH_* variables the user may have set.
  const args = [path.join(ROOT, 'bin/modelwatch.mjs'), 'serve', '--config', o.config, '--port', String(o.port), '--host', '127.0.0.1'];
  if (o.clickhouseUrl) args.push('--clickhouse-url', o.clickhouseUrl);
  else if (o.dataDir) args.push('--data-dir', o.dataDir);
  const log = fs.openSync(o.logFile, 'a');
  // Own process group: a Ctrl-C in the terminal reaches the demo only, which then stops serve in order.
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', log, 'pipe'], detached: true });
  fs.closeSync(log);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    try {
      fs.appendFileSync(o.logFile, d);
    } catch {
      // the log is a convenience
    }
  });
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const tail = (lines = 20): string => {
    let text = stderr;
    try {
      text = fs.readFileSync(o.logFile, 'utf8');
    } catch {
      // fall back to what stderr gave
    }
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  };
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (/listening on http:\/\//.test(stderr)) {
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`modelwatch serve exited (${code}) before listening:\n${tail()}`)));
  });
  return {
    child,
    exited,
    tail,
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        timer.unref();
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}
