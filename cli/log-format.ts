/**
 * The human-readable log format: pino still builds (and redacts) every JSON line, and this
 * destination turns each one into `HH:MM:SS LEVEL message key=value ...` in-process (no worker
 * thread: a CLI that exits right after its last line must not lose it).
 */
import type { Config } from '../core/config/schema.ts';

/** A log format once `auto` is decided. */
export type ResolvedLogFormat = 'json' | 'pretty';

/** Decides `auto`: pretty when `stream` (stdout, where logs go) is a terminal, JSON otherwise. */
export function resolveLogFormat(format: Config['log']['format'], stream: { isTTY?: boolean } = process.stdout): ResolvedLogFormat {
  if (format === 'auto') return stream.isTTY ? 'pretty' : 'json';
  return format;
}

/** Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org) or TERM is dumb. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** Options of {@link formatLogLine}. */
export interface PrettyOptions {
  color: boolean;
  /** Print error stacks under the line (at debug and trace; a terminal at info wants one line per event). */
  stacks: boolean;
}

const LEVELS: Record<number, [name: string, color: string]> = {
  10: ['TRACE', '90'],
  20: ['DEBUG', '36'],
  30: ['INFO ', '32'],
  40: ['WARN ', '33'],
  50: ['ERROR', '31'],
  60: ['FATAL', '1;31'],
};
// pino's own fields, and the ones a terminal line shows in its fixed places.
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v', 'req', 'res', 'responseTime', 'err']);
const MAX_VALUE = 200;

const paint = (on: boolean, code: string, text: string): string => (on ? `\x1b[${code}m${text}\x1b[0m` : text);

// Log fields can carry text from the network (model names, URLs): no escape sequence reaches the terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const clean = (text: string): string => text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

function value(v: unknown): string {
  let text: string;
  if (typeof v === 'string') text = /^[^\s"=\\\p{Cc}]+$/u.test(v) ? v : JSON.stringify(v);
  else if (typeof v === 'number' || typeof v === 'boolean' || v === null) text = String(v);
  else text = JSON.stringify(v) ?? String(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function clock(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** One pino JSON object as a terminal line (with the error stack below it when asked). */
export function formatLogLine(o: Record<string, any>, opts: PrettyOptions): string {
  const [name, color] = LEVELS[o.level] ?? [String(o.level).toUpperCase().padEnd(5), '0'];
  const parts = [paint(opts.color, '2', clock(typeof o.time === 'number' ? o.time : Date.now())), paint(opts.color, color, name)];
  if (typeof o.msg === 'string' && o.msg) parts.push(clean(o.msg));
  // fastify's request lines: "GET /readyz status=200 ms=1.2" rather than two JSON blobs.
  if (o.req && typeof o.req === 'object') parts.push(clean(`${o.req.method ?? ''} ${o.req.url ?? ''}`.trim()));
  if (o.res && typeof o.res === 'object' && o.res.statusCode !== undefined) parts.push(`${paint(opts.color, '2', 'status=')}${o.res.statusCode}`);
  if (typeof o.responseTime === 'number') parts.push(`${paint(opts.color, '2', 'ms=')}${o.responseTime.toFixed(1)}`);
  const err = o.err && typeof o.err === 'object' ? o.err : undefined;
  if (err) parts.push(`${paint(opts.color, '2', 'err=')}${value(err.type && err.type !== 'Error' ? `${err.type}: ${err.message}` : err.message ?? '')}`);
  else if (o.err !== undefined) parts.push(`${paint(opts.color, '2', 'err=')}${value(o.err)}`);
  for (const [k, v] of Object.entries(o)) {
    if (SKIP.has(k) || v === undefined) continue;
    parts.push(`${paint(opts.color, '2', `${clean(k)}=`)}${value(v)}`);
  }
  let line = parts.join(' ');
  if (opts.stacks && typeof err?.stack === 'string') line += '\n' + clean(err.stack).split('\n').map((l) => `    ${l.trim()}`).join('\n');
  return line + '\n';
}

/**
 * A pino destination that writes each JSON line it is given as a terminal line to `out`; a line
 * that is not JSON passes through as it is.
 */
export function prettyDestination(out: { write(text: string): unknown }, opts: PrettyOptions): { write(line: string): void } {
  return {
    write(line: string) {
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch {
        out.write(line);
        return;
      }
      out.write(o && typeof o === 'object' ? formatLogLine(o as Record<string, any>, opts) : line);
    },
  };
}
