/**
 * The same data contract as `modelwatch check`, judged on live data: the facts of one model
 * version over an analyzer window, read from the rollups, and the verdicts written as
 * quality result rows (`contract_<expectation>`), which dashboards and alert rules read.
 */
import fs from 'node:fs';
import { MwError } from '../../core/errors.ts';
import type { Store } from '../../storage/client.ts';
import { MAX_CATEGORIES, rollupRead } from '../drift/source.ts';
import type { ResultRow, ResultStatus } from '../results.ts';
import type { Window } from '../window.ts';
import { parseContract, type Contract } from './contract.ts';
import { evaluate, type CheckResult } from './evaluate.ts';
import type { Observed, ObservedColumn } from './observed.ts';

/** Reads and validates the contract file `serve` and `modelwatch analyzer` were given (MW_ERR_CONTRACT_INVALID when bad). */
export function loadContractFile(file: string): Contract {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new MwError('MW_ERR_CONTRACT_INVALID', `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { file });
  }
  return parseContract(text, file);
}

type Scope = { model: string; version: string };

/**
 * Facts of a window from the rollups: rows, each feature's type (numeric or categorical), nulls,
 * finite min and max, category counts. Drift is the drift job's (its own result rows), so the
 * contract's drift expectations are skipped here rather than computed twice.
 */
export async function observeWindow(store: Store, scope: Scope, w: Window): Promise<Observed> {
  const src = { kind: 'rollup' as const, ...scope, window: w };
  const [lat, numR, catR, nulR] = (['latency', 'feature_num', 'feature_cat', 'feature_null'] as const).map((s) => rollupRead(store, src, s));
  const [rows, num, cat, nulls] = await Promise.all([
    store.query<{ n: string }>(`SELECT sum(predictions) AS n FROM ${lat.from} WHERE ${lat.where}`, lat.params),
    store.query<{ feature: string; n: string; mn: number; mx: number }>(
      `SELECT feature, sum(count) AS n, min(min) AS mn, max(max) AS mx FROM ${numR.from} WHERE ${numR.where} GROUP BY feature HAVING n > 0`, numR.params,
    ),
    store.query<{ feature: string; category: string; c: string }>(
      `SELECT feature, category, sum(count) AS c FROM ${catR.from} WHERE ${catR.where}
       GROUP BY feature, category ORDER BY feature, c DESC, category LIMIT ${MAX_CATEGORIES} BY feature`, catR.params,
    ),
    store.query<{ feature: string; nulls: string }>(`SELECT feature, sum(nulls) AS nulls FROM ${nulR.from} WHERE ${nulR.where} GROUP BY feature`, nulR.params),
  ]);
  const nullOf = new Map(nulls.map((r) => [r.feature, Number(r.nulls)]));
  const columns = new Map<string, ObservedColumn>();
  const base = (name: string): ObservedColumn => ({ name, type: 'null', detail: 'Null', numericText: false, nulls: nullOf.get(name) ?? 0, nonFinite: 0 });
  for (const r of num) columns.set(r.feature, { ...base(r.feature), type: 'numeric', detail: 'Float64', min: Number(r.mn), max: Number(r.mx) });
  for (const r of cat) {
    const col = columns.get(r.feature) ?? { ...base(r.feature), type: 'categorical' as const, detail: 'String', categories: new Map<string, number>() };
    // A feature sent as numbers in some records and as text in others holds both: it is not numeric.
    if (col.type === 'numeric') Object.assign(col, { type: 'categorical', detail: 'Float64 and String', categories: new Map() });
    col.categories!.set(r.category, Number(r.c));
    columns.set(r.feature, col);
  }
  for (const [name] of nullOf) if (!columns.has(name)) columns.set(name, base(name));
  for (const c of columns.values()) if (c.categories) c.categoriesComplete = c.categories.size < MAX_CATEGORIES;
  return {
    rows: Number(rows[0]?.n ?? 0),
    columns: [...columns.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    duplicates: [],
    drift: { skipped: 'drift of live windows is the drift job\'s (metric drift, analyzer drift)' },
  };
}

const STATUS: Record<CheckResult['status'], ResultStatus> = { pass: 'ok', fail: 'drift', skip: 'nodata' };
/** Subject of the rows about the whole window (dataset drift). */
export const WINDOW_SUBJECT = '__dataset__';

/** Result rows of a contract's verdicts: value 1 for a failure, 0 otherwise, with observed, expected and the message in details. */
export function contractRows(scope: Scope, w: Window, results: CheckResult[], reference: string): ResultRow[] {
  return results.map((r) => ({
    analyzer: 'quality', window: w, model: scope.model, version: scope.version, segment: '', reference,
    subject: r.column ?? WINDOW_SUBJECT, metric: `contract_${r.expectation}`, value: r.status === 'fail' ? 1 : 0, threshold: 0, p_value: null,
    method: 'contract', status: STATUS[r.status], details: { observed: r.observed, expected: r.expected, message: r.message },
  }));
}

/** Judges one model version's window against the contract and returns its result rows. */
export async function runContract(store: Store, scope: Scope, w: Window, contract: Contract, file: string): Promise<ResultRow[]> {
  const obs = await observeWindow(store, scope, w);
  if (obs.rows === 0) return [];
  return contractRows(scope, w, evaluate(contract, obs), `contract:${file}`);
}
