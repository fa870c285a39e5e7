/**
 * Live reload of alerts.yaml: on SIGHUP and when the file changes on disk (fs.watch, debounced), the
 * file is read and validated; a valid file replaces the engine's rules (state kept per rule name),
 * an invalid one is refused with a logged error and the running rules stay.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMwError } from '../core/errors.ts';
import type { AlertsEngine, AlertsLogger, ReloadSummary } from './engine.ts';
import { loadAlertsFile } from './rules.ts';

/** Options of {@link watchRules}. */
export interface WatchRulesOptions {
  engine: AlertsEngine;
  file: string;
  log: AlertsLogger;
  /** Quiet time after the last change event before reading the file (editors write in several steps). Default 300 ms. */
  debounceMs?: number;
  /** Watch the file for changes (default true). */
  watch?: boolean;
  /** Reload on SIGHUP (default true). */
  sighup?: boolean;
}

/** Outcome of one reload attempt. */
export type ReloadOutcome = { reloaded: ReloadSummary } | { unchanged: true } | { rejected: string[] };

/** A running watcher. */
export interface RulesWatcher {
  /** Reads the file now and applies it if it is valid and differs from what runs. */
  reload(reason: string): Promise<ReloadOutcome>;
  stop(): Promise<void>;
}

/** Starts reloading `file` into `engine` on SIGHUP and on changes. */
export function watchRules(opts: WatchRulesOptions): RulesWatcher {
  const { engine, file, log } = opts;
  const debounceMs = opts.debounceMs ?? 300;
  let current = readText(file);
  let chain: Promise<unknown> = Promise.resolve();
  let debounce: NodeJS.Timeout | undefined;
  let stopped = false;

  const attempt = async (reason: string): Promise<ReloadOutcome> => {
    const text = readText(file);
    if (text !== null && text === current) return { unchanged: true };
    let next;
    try {
      next = loadAlertsFile(file);
    } catch (err) {
      const problems = isMwError(err) && Array.isArray(err.detail?.problems) ? (err.detail.problems as string[]) : [(err as Error).message];
      log.error({ file, reason, code: isMwError(err) ? err.code : undefined, problems }, 'alert rules reload rejected; the previous rules stay in force');
      return { rejected: problems };
    }
    const summary = await engine.reload(next);
    current = text;
    log.info({ file, reason, rules: next.rules.length, ...summary }, 'alert rules reloaded');
    return { reloaded: summary };
  };
  // One reload at a time, in order.
  const reload = (reason: string): Promise<ReloadOutcome> => {
    const p = chain.then(() => attempt(reason));
    chain = p.catch(() => undefined);
    return p;
  };

  const onSighup = () => void reload('SIGHUP').catch((err) => log.error({ err: (err as Error).message }, 'alert rules reload failed'));
  if (opts.sighup !== false) process.on('SIGHUP', onSighup);

  let watcher: fs.FSWatcher | undefined;
  if (opts.watch !== false) {
    // Watch the directory, not the file: editors and config tools replace the file (a new inode),
    // which a watch on the file itself would stop seeing.
    const dir = path.dirname(path.resolve(file));
    const base = path.basename(file);
    try {
      watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
        if (stopped || (name !== null && name.toString() !== base)) return;
        if (debounce) clearTimeout(debounce);
        debounce = setTimeout(() => {
          debounce = undefined;
          if (!stopped) void reload('file changed').catch((err) => log.error({ err: (err as Error).message }, 'alert rules reload failed'));
        }, debounceMs);
        debounce.unref?.();
      });
      watcher.on('error', (err) => log.warn({ file, err: err.message }, 'watching the alert rules file failed; SIGHUP still reloads'));
    } catch (err) {
      log.warn({ file, err: (err as Error).message }, 'cannot watch the alert rules file; SIGHUP still reloads');
    }
  }

  return {
    reload,
    async stop() {
      stopped = true;
      if (debounce) clearTimeout(debounce);
      watcher?.close();
      process.off('SIGHUP', onSighup);
      await chain.catch(() => undefined);
    },
  };
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
