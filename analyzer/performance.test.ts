import { describe, expect, it } from 'vitest';
import { classificationMetrics, defaultPositiveClass, performanceRows, type PerformanceReport } from './performance.ts';

const W = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-01T01:00:00Z') };

describe('classification metrics from confusion counts', () => {
  it('match the textbook (scikit-learn) definitions', () => {
    const m = classificationMetrics({ n: 100, correct: 80, tp: 30, fp: 10, fn: 10 });
    expect(m.accuracy).toBeCloseTo(0.8, 12);
    expect(m.precision).toBeCloseTo(0.75, 12);
    expect(m.recall).toBeCloseTo(0.75, 12);
    expect(m.f1).toBeCloseTo(0.75, 12);
  });
  it('are null where undefined, and F1 is 0 when precision and recall are 0', () => {
    expect(classificationMetrics({ n: 0, correct: 0, tp: 0, fp: 0, fn: 0 })).toEqual({ n: 0, accuracy: null, precision: null, recall: null, f1: null });
    expect(classificationMetrics({ n: 10, correct: 5, tp: 0, fp: 3, fn: 2 }).f1).toBe(0);
  });
});

describe('defaultPositiveClass', () => {
  it("prefers '1' or 'true', else the greater of two labels", () => {
    expect(defaultPositiveClass(['0', '1'])).toBe('1');
    expect(defaultPositiveClass(['false', 'true'])).toBe('true');
    expect(defaultPositiveClass(['spam', 'ham', 'spam'])).toBe('spam');
    expect(defaultPositiveClass([])).toBeUndefined();
  });
});

describe('performanceRows', () => {
  it('classification: coverage then five metrics; regression: coverage then three', () => {
    const c: PerformanceReport = { model: 'm', version: 'v1', task: 'classification', predictions: 10, labeled: 8, coverage: 0.8, positiveClass: '1', accuracy: 0.5, precision: 0.5, recall: null, f1: null, rocAuc: 0.6 };
    const rows = performanceRows(W, c);
    expect(rows.map((r) => [r.metric, r.status])).toEqual([
      ['label_coverage', 'ok'], ['accuracy', 'ok'], ['precision', 'ok'], ['recall', 'nodata'], ['f1', 'nodata'], ['roc_auc', 'ok'],
    ]);
    const r = performanceRows(W, { model: 'm', version: 'v1', task: 'regression', predictions: 5, labeled: 5, coverage: 1, mae: 1, rmse: 2, mape: 0.1 });
    expect(r.map((x) => x.metric)).toEqual(['label_coverage', 'mae', 'rmse', 'mape']);
    expect(performanceRows(W, { model: 'm', version: 'v1', task: 'none', predictions: 0, labeled: 0, coverage: 0 })).toEqual([]);
  });
});
