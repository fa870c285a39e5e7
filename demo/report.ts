/**
 * What the demo prints: for people, phases, a live status line and the Slack messages as the sink
 * receives them; for machines (`--json`), one JSON object per line.
 */
import type { Phase } from './scenario.ts';
import type { SlackNote } from './sink.ts';

/** An alert as the webhook receiver got it, reduced to what the demo reports. */
export interface AlertEvent {
  status: 'firing' | 'resolved';
  alertname: string;
  labels: Record<string, string>;
  value: number | null;
  summary: string;
  /** ms since the scenario started. */
  atMs: number;
  /** The phase playing when it arrived. */
  phase: string;
}

/** The end-of-run check of the expected alerts. */
export interface SummaryItem {
  name: string;
  phase: string;
  /** ms since the scenario started when it first fired, or null. */
  firedAtMs: number | null;
}

/** Where the demo's events go. */
export interface Reporter {
  start(info: { url: string; root: string; durationMs: number; phases: Phase[]; keepData: boolean; servePid?: number }): void;
  note(text: string): void;
  warn(text: string): void;
  phase(p: Phase, total: number, atMs: number): void;
  status(text: string): void;
  slack(note: SlackNote, atMs: number): void;
  alert(e: AlertEvent): void;
  summary(items: SummaryItem[]): void;
  end(code: number, info: { keptAt?: string; database?: string }): void;
}

/** `mm:ss` of a time since the start. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** One JSON object per line on `out`: {"type": ..., ...}. */
export function jsonReporter(out: NodeJS.WritableStream = process.stdout): Reporter {
  const emit = (type: string, data: Record<string, unknown>) => out.write(JSON.stringify({ type, ...data }) + '\n');
  return {
    start: (i) => emit('start', { url: i.url, dir: i.root, durationMs: i.durationMs, keepData: i.keepData, servePid: i.servePid, phases: i.phases }),
    note: (text) => emit('note', { text }),
    warn: (text) => emit('warning', { text }),
    phase: (p, total, atMs) => emit('phase', { index: p.index, of: total, name: p.name, title: p.title, description: p.description, atMs }),
    status: () => undefined,
    slack: (n, atMs) => emit('slack', { title: n.title, lines: n.lines, atMs }),
    alert: (e) => emit('alert', { ...e }),
    summary: (items) => emit('summary', { items, missing: items.filter((i) => i.firedAtMs === null).map((i) => i.name) }),
    end: (code, info) => emit('end', { code, ...(info.keptAt ? { keptAt: info.keptAt } : {}), ...(info.database ? { database: info.database } : {}) }),
  };
}

const ESC = '\u001b[';

/** Terminal output with colours and a live status line when `out` is a TTY. */
export function prettyReporter(out: NodeJS.WriteStream = process.stdout): Reporter {
  const tty = Boolean(out.isTTY);
  const paint = (code: string) => (s: string) => (tty ? `${ESC}${code}m${s}${ESC}0m` : s);
  const bold = paint('1');
  const dim = paint('2');
  const red = paint('31');
  const green = paint('32');
  const yellow = paint('33');
  const cyan = paint('36');
  let statusLine = '';
  const seen = new Set<string>();
  let startedAt = 0;

  const print = (text: string) => {
    if (tty && statusLine) out.write(`\r${ESC}2K`);
    out.write(text.endsWith('\n') ? text : text + '\n');
    if (tty && statusLine) out.write(dim(statusLine));
  };
  // Slack mrkdwn to terminal text: *bold*, and the three entities Slack escapes.
  const mrkdwn = (s: string) => s.replace(/\*([^*\n]+)\*/g, (_m, t: string) => bold(t)).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const stamp = (atMs: number) => dim(`[${clock(atMs)}]`);

  return {
    start(i) {
      startedAt = Date.now();
      print(`${bold('modelwatch demo')} — simulated model servers, drift, latency and GPU alerts in about ${Math.round(i.durationMs / 1000)} s\n`);
      print(`  UI:      ${cyan(bold(i.url))}`);
      print(`  files:   ${i.root}${i.keepData ? '' : dim(' (removed at the end; --keep-data keeps them)')}`);
      print(`  phases:  ${i.phases.map((p) => `${p.index}. ${p.title} (${clock(p.startMs)})`).join(', ')}`);
      print(dim('  Ctrl-C stops the demo.\n'));
    },
    note: (text) => print(dim(`  ${text}`)),
    warn: (text) => print(yellow(`  ! ${text}`)),
    phase(p, total, atMs) {
      print(`\n${stamp(atMs)} ${bold(`phase ${p.index}/${total}: ${p.title}`)} — ${p.description}`);
    },
    status(text) {
      if (!tty) return;
      statusLine = `  ${clock(Date.now() - startedAt)} ${text}`;
      out.write(`\r${ESC}2K${dim(statusLine)}`);
    },
    slack(n, atMs) {
      // A group's later messages repeat its earlier alerts: print only lines not shown yet.
      // The title names the rule ("[FIRING:2] FeatureDrift — model"); a line names the series.
      const rule = /\]\s*(\S+)/.exec(n.title)?.[1] ?? n.title;
      const fresh = n.lines.filter((l) => {
        const key = `${rule} ${l.split(': ')[0]}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      if (fresh.length === 0) return;
      const firing = n.title.includes('FIRING');
      print(`${stamp(atMs)} ${dim('slack ›')} ${(firing ? red : green)(bold(n.title))}`);
      for (const l of fresh) {
        const [head, ...rest] = l.split('\n');
        print(`          ${mrkdwn(head)}`);
        for (const r of rest) print(`            ${dim(mrkdwn(r))}`);
      }
    },
    alert: () => undefined,
    summary(items) {
      print(`\n${bold('Expected alerts')}`);
      for (const i of items) {
        print(i.firedAtMs === null ? `  ${red('✗')} ${i.name} ${dim(`(${i.phase}) did not fire`)}` : `  ${green('✓')} ${i.name} ${dim(`fired at ${clock(i.firedAtMs)}`)}`);
      }
    },
    end(code, info) {
      statusLine = '';
      if (tty) out.write(`\r${ESC}2K`);
      if (info.keptAt) print(`\nFiles kept in ${info.keptAt}; look again with: modelwatch serve --config ${info.keptAt}/config.yaml`);
      if (info.database) print(`Data kept in database ${info.database} of the ClickHouse server.`);
      print(code === 0 ? green('\nDemo finished.') : red(`\nDemo ended with code ${code}.`));
    },
  };
}
