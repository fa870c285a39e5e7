import type { Store } from '../storage/client.ts';
import type { ResultRow } from './results.ts';
import { windowParams, type Window } from './window.ts';

/** Model performance from ground truth joined on prediction_id (labels arriving late included). */
export interface PerformanceReport {
  model: string;
  version: string;
  task: 'classification' | 'regression' | 'none';
  predictions: number;
  labeled: number;
  coverage: number;
  positiveClass?: string;
  accuracy?: number | null;
  precision?: number | null;
  recall?: number | null;
  f1?: number | null;
  rocAuc?: number | null;
  mae?: number | null;
  rmse?: number | null;
  mape?: number | null;
}

/** Default positive class: '1' or 'true' when present, else the lexicographically greater of two labels. */
export function defaultPositiveClass(labels: readonly string[]): string | undefined {
  for (const c of ['1', 'true', 'True', 'TRUE']) if (labels.includes(c)) return c;
  const sorted = [...new Set(labels)].sort();
  return sorted.length === 2 ? sorted[1] : sorted[sorted.length - 1];
}

const div = (a: number, b: number): number | null => (b > 0 ? a / b : null);

/**
 * Computes classification (accuracy, precision, recall, F1, ROC-AUC) or regression (MAE, RMSE, MAPE)
 * metrics for a model version over the window of prediction times, inside ClickHouse.
 */
export async function computePerformance(
  store: Store, scope: { model: string; version: string }, w: Window, opts: { positiveClass?: string } = {},
): Promise<PerformanceReport> {
  const p = { ...windowParams(w), model: scope.model, version: scope.version };
  const preds = `SELECT prediction_id, prediction_label, prediction_value, score FROM ${store.t('predictions')}
    WHERE model = {model:String} AND version = {version:String} AND ts >= {from:DateTime64(3,'UTC')} AND ts < {to:DateTime64(3,'UTC')} AND prediction_id != ''`;
  // The latest label per prediction wins: a corrected label replaces an earlier one.
  const truth = `SELECT prediction_id, argMax(label, ts) AS label, argMax(label_num, ts) AS label_num FROM ${store.t('ground_truth')}
    WHERE model = {model:String} AND prediction_id IN (SELECT prediction_id FROM (${preds})) GROUP BY prediction_id`;
  const joined = `SELECT p.prediction_label AS pl, p.prediction_value AS pv, p.score AS score, g.label AS label,
      coalesce(g.label_num, toFloat64OrNull(g.label)) AS ln
    FROM (${preds}) AS p INNER JOIN (${truth}) AS g ON p.prediction_id = g.prediction_id`;
  const [c] = await store.query<{ n: string; ncls: string; nreg: string }>(
    `SELECT count() AS n, countIf(prediction_label IS NOT NULL) AS ncls, countIf(prediction_value IS NOT NULL) AS nreg FROM (${preds})`, p);
  const predictions = Number(c?.n ?? 0);
  const task: PerformanceReport['task'] = Number(c?.ncls ?? 0) > 0 ? 'classification' : Number(c?.nreg ?? 0) > 0 ? 'regression' : 'none';
  const base: PerformanceReport = { ...scope, task, predictions, labeled: 0, coverage: 0 };
  if (task === 'none') return base;
  if (task === 'regression') {
    const [r] = await store.query<{ n: string; mae: number; mse: number; mape: number }>(
      `SELECT count() AS n, avg(abs(pv - ln)) AS mae, avg(pow(pv - ln, 2)) AS mse, avg(abs(ln - pv) / greatest(abs(ln), 2.220446049250313e-16)) AS mape
       FROM (${joined}) WHERE pv IS NOT NULL AND ln IS NOT NULL`, p);
    const n = Number(r?.n ?? 0);
    return { ...base, labeled: n, coverage: div(n, predictions) ?? 0, mae: n ? Number(r.mae) : null, rmse: n ? Math.sqrt(Number(r.mse)) : null, mape: n ? Number(r.mape) : null };
  }
  const labels = await store.query<{ l: string }>(
    `SELECT DISTINCT l FROM (SELECT label AS l FROM (${joined}) UNION ALL SELECT assumeNotNull(pl) AS l FROM (${joined}) WHERE pl IS NOT NULL) ORDER BY l LIMIT 1000`, p);
  const pos = opts.positiveClass ?? defaultPositiveClass(labels.map((x) => x.l));
  const [r] = await store.query<{ n: string; correct: string; tp: string; fp: string; fn: string; ns: string; auc: number }>(
    `SELECT count() AS n, countIf(pl = label) AS correct,
       countIf(pl = {pos:String} AND label = {pos:String}) AS tp,
       countIf(pl = {pos:String} AND label != {pos:String}) AS fp,
       countIf(ifNull(pl, '') != {pos:String} AND label = {pos:String}) AS fn,
       countIf(score IS NOT NULL) AS ns,
       arrayAUC(groupArrayIf(assumeNotNull(score), score IS NOT NULL), groupArrayIf(label = {pos:String}, score IS NOT NULL)) AS auc
     FROM (${joined}) WHERE pl IS NOT NULL`,
    { ...p, pos: pos ?? '' },
  );
  const m = classificationMetrics({ n: Number(r?.n ?? 0), correct: Number(r?.correct ?? 0), tp: Number(r?.tp ?? 0), fp: Number(r?.fp ?? 0), fn: Number(r?.fn ?? 0) });
  const auc = Number(r?.ns ?? 0) > 0 && Number.isFinite(Number(r.auc)) ? Number(r.auc) : null;
  return { ...base, labeled: m.n, coverage: div(m.n, predictions) ?? 0, positiveClass: pos, accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1, rocAuc: auc };
}

/**
 * Accuracy, precision, recall and F1 of the positive class from confusion counts, as scikit-learn
 * defines them; null where the denominator is 0 (F1 is 0 when precision + recall is 0).
 */
export function classificationMetrics(c: { n: number; correct: number; tp: number; fp: number; fn: number }): {
  n: number; accuracy: number | null; precision: number | null; recall: number | null; f1: number | null;
} {
  const precision = div(c.tp, c.tp + c.fp);
  const recall = div(c.tp, c.tp + c.fn);
  const f1 = precision !== null && recall !== null ? (precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0) : null;
  return { n: c.n, accuracy: div(c.correct, c.n), precision, recall, f1 };
}

/** Result rows of the performance job (subject `__performance__`). */
export function performanceRows(w: Window, r: PerformanceReport): ResultRow[] {
  if (r.task === 'none') return [];
  const base = { analyzer: 'performance', window: w, model: r.model, version: r.version, segment: '', subject: '__performance__', threshold: null, p_value: null, reference: '' };
  const details = { task: r.task, labeled: r.labeled, predictions: r.predictions, positive_class: r.positiveClass ?? null };
  const metrics: [string, number | null | undefined][] = r.task === 'classification'
    ? [['accuracy', r.accuracy], ['precision', r.precision], ['recall', r.recall], ['f1', r.f1], ['roc_auc', r.rocAuc]]
    : [['mae', r.mae], ['rmse', r.rmse], ['mape', r.mape]];
  const rows: ResultRow[] = [{ ...base, metric: 'label_coverage', value: r.coverage, method: 'ratio', status: r.predictions ? 'ok' : 'nodata', details }];
  for (const [metric, v] of metrics) rows.push({ ...base, metric, value: v ?? 0, method: metric, status: v === null || v === undefined ? 'nodata' : 'ok', details });
  return rows;
}

/** Runs the performance job for one model version. */
export async function runPerformance(store: Store, scope: { model: string; version: string }, w: Window, opts: { positiveClass?: string } = {}): Promise<ResultRow[]> {
  return performanceRows(w, await computePerformance(store, scope, w, opts));
}
