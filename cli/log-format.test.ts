import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../core/config/load.ts';
import { createLogger } from './context.ts';
import { formatLogLine, resolveLogFormat, useColor } from './log-format.ts';

/** A logger writing into an array, on a pretend terminal or pipe. */
function capture(tty: boolean, overrides: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const log = createLogger(loadConfig({ overrides }), { isTTY: tty, write: (s: string) => void lines.push(s) });
  return { log, text: () => lines.join('') };
}

const LINE = /^\d\d:\d\d:\d\d (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) /;

describe('log format', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('auto is pretty on a terminal and JSON otherwise; explicit formats win', () => {
    expect(resolveLogFormat('auto', { isTTY: true })).toBe('pretty');
    expect(resolveLogFormat('auto', { isTTY: false })).toBe('json');
    expect(resolveLogFormat('auto', {})).toBe('json');
    expect(resolveLogFormat('json', { isTTY: true })).toBe('json');
    expect(resolveLogFormat('pretty', { isTTY: false })).toBe('pretty');
    expect(() => loadConfig({ overrides: { 'log.format': 'yaml' } })).toThrow(/log\.format: got "yaml", expected one of auto, json, pretty/);
    expect(loadConfig({ env: { MODELWATCH_LOG_FORMAT: 'json' } }).log.format).toBe('json');
  });

  it('colours only on a terminal without NO_COLOR', () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(useColor({ isTTY: false }, {})).toBe(false);
  });

  it('writes one short line per event on a terminal: time, level, message, key=value', () => {
    vi.stubEnv('NO_COLOR', '1');
    const { log, text } = capture(true);
    log.info({ address: 'http://127.0.0.1:4318', mode: 'embedded', rows: 3, note: 'two words' }, 'modelwatch listening');
    log.warn('disk almost full');
    log.debug('not at info');
    const lines = text().split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(LINE);
    expect(lines[0]).toMatch(/INFO {2}modelwatch listening address=http:\/\/127\.0\.0\.1:4318 mode=embedded rows=3 note="two words"$/);
    expect(lines[1]).toMatch(/WARN {2}disk almost full$/);
    expect(text()).not.toContain('\x1b');
    vi.stubEnv('NO_COLOR', '');
    vi.stubEnv('TERM', 'xterm');
    const coloured = capture(true);
    coloured.log.warn('disk almost full');
    expect(coloured.text()).toContain('\x1b[33mWARN \x1b[0m disk almost full');
  });

  it('shows a request as method, URL, status and time, and an error by its message (stack only at debug)', () => {
    const o = { level: 20, time: Date.now(), reqId: 'req-1', req: { method: 'GET', url: '/readyz', remotePort: 1 }, res: { statusCode: 200 }, responseTime: 1.234, msg: 'request completed' };
    expect(formatLogLine(o, { color: false, stacks: false })).toMatch(/DEBUG request completed GET \/readyz status=200 ms=1\.2 reqId=req-1\n$/);
    const err = { type: 'MwError', message: 'ClickHouse is unreachable', stack: 'MwError: ClickHouse is unreachable\n    at open (store.ts:1:1)' };
    const short = formatLogLine({ level: 50, time: Date.now(), err, msg: 'insert failed' }, { color: false, stacks: false });
    expect(short).toMatch(/ERROR insert failed err="MwError: ClickHouse is unreachable"\n$/);
    const long = formatLogLine({ level: 50, time: Date.now(), err, msg: 'insert failed' }, { color: false, stacks: true });
    expect(long.split('\n')).toHaveLength(4);
    expect(long).toContain('    at open (store.ts:1:1)');
  });

  it('keeps terminal escape sequences from logged values out of the terminal', () => {
    const line = formatLogLine({ level: 30, time: Date.now(), model: 'evil\x1b[2Jname', msg: 'bad\x1b]0;title\x07 model' }, { color: false, stacks: false });
    expect(line).not.toContain('\x1b');
    expect(line).not.toContain('\x07');
    expect(line).toContain('model="evil\\u001b[2Jname"');
  });

  it('redacts secrets in both formats', () => {
    for (const tty of [true, false]) {
      const { log, text } = capture(tty);
      log.info({ storage: { password: 'pw-s3cret' }, headers: { authorization: 'Bearer tok-s3cret', 'x-api-key': 'key-s3cret' }, privacy: { hmacKey: 'hmac-s3cret' } }, 'config');
      expect(text()).toContain('[Redacted]');
      expect(text()).not.toMatch(/s3cret/);
    }
  });

  it('JSON mode writes the pino lines it always did', () => {
    const { log, text } = capture(false);
    log.info({ address: 'http://127.0.0.1:4318' }, 'modelwatch listening');
    expect(JSON.parse(text())).toMatchObject({ level: 30, msg: 'modelwatch listening', address: 'http://127.0.0.1:4318', pid: process.pid });
  });
});
