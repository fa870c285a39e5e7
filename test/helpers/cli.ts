import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What a command run as a child process printed, and its exit status. */
export interface CliRun {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Runs a `modelwatch` command as a child process through a runner that registers only that command
 * (the embedded engine binds one data directory per process). Resolves with the output and the
 * exit status whatever it is: tests assert 0, 1 and 2 alike.
 */
export async function runCommand(runner: string, command: string, args: string[]): Promise<CliRun> {
  try {
    const r = await run(process.execPath, ['bin/run-ts.mjs', runner, command, ...args], { cwd: process.cwd(), maxBuffer: 1 << 24 });
    return { ...r, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
