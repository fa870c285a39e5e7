import type { Store } from '../../storage/client.ts';
import type { ResultRow } from '../results.ts';
import type { Window } from '../window.ts';
import { compareSources } from './compute.ts';
import type { DriftOptions, DriftReport } from './types.ts';
import type { Segment, Source } from './profile.ts';
import { describeReference, referenceWindow, type ReferenceSpec } from './reference.ts';

/** Subject of the dataset-level row. */
export const DATASET_SUBJECT = '__dataset__';

/** One drift computation: a model version over a window against a reference, optionally a segment. */
export interface DriftJob {
  model: string;
  version: string;
  window: Window;
  reference: ReferenceSpec;
  segment?: Segment;
  options?: DriftOptions;
  /** Read both time windows from raw rows instead of the rollups (segments always do). */
  raw?: boolean;
}

/** The sources a job compares: rollups where possible, raw rows for segments. */
export function jobSources(job: DriftJob): { ref: Source; cur: Source } {
  const raw = job.raw || job.segment !== undefined;
  const timeSource = (w: Window): Source =>
    raw ? { kind: 'raw', model: job.model, version: job.version, window: w, segment: job.segment } : { kind: 'rollup', model: job.model, version: job.version, window: w };
  const cur = timeSource(job.window);
  const ref = job.reference.kind === 'file' ? { kind: 'file' as const, file: job.reference } : timeSource(referenceWindow(job.reference, job.window)!);
  return { ref, cur };
}

/** Runs the drift comparison of a job and returns the report. */
export async function computeDrift(store: Store, job: DriftJob): Promise<DriftReport> {
  const { ref, cur } = jobSources(job);
  return compareSources(store, ref, cur, job.options);
}

/** Turns a drift report into result rows: per column drift, null rate and unseen categories, plus the dataset share. */
export function driftRows(job: DriftJob, report: DriftReport): ResultRow[] {
  const common = {
    analyzer: 'drift', window: job.window, model: job.model, version: job.version,
    segment: job.segment ? `${job.segment.feature}=${job.segment.value}` : '',
    reference: describeReference(job.reference, job.window),
  };
  const rows: ResultRow[] = [];
  if (report.currentRows === 0) {
    rows.push({ ...common, subject: DATASET_SUBJECT, metric: 'drift_share', value: 0, threshold: report.dataset.threshold, p_value: null, method: 'share', status: 'nodata', details: { reason: 'no predictions in the window' } });
    return rows;
  }
  for (const c of report.columns) {
    rows.push({
      ...common, subject: c.column, metric: 'drift', value: c.statistic, threshold: c.threshold, p_value: c.p_value, method: c.method, status: c.status,
      details: { type: c.type, path: c.path, reference_n: c.reference_n, current_n: c.current_n, ...(c.note ? { note: c.note } : {}), ...(c.non_finite ? { non_finite: c.non_finite } : {}), ...c.details },
    });
    if (c.type === 'categorical' && c.unseen) {
      rows.push({
        ...common, subject: c.column, metric: 'unseen_categories', value: c.unseen.length, threshold: 0, p_value: null, method: 'count',
        status: c.unseen.length > 0 ? 'warn' : 'ok', details: { categories: c.unseen.slice(0, 100), truncated: c.unseen.length > 100 },
      });
    }
  }
  for (const n of report.nullRates) {
    rows.push({
      ...common, subject: n.column, metric: 'null_rate', value: n.current, threshold: n.threshold, p_value: null, method: 'rate',
      status: n.drift ? 'drift' : 'ok', details: { reference: n.reference },
    });
  }
  const d = report.dataset;
  rows.push({
    ...common, subject: DATASET_SUBJECT, metric: 'drift_share', value: d.share, threshold: d.threshold, p_value: null, method: 'share',
    status: d.columns === 0 ? 'nodata' : d.drift ? 'drift' : 'ok',
    details: { columns: d.columns, drifted: d.drifted, drifted_columns: report.columns.filter((c) => c.drift).map((c) => c.column), schema: report.schema, skipped: report.skipped },
  });
  return rows;
}

/** Runs a drift job and returns its result rows (not yet written). */
export async function runDrift(store: Store, job: DriftJob): Promise<ResultRow[]> {
  return driftRows(job, await computeDrift(store, job));
}
