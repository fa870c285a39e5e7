/**
 * `modelwatch serve` as a person sees it in a terminal and as a machine reads it through a pipe.
 * The terminal is a real pseudo-terminal (util-linux `script`), stopped with Ctrl-C typed into it;
 * the pipe runs go through startServe like the other end-to-end tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { startServe, stopAllServes, until } from './serve-process.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(os.tmpdir(), 'mw-e2e-term-'));
afterAll(async () => {
  await stopAllServes();
  rmSync(work, { recursive: true, force: true });
});

// Summary every second (not every minute) so the test sees it; flushes and alert evaluation quick.
const CONFIG = { writer: { flushIntervalMs: 50 }, alerts: { evaluationIntervalMs: 300 }, log: { summaryIntervalMs: 1000 } };
const RULES = { rules: [{ name: 'HighErrorRate', condition: { kind: 'error_rate', op: '>', value: '10%', window: '5m', min_count: 1 }, severity: 'critical' }] };

/** Three predictions (two failed: the error-rate rule fires) and one line that is not JSON. */
async function traffic(url: string): Promise<void> {
  const now = Date.now();
  const lines = [0, 1, 2].map((i) => JSON.stringify({ model: 'term', id: `p${i}`, timestamp: now, error: i < 2 ? 'TimeoutError' : undefined, features: { x: i } }));
  const res = await fetch(`${url}/v1/predictions`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: [...lines, '{not json'].join('\n') });
  expect(await res.json()).toMatchObject({ accepted: 3, rejected: 1 });
  expect((await fetch(`${url}/readyz`)).status).toBe(200);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs serve under a pseudo-terminal; resolves with what the terminal showed, once it has exited. */
function serveInTerminal(args: string[], during: (url: string, output: () => string) => Promise<void>): Promise<{ code: number | null; output: string }> {
  // exec: the pty's foreground process is serve itself, so Ctrl-C reaches it as SIGINT.
  const command = `exec ${[process.execPath, path.join(ROOT, 'bin/modelwatch.mjs'), 'serve', ...args].map(quote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ran = (async () => {
    const url = await Promise.race([
      until(() => /listening on (http:\/\/[^\s]+)/.exec(out)?.[1]),
      exited.then((code) => Promise.reject(new Error(`serve exited with ${code} before listening:\n${out}`))),
    ]);
    await during(url, () => out);
    child.stdin.write('\x03');
    return { code: await exited, output: out };
  })();
  return ran.finally(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

/** The numbers of the summary lines (key=value of the pretty format), summed over the lines. */
function summaryTotals(lines: string[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const l of lines.filter((x) => / INFO {2}summary /.test(x))) {
    for (const [, k, v] of l.matchAll(/ (\w+)=(\d+)/g)) sums[k] = (sums[k] ?? 0) + Number(v);
  }
  return sums;
}

describe('serve output: short lines on a terminal, JSON through a pipe', () => {
  it('under a pseudo-terminal: what is listening, a summary line, no request lines, no colours with NO_COLOR', { timeout: 60_000 }, async () => {
    expect(spawnSync('script', ['--version']).status, '`script` (Debian package bsdutils) runs the pseudo-terminal').toBe(0);
    const rules = path.join(work, 'rules.yaml');
    const config = path.join(work, 'terminal.yaml');
    writeFileSync(rules, YAML.stringify(RULES));
    writeFileSync(config, YAML.stringify({ ...CONFIG, analyzer: { intervalMs: 1000 } }));
    const dataDir = path.join(work, 'terminal');
    let url = '';
    const run = await serveInTerminal(['--data-dir', dataDir, '--port', '0', '--config', config, '--alerts', rules], async (u, output) => {
      url = u;
      await traffic(u);
      const lines = () => output().split(/\r?\n/);
      // Rows counted when accepted, predictions when written, alerts when evaluated: wait for all three.
      await until(() => {
        const t = summaryTotals(lines());
        return t.accepted === 3 && t.predictions === 3 && lines().some((l) => / summary .*alerts_firing=1/.test(l));
      });
    });
    const context = `terminal output:\n${run.output}`;
    expect(run.code, context).toBe(0);
    // The pty echoes the Ctrl-C as "^C" in front of the next line.
    const lines = run.output.split(/\r?\n/).map((l) => l.replace(/^\^C/, '')).filter(Boolean);
    for (const l of lines) expect(l, context).toMatch(/^\d\d:\d\d:\d\d (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/);
    expect(run.output, context).not.toContain('\x1b');
    expect(lines.filter((l) => l.includes('listening on')), context).toEqual([expect.stringMatching(new RegExp(`INFO {2}modelwatch \\(embedded ClickHouse in ${escape(dataDir)}\\) listening on ${escape(url)}$`))]);
    for (const s of ['incoming request', 'request completed', '/v1/predictions', '/readyz', '{"level"', 'analyzer pass done']) expect(run.output, context).not.toContain(s);
    expect(summaryTotals(lines), context).toMatchObject({ seconds: expect.any(Number), accepted: 3, rejected: 1, predictions: 3, analyzer_passes: expect.any(Number) });
    expect(summaryTotals(lines).analyzer_passes, context).toBeGreaterThan(0);
    expect(lines.at(-1), context).toMatch(/INFO {2}stopped$/);
  });

  it('through a pipe: every stdout line is JSON; request lines only at --log-level debug', { timeout: 60_000 }, async () => {
    const parse = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => {
      try {
        return JSON.parse(l) as Record<string, any>;
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
    const requestLines = (entries: Record<string, any>[]) => entries.filter((e) => e.msg === 'incoming request' || e.msg === 'request completed' || e.req);

    const info = await startServe({ dataDir: path.join(work, 'pipe-info'), config: { ...CONFIG, analyzer: { enabled: false } } });
    await traffic(info.url);
    await until(() => parse(info.stdout()).filter((e) => e.msg === 'summary').reduce((n, e) => n + e.predictions, 0) === 3);
    expect(await info.stop()).toBe(0);
    const entries = parse(info.stdout());
    for (const e of entries) expect(e).toMatchObject({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String) });
    expect(entries.find((e) => e.msg === 'modelwatch listening')).toMatchObject({ level: 30, address: info.url, mode: 'embedded' });
    expect(requestLines(entries)).toEqual([]);
    expect(info.stdout()).not.toContain('/v1/predictions');
    const summaries = entries.filter((e) => e.msg === 'summary');
    expect(summaries[0]).toMatchObject({ level: 30, seconds: 1, accepted: expect.any(Number), rejected: expect.any(Number), predictions: expect.any(Number) });
    expect(summaries.reduce((n, e) => n + e.accepted, 0)).toBe(3);
    expect(summaries.reduce((n, e) => n + e.rejected, 0)).toBe(1);
    expect(info.stderr()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);

    const debug = await startServe({ dataDir: path.join(work, 'pipe-debug'), config: { ...CONFIG, analyzer: { enabled: false } }, args: ['--log-level', 'debug'] });
    await traffic(debug.url);
    await until(() => requestLines(parse(debug.stdout())).filter((e) => e.msg === 'request completed').length >= 2);
    expect(await debug.stop()).toBe(0);
    const completed = requestLines(parse(debug.stdout())).filter((e) => e.msg === 'request completed');
    expect(completed.map((e) => `${e.req.method} ${e.req.url} ${e.res.statusCode}`)).toEqual(['POST /v1/predictions 200', 'GET /readyz 200']);
    for (const e of completed) expect(e).toMatchObject({ level: 20, reqId: expect.any(String), responseTime: expect.any(Number) });
  });
});
