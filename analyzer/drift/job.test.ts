import { describe, expect, it } from 'vitest';
import { DATASET_SUBJECT, driftRows, jobSources, type DriftJob } from './job.ts';
import type { DriftReport } from './types.ts';

const window = { from: new Date('2026-01-01T01:00:00Z'), to: new Date('2026-01-01T02:00:00Z') };
const job: DriftJob = { model: 'm', version: 'v1', window, reference: { kind: 'previous' } };

describe('jobSources', () => {
  it('reads rollups for plain jobs and raw rows for segments or when asked', () => {
    const a = jobSources(job);
    expect(a.cur).toEqual({ kind: 'rollup', model: 'm', version: 'v1', window });
    expect(a.ref).toMatchObject({ kind: 'rollup', window: { from: new Date('2026-01-01T00:00:00Z'), to: window.from } });
    const seg = jobSources({ ...job, segment: { feature: 'region', value: 'eu' } });
    expect(seg.cur).toMatchObject({ kind: 'raw', segment: { feature: 'region', value: 'eu' } });
    expect(jobSources({ ...job, raw: true }).ref.kind).toBe('raw');
    expect(jobSources({ ...job, reference: { kind: 'file', path: '/r.csv', format: 'CSVWithNames' } }).ref).toEqual({ kind: 'file', file: { kind: 'file', path: '/r.csv', format: 'CSVWithNames' } });
  });
});

describe('driftRows', () => {
  const report: DriftReport = {
    columns: [
      { column: 'a', type: 'numeric', method: 'wasserstein', statistic: 0.3, p_value: null, threshold: 0.1, drift: true, status: 'drift', path: 'sketch', reference_n: 10, current_n: 10 },
      { column: 'c', type: 'categorical', method: 'jensenshannon', statistic: 0.01, p_value: null, threshold: 0.1, drift: false, status: 'ok', path: 'exact', reference_n: 10, current_n: 10, unseen: ['z'] },
    ],
    dataset: { columns: 2, drifted: 1, share: 0.5, drift: true, threshold: 0.5 },
    nullRates: [{ column: 'a', reference: 0, current: 0.2, drift: true, threshold: 0.05 }],
    schema: { added: ['new'], removed: [], typeChanged: [] }, skipped: [{ column: 'new', reason: 'only in current' }],
    referenceRows: 10, currentRows: 10,
  };

  it('writes per-column drift, unseen categories, null rates and the dataset share', () => {
    const rows = driftRows({ ...job, segment: { feature: 'region', value: 'eu' } }, report);
    expect(rows.map((r) => [r.subject, r.metric, r.status])).toEqual([
      ['a', 'drift', 'drift'], ['c', 'drift', 'ok'], ['c', 'unseen_categories', 'warn'], ['a', 'null_rate', 'drift'], [DATASET_SUBJECT, 'drift_share', 'drift'],
    ]);
    expect(rows.every((r) => r.segment === 'region=eu' && r.reference.startsWith('previous:'))).toBe(true);
    expect(rows[0].details).toMatchObject({ type: 'numeric', path: 'sketch' });
    expect(rows.at(-1)!.details).toMatchObject({ drifted_columns: ['a'], schema: { added: ['new'] }, skipped: [{ column: 'new', reason: 'only in current' }] });
  });

  it('an empty window gives a single nodata row', () => {
    const rows = driftRows(job, { ...report, currentRows: 0 });
    expect(rows.map((r) => [r.subject, r.status])).toEqual([[DATASET_SUBJECT, 'nodata']]);
  });
});
