import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isMwError } from '../core/errors.ts';
import { parseDuration } from './duration.ts';
import { loadAlertsFile, parseAlertsFile } from './rules.ts';

function problems(text: string): string[] {
  try {
    parseAlertsFile(text, 'alerts.yaml');
  } catch (err) {
    if (isMwError(err, 'MW_ERR_ALERT_RULES_INVALID')) return err.detail!.problems as string[];
    throw err;
  }
  return [];
}

describe('parseDuration', () => {
  it('reads Prometheus-style durations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration('fast')).toBeUndefined();
    expect(parseDuration('5 m')).toBeUndefined();
  });
});

describe('parseAlertsFile', () => {
  it('parses rules, routes, inhibit rules and receivers with defaults', () => {
    const f = parseAlertsFile(`
rules:
  - name: HighP99
    condition: { kind: latency_quantile, model: fraud, quantile: 0.99, op: '>', value: 250ms }
    for: 5m
    keep_firing_for: 2m
    severity: critical
    annotations: { summary: "p99 {{ $labels.model }} = {{ $value | humanize }}ms" }
  - name: ErrorRate
    condition: { kind: error_rate, value: 5%, window: 10m }
  - name: Custom
    condition:
      query: SELECT model, max(value) AS value FROM analysis_results WHERE metric = 'latency_p99' GROUP BY model
      op: '>='
      value: 3
routes:
  - matchers: ['severity="critical"']
    receivers: [slack]
    group_by: [alertname, model]
  - receiver: hook
inhibit_rules:
  - source_matchers: [alertname="ModelDown"]
    target_matchers: [severity=~"warning|info"]
    equal: [model]
receivers:
  - name: slack
    slack: { webhook_url: "https://hooks.slack.com/services/T/B/X" }
  - name: hook
    webhook: { url: "http://127.0.0.1:9/hook", secret: s3cret }
`, 'alerts.yaml');
    expect(f.rules.map((r) => r.name)).toEqual(['HighP99', 'ErrorRate', 'Custom']);
    expect(f.rules[0]).toMatchObject({ forMs: 300_000, keepFiringForMs: 120_000, severity: 'critical', unit: 'ms' });
    expect(f.rules[0].condition).toMatchObject({ kind: 'latency_quantile', quantile: 0.99, op: '>', value: 250, model: 'fraud' });
    expect(f.rules[1].condition).toMatchObject({ kind: 'error_rate', op: '>', value: 0.05, windowMs: 600_000 });
    expect(f.rules[1]).toMatchObject({ severity: 'warning', noDataState: 'OK', execErrState: 'Error' });
    expect(f.routes[0]).toMatchObject({ receivers: ['slack'], groupBy: ['alertname', 'model'], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000 });
    expect(f.routes[1].matchers).toEqual([]);
    expect(f.inhibitRules[0].targetMatchers[0]).toEqual({ name: 'severity', type: '=~', value: 'warning|info' });
    expect(f.receivers[1]).toMatchObject({ type: 'webhook', secret: 's3cret' });
  });

  it('names file, rule and field in errors', () => {
    const p = problems(`
rules:
  - name: HighP99
    condition: { kind: latency_quantile, quantile: high, value: 250ms }
  - name: Bad2
    condition: { kind: drift_thing }
    for: soon
  - name: Bad3
    condition: { kind: no_data }
    annotations: { summary: "{{ $nope }}" }
routes:
  - receivers: [missing]
    group_wait: never
receivers:
  - name: s
    slack: { webhook_url: not-a-url }
`);
    expect(p).toContain('alerts.yaml: rule "HighP99" field condition.quantile: expected a number in (0,1], got "high"');
    expect(p).toContain('alerts.yaml: rule "Bad2" field condition.kind: expected one of latency_quantile, error_rate, drift_share, feature_drift, data_quality, gpu_idle, gpu_memory, no_data (or a query), got "drift_thing"');
    expect(p).toContain('alerts.yaml: rule "Bad2" field for: expected a duration like 250ms, 30s, 5m or 4h, got "soon"');
    expect(p).toContain('alerts.yaml: rule "Bad3" field condition.model: expected a model name, got nothing');
    expect(p.some((x) => x.startsWith('alerts.yaml: rule "Bad3" field annotations.summary: bad template'))).toBe(true);
    expect(p).toContain('alerts.yaml: route #1 field receivers: no receiver named "missing"');
    expect(p).toContain('alerts.yaml: route #1 field group_wait: expected a duration like 250ms, 30s, 5m or 4h, got "never"');
    expect(p).toContain('alerts.yaml: receiver "s" field slack.webhook_url: expected an http(s) URL, got "not-a-url"');
  });

  it('rejects unknown fields, duplicate names and non-SELECT queries', () => {
    const p = problems(`
rules:
  - name: A
    condition: { kind: drift_share, value: 0.5, colour: red }
  - name: A
    condition: { query: "DROP TABLE analysis_results" }
`);
    expect(p).toContain('alerts.yaml: rule "A" field condition.colour: unknown field (allowed: kind, query, model, version, segment, op, value, lookback)');
    expect(p).toContain('alerts.yaml: rule "A" field name: duplicate rule name');
    expect(p).toContain('alerts.yaml: rule "A" field condition.query: expected a single SELECT (or WITH ... SELECT) statement');
  });

  it('reports unreadable and unparsable files with their own code', () => {
    expect(() => loadAlertsFile('/nonexistent/alerts.yaml')).toThrow(/MW_ERR|cannot be read/);
    try {
      parseAlertsFile('rules: [', 'x.yaml');
    } catch (err) {
      expect(isMwError(err, 'MW_ERR_ALERT_RULES_FILE')).toBe(true);
    }
  });

  it('accepts the example file at the repository root', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const file = path.join(root, 'alerts.example.yaml');
    expect(fs.existsSync(file)).toBe(true);
    const f = loadAlertsFile(file);
    expect(f.rules.length).toBeGreaterThanOrEqual(8);
  });
});
