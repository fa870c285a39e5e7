import type { Config } from '../core/config/schema.ts';
import type { Store } from '../storage/client.ts';
import { rollupSource } from '../storage/levels.ts';
import { runDrift, type DriftJob } from './drift/job.ts';
import type { DriftOptions } from './drift/compute.ts';
import { fileSource, parseLength, type ReferenceSpec } from './drift/reference.ts';
import type { Segment } from './drift/profile.ts';
import { runGpu } from './gpu.ts';
import { runLatency } from './latency.ts';
import { runPerformance } from './performance.ts';
import { runQuality } from './quality.ts';
import { loadContractFile, runContract } from './check/window.ts';
import type { Contract } from './check/contract.ts';
import { modelsInWindow, writeResults, type ResultRow } from './results.ts';
import { alignedWindow, type Window } from './window.ts';

/** The logger the analyzer writes to (pino's shape). */
export interface AnalyzerLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What one pass computed. */
export interface RunSummary {
  window: Window;
  rows: number;
  jobs: number;
  failed: { job: string; error: string }[];
}

/** A running analyzer. */
export interface Analyzer {
  stop(): Promise<void>;
  runOnce(now?: Date): Promise<RunSummary>;
}

/** At most this many values of a segment feature get their own drift segment per window. */
export const MAX_SEGMENT_VALUES = 20;

/** Drift options from the analyzer config section. */
export function driftOptionsFrom(cfg: Config['analyzer']): DriftOptions {
  return {
    method: cfg.driftMethod || undefined,
    methods: cfg.columnMethods,
    thresholds: cfg.columnThresholds,
    driftShare: cfg.driftShare,
    nullRateThreshold: cfg.nullRateThreshold,
    correction: cfg.correction,
  };
}

async function segmentsOf(store: Store, model: string, version: string, w: Window, features: readonly string[]): Promise<Segment[]> {
  if (features.length === 0) return [];
  const cat = rollupSource(store, 'feature_cat', w);
  const rows = await store.query<{ feature: string; category: string }>(
    `SELECT feature, category, sum(count) AS c FROM ${cat.sql}
     WHERE model = {model:String} AND version = {version:String} AND has({features:Array(String)}, feature)
     GROUP BY feature, category ORDER BY feature, c DESC, category LIMIT ${MAX_SEGMENT_VALUES} BY feature`,
    { ...cat.params, model, version, features },
  );
  return rows.map((r) => ({ feature: r.feature, value: r.category }));
}

/** Runs every job once over the window ending at the whole minute before `now`; job errors are logged. */
export async function runAll(store: Store, config: Config, log: AnalyzerLog, now = new Date(), contract?: Contract): Promise<RunSummary> {
  const cfg = config.analyzer;
  const w = alignedWindow(now, cfg.windowMinutes);
  const summary: RunSummary = { window: w, rows: 0, jobs: 0, failed: [] };
  const job = async (name: string, fn: () => Promise<ResultRow[]>) => {
    summary.jobs++;
    try {
      const rows = await fn();
      await writeResults(store, rows);
      summary.rows += rows.length;
    } catch (err) {
      summary.failed.push({ job: name, error: (err as Error).message });
      log.error({ err, job: name, window_start: w.from.toISOString() }, 'analyzer job failed');
    }
  };
  await job('latency', () => runLatency(store, w));
  await job('gpu', () => runGpu(store, w));
  let models: { model: string; version: string }[] = [];
  try {
    models = await modelsInWindow(store, w);
  } catch (err) {
    summary.failed.push({ job: 'models', error: (err as Error).message });
    log.error({ err }, 'analyzer could not list models');
  }
  let reference: ReferenceSpec = { kind: 'previous', ...(cfg.referenceWindow ? { lengthMs: parseLength(cfg.referenceWindow) } : {}) };
  if (cfg.referenceFile) {
    try {
      reference = fileSource(cfg.referenceFile);
    } catch (err) {
      log.error({ err, file: cfg.referenceFile }, 'analyzer reference file rejected; using the previous window');
    }
  }
  const options = driftOptionsFrom(cfg);
  for (const { model, version } of models) {
    const scope = { model, version };
    const base: DriftJob = { model, version, window: w, reference, options };
    await job(`drift ${model}/${version}`, () => runDrift(store, base));
    await job(`drift segments ${model}/${version}`, async () => {
      const out: ResultRow[] = [];
      for (const segment of await segmentsOf(store, model, version, w, cfg.segmentBy)) out.push(...(await runDrift(store, { ...base, segment })));
      return out;
    });
    await job(`quality ${model}/${version}`, () => runQuality(store, scope, w));
    if (contract) await job(`contract ${model}/${version}`, () => runContract(store, scope, w, contract, cfg.contractFile));
    await job(`performance ${model}/${version}`, () => runPerformance(store, scope, w, { positiveClass: cfg.positiveClass || undefined }));
  }
  log.info({ window_start: w.from.toISOString(), window_end: w.to.toISOString(), models: models.length, rows: summary.rows, failed: summary.failed.length }, 'analyzer pass done');
  return summary;
}

/**
 * Starts the analyzer: a pass every `analyzer.intervalMs`, never two at once; `stop` waits for the
 * pass in flight. `onPass` hears of every completed pass (serve's summary line counts them).
 */
export function startAnalyzer(deps: { store: Store; config: Config; log: AnalyzerLog; onPass?: (summary: RunSummary) => void }): Analyzer {
  const { store, config, log } = deps;
  // A bad contract stops start-up (MW_ERR_CONTRACT_INVALID names the file, line, column and field).
  const contract = config.analyzer.contractFile ? loadContractFile(config.analyzer.contractFile) : undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let inFlight: Promise<RunSummary> | undefined;
  const runOnce = (now?: Date): Promise<RunSummary> => {
    // A pass asked for while one runs waits for it, so passes never overlap.
    const prev = inFlight ?? Promise.resolve(undefined);
    const next = prev.catch(() => undefined).then(() => runAll(store, config, log, now ?? new Date(), contract)).then((summary) => {
      deps.onPass?.(summary);
      return summary;
    });
    inFlight = next;
    void next.finally(() => { if (inFlight === next) inFlight = undefined; }).catch(() => undefined);
    return next;
  };
  const tick = () => {
    if (stopped) return;
    runOnce()
      .catch((err) => log.error({ err }, 'analyzer pass failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, config.analyzer.intervalMs);
      });
  };
  if (config.analyzer.enabled) timer = setTimeout(tick, 0);
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight?.catch(() => undefined);
    },
  };
}
