/**
 * The files the demo gives `serve`: its config, the alert rules (receivers pointing at the demo's
 * sink) and the reference file the drift analyzer compares against.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { createRng } from './random.ts';
import { DRIFT_SHARE_THRESHOLD, P99_THRESHOLD_MS } from './scenario.ts';
import { checkoutFeatures, FEATURE_NAMES } from './traffic.ts';

/** Analyzer pass interval: short, so a change shows within seconds (the schema's minimum is 1 s). */
export const ANALYZER_INTERVAL_MS = 2000;
/**
 * Analyzer window, minutes. With the demo's one-minute lag (see clock.ts) a two-minute window always
 * holds the last 60 to 120 seconds of traffic: never a nearly empty window after a minute turns.
 */
export const WINDOW_MINUTES = 2;
/** Rows of the reference ("training") file. */
export const REFERENCE_ROWS = 5000;
/** Seed of the reference sample; the live traffic uses other seeds, drawn from the same distributions. */
const REFERENCE_SEED = 20240501;

/** Where the demo's files live. */
export interface DemoPaths {
  root: string;
  dataDir: string;
  config: string;
  rules: string;
  reference: string;
  serveLog: string;
}

/** The file layout under the demo's temporary directory. */
export function demoPaths(root: string): DemoPaths {
  return {
    root,
    dataDir: path.join(root, 'data'),
    config: path.join(root, 'config.yaml'),
    rules: path.join(root, 'alerts.yaml'),
    reference: path.join(root, 'reference.csv'),
    serveLog: path.join(root, 'serve.log'),
  };
}

/** Settings `serve` runs the demo with. */
export interface ServeSettings {
  port: number;
  clickhouseUrl?: string;
  database?: string;
}

/** The serve config: fast analyzer and alert loops, the reference file, a quiet log. */
export function serveConfig(p: DemoPaths, s: ServeSettings): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: s.port, publicUrl: `http://127.0.0.1:${s.port}` },
    storage: s.clickhouseUrl ? { url: s.clickhouseUrl, ...(s.database ? { database: s.database } : {}) } : { dataDir: p.dataDir },
    writer: { flushIntervalMs: 250 },
    // A ClickHouse server reads files only from its own user_files directory: there the reference
    // is the previous window (the analyzer's default) instead of the demo's file.
    // driftShare: the analyzer's own dataset verdict (the UI's "drifting") agrees with DatasetDrift.
    analyzer: {
      intervalMs: ANALYZER_INTERVAL_MS, windowMinutes: WINDOW_MINUTES, driftShare: DRIFT_SHARE_THRESHOLD,
      ...(s.clickhouseUrl ? {} : { referenceFile: p.reference }),
    },
    alerts: { rulesFile: p.rules, evaluationIntervalMs: 1000 },
    log: { level: 'warn' },
  };
}

/** URLs of the demo's sink, where the rules' receivers send. */
export interface SinkUrls {
  slack: string;
  events: string;
}

/**
 * The alert rules: one per fault of the scenario. Each annotation carries the value, so the
 * webhook receiver (which has no value field) can report it. Both receivers get every alert: Slack
 * for people, the Alertmanager-style webhook for `--json`.
 */
export function alertRules(sink: SinkUrls): Record<string, unknown> {
  const value = '{{ printf "%.4f" $value }}';
  return {
    rules: [
      {
        name: 'DatasetDrift',
        condition: { kind: 'drift_share', op: '>=', value: DRIFT_SHARE_THRESHOLD },
        severity: 'warning',
        annotations: { summary: '{{ $value | humanizePercentage }} of the features of {{ $labels.model }} {{ $labels.version }} drifted', value },
      },
      {
        name: 'FeatureDrift',
        // No op/value: the drift analyzer's own verdict per feature decides.
        condition: { kind: 'feature_drift' },
        severity: 'warning',
        annotations: { summary: 'feature {{ $labels.feature }} of {{ $labels.model }} {{ $labels.version }} drifted ({{ $labels.method }} {{ printf "%.3f" $value }})', value },
      },
      {
        name: 'HighP99Latency',
        condition: { kind: 'latency_quantile', quantile: 0.99, op: '>', value: `${P99_THRESHOLD_MS}ms` },
        severity: 'critical',
        annotations: { summary: 'p99 latency of {{ $labels.model }} {{ $labels.version }} is {{ $value | humanize }} ms (threshold {{ $threshold }} ms)', value },
      },
      {
        name: 'GpuIdle',
        condition: { kind: 'gpu_idle' },
        severity: 'info',
        annotations: { summary: 'GPU {{ $labels.gpu }} holds memory but does no work', value },
      },
    ],
    routes: [
      { receivers: ['demo-slack', 'demo-events'], group_by: ['alertname', 'model'], group_wait: '1s', group_interval: '2s', repeat_interval: '1h' },
    ],
    receivers: [
      { name: 'demo-slack', slack: { webhook_url: sink.slack, min_interval: '500ms' } },
      { name: 'demo-events', webhook: { url: sink.events } },
    ],
  };
}

/**
 * Reference rows as CSV: the steady checkout distribution, as a training set would hold it. CSV
 * rather than NDJSON because ClickHouse parses it about twice as fast, and the drift job reads the
 * file on every pass.
 */
export function referenceCsv(rows = REFERENCE_ROWS): string {
  const rng = createRng(REFERENCE_SEED);
  const out: string[] = [FEATURE_NAMES.join(',')];
  for (let i = 0; i < rows; i++) {
    const f = checkoutFeatures(rng, false);
    // Values are numbers and plain tokens: quoting the strings is all CSV needs here.
    out.push(FEATURE_NAMES.map((name) => (typeof f[name] === 'string' ? `"${f[name]}"` : String(f[name]))).join(','));
  }
  return out.join('\n') + '\n';
}

/** Writes the config, the rules and the reference file. */
export function writeDemoFiles(p: DemoPaths, s: ServeSettings, sink: SinkUrls): void {
  fs.mkdirSync(p.root, { recursive: true });
  fs.writeFileSync(p.config, YAML.stringify(serveConfig(p, s)));
  fs.writeFileSync(p.rules, `# Generated by modelwatch demo: receivers point at the demo's local sink.\n${YAML.stringify(alertRules(sink))}`);
  fs.writeFileSync(p.reference, referenceCsv());
}
