/**
 * The forms `modelwatch check` prints its results in: a table for people, JSON for scripts, and
 * JUnit XML, which GitLab CI, Jenkins and GitHub Actions show as one test case per expectation.
 */
import os from 'node:os';
import path from 'node:path';
import { fmt, summarize, type CheckResult, type CheckSummary } from '../../analyzer/check/evaluate.ts';

/** What was checked against what, for the report headers. */
export interface CheckMeta {
  current: string;
  reference?: string;
  /** The contract file, or undefined when it was learnt from the reference. */
  contract?: string;
  rows: { current: number; reference?: number };
  seconds: number;
  timestamp: Date;
}

/** The JSON shape `modelwatch check --format json` prints. */
export interface CheckCliOutput {
  ok: boolean;
  summary: Omit<CheckSummary, 'ok'>;
  current: string;
  reference: string | null;
  contract: string;
  rows: { current: number; reference: number | null };
  results: CheckResult[];
}

const contractName = (m: CheckMeta) => m.contract ?? `learnt from ${m.reference ?? 'the reference'}`;

/** The stable JSON form. */
export function toCheckJson(results: CheckResult[], m: CheckMeta): CheckCliOutput {
  const { ok, ...summary } = summarize(results);
  return {
    ok, summary, current: m.current, reference: m.reference ?? null, contract: contractName(m),
    rows: { current: m.rows.current, reference: m.rows.reference ?? null }, results,
  };
}

/** A value for a table cell or a JUnit body: numbers shortened, lists joined and cut. */
export function showValue(v: CheckResult['observed']): string {
  if (v === null) return '-';
  if (typeof v === 'number') return fmt(v);
  if (Array.isArray(v)) {
    const s = v.map((x) => String(x)).join(', ');
    return s.length > 60 ? `${s.slice(0, 57)}...` : s || '(none)';
  }
  return String(v);
}

const rule: Partial<Record<CheckResult['expectation'], string>> = { min: '>= ', max: '<= ', max_null_rate: '<= ', dataset_drift: 'share < ', categories: 'one of ' };

/** The line every format ends with: counts and the verdict. */
export function summaryLine(results: CheckResult[]): string {
  const s = summarize(results);
  return `${s.expectations} expectations: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped -> ${s.ok ? 'PASS' : 'FAIL'}`;
}

/**
 * A plain-text table: failures and skips (every expectation with `all`), each with its column,
 * observed and expected values, then the failure messages and the summary line. A skip that
 * follows from a failure of its column (a missing column, a wrong type) is left out unless `all`.
 */
export function toCheckTable(results: CheckResult[], m: CheckMeta, opts: { all?: boolean } = {}): string {
  const failing = new Set(results.filter((r) => r.status === 'fail').map((r) => r.column));
  const shown = opts.all ? results : results.filter((r) => r.status === 'fail' || (r.status === 'skip' && !failing.has(r.column)));
  const out = [`current ${m.current} (${m.rows.current} rows), contract ${contractName(m)}${m.reference ? `, reference ${m.reference}` : ''}`, ''];
  if (shown.length) {
    const head = ['status', 'column', 'expectation', 'observed', 'expected'];
    const rows = shown.map((r) => [
      r.status.toUpperCase(), r.column ?? '(dataset)', r.expectation,
      r.status === 'skip' ? `(${r.message})` : showValue(r.observed), `${rule[r.expectation] ?? ''}${showValue(r.expected)}`,
    ]);
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
    const line = (x: string[]) => x.map((v, i) => v.padEnd(w[i])).join('  ').trimEnd();
    out.push(line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line), '');
  }
  const failed = results.filter((r) => r.status === 'fail');
  if (failed.length) {
    out.push('failed:');
    for (const r of failed) out.push(`  ${r.message}`);
    out.push('');
  }
  out.push(summaryLine(results));
  return out.join('\n') + '\n';
}

// XML 1.0 allows neither most control characters nor lone surrogates, even escaped: they are dropped.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text escaped for an XML attribute or element. */
export function xmlEscape(s: string): string {
  return s.replace(INVALID_XML, '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[ch]!);
}

/**
 * JUnit XML: one testsuite, one testcase per expectation (named `<column>: <expectation>`), a
 * `failure` with the message and the observed and expected values, `skipped` with its reason.
 */
export function toJunit(results: CheckResult[], m: CheckMeta): string {
  const s = summarize(results);
  // Tabs and line ends in an attribute are written as references: a parser would turn them into spaces.
  const a = (k: string, v: string | number) => `${k}="${xmlEscape(String(v)).replace(/[\t\n\r]/g, (ch) => `&#${ch.charCodeAt(0)};`)}"`;
  const time = m.seconds.toFixed(3);
  const suite = `modelwatch check ${path.basename(m.current)}`;
  const props: [string, string][] = [['current', m.current], ['contract', contractName(m)], ['rows', String(m.rows.current)]];
  if (m.reference) props.push(['reference', m.reference]);
  const cases = results.map((r) => {
    const name = `${r.column ?? '(dataset)'}: ${r.expectation}`;
    const open = `    <testcase ${a('classname', 'modelwatch.check')} ${a('name', name)} ${a('time', '0')}`;
    if (r.status === 'pass') return `${open}/>`;
    if (r.status === 'skip') return `${open}>\n      <skipped ${a('message', r.message)}/>\n    </testcase>`;
    const body = `observed: ${showValue(r.observed)}\nexpected: ${rule[r.expectation] ?? ''}${showValue(r.expected)}`;
    return `${open}>\n      <failure ${a('message', r.message)} ${a('type', r.expectation)}>${xmlEscape(body)}</failure>\n    </testcase>`;
  });
  const counts = `${a('tests', s.expectations)} ${a('failures', s.failed)} ${a('errors', 0)} ${a('skipped', s.skipped)} ${a('time', time)}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${a('name', 'modelwatch check')} ${counts}>`,
    `  <testsuite ${a('name', suite)} ${counts} ${a('timestamp', m.timestamp.toISOString().replace(/\.\d+Z$/, ''))} ${a('hostname', os.hostname())}>`,
    '    <properties>',
    ...props.map(([k, v]) => `      <property ${a('name', k)} ${a('value', v)}/>`),
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
