/**
 * One info line every log.summaryIntervalMs (a minute by default) of what a long-running process
 * did meanwhile: records accepted and rejected, predictions stored, analyzer passes, alerts
 * firing. Read from the Prometheus counters the collector already keeps, so there is no second
 * bookkeeping to drift from /metrics.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Stoppable } from './ingest-process.ts';

/** What {@link startSummary} reads. */
export interface SummarySources {
  log: Logger;
  registry: Registry;
  everyMs: number;
  /** Analyzer passes completed so far (a running count), when an analyzer runs in this process. */
  analyzerPasses?: () => number;
  /** Alerts firing now, when an alert engine runs in this process. */
  alertsFiring?: () => Promise<number>;
}

/** The totals the line is the difference of. */
interface Totals {
  received: number;
  rejected: number;
  predictions: number;
  passes: number;
}

async function counter(registry: Registry, name: string, labels?: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((v) => !labels || Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

async function totals(s: SummarySources): Promise<Totals> {
  return {
    received: await counter(s.registry, 'modelwatch_records_received_total'),
    rejected: await counter(s.registry, 'modelwatch_records_rejected_total'),
    // Stored rows of the predictions table, whichever way they came (NDJSON, OTLP logs, Kafka).
    predictions: await counter(s.registry, 'modelwatch_rows_written_total', { table: 'predictions' }),
    passes: s.analyzerPasses?.() ?? 0,
  };
}

/** Starts the summary line; `stop` ends it (nothing is logged after). */
export function startSummary(s: SummarySources): Stoppable {
  if (s.everyMs <= 0) return { async stop() {} };
  let prev: Promise<Totals> = totals(s);
  let stopped = false;
  const tick = async () => {
    const before = await prev;
    const now = totals(s);
    prev = now;
    const after = await now;
    const fields: Record<string, number> = {
      seconds: Math.round(s.everyMs / 1000),
      accepted: after.received - after.rejected - (before.received - before.rejected),
      rejected: after.rejected - before.rejected,
      predictions: after.predictions - before.predictions,
    };
    if (s.analyzerPasses) fields.analyzer_passes = after.passes - before.passes;
    if (s.alertsFiring) fields.alerts_firing = await s.alertsFiring();
    if (!stopped) s.log.info(fields, 'summary');
  };
  const timer = setInterval(() => void tick().catch((err) => s.log.warn({ err }, 'summary failed')), s.everyMs);
  // The summary alone must not keep a process alive.
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
