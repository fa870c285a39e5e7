/**
 * Judging a file's facts against a contract: a pure function with one result per expectation.
 * The set of expectations depends on the contract alone (plus the file's extra and duplicate
 * columns), so a CI report lists the same test cases run after run; an expectation that cannot be
 * judged (its column is missing, or there is no reference for drift) is skipped with its reason.
 */
import { DEFAULT_MAX_SHARE, driftSpec, type ColumnContract, type Contract, type ContractType } from './contract.ts';
import type { ColumnDriftFact, Observed, ObservedColumn } from './observed.ts';

/** The expectations, in the order they are listed per column. */
export const EXPECTATIONS = [
  'present', 'type', 'not_null', 'max_null_rate', 'finite', 'min', 'max', 'categories', 'drift', 'in_contract', 'unique_name', 'dataset_drift',
] as const;
export type Expectation = (typeof EXPECTATIONS)[number];

type Json = string | number | boolean | null | Json[];

/** The outcome of one expectation. `ok` is false only for a failure (a skip is not one). */
export interface CheckResult {
  expectation: Expectation;
  /** The column, or null for an expectation on the whole file (dataset_drift). */
  column: string | null;
  status: 'pass' | 'fail' | 'skip';
  ok: boolean;
  observed: Json;
  expected: Json;
  message: string;
}

/** Counts of a result list, and the verdict. */
export interface CheckSummary {
  expectations: number;
  passed: number;
  failed: number;
  skipped: number;
  ok: boolean;
}

/** A number for a message: integers as they are, others to 6 significant digits. */
export function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

const pct = (x: number) => `${fmt(x * 100)}%`;
const list = (xs: string[], n = 10) => xs.slice(0, n).map((x) => JSON.stringify(x)).join(', ') + (xs.length > n ? `, ... (${xs.length} in all)` : '');

/** Whether values of the observed kind satisfy a declared type; undefined when it cannot be told (all null). */
export function typeMatches(want: ContractType, o: ObservedColumn): boolean | undefined {
  if (o.type === 'null') return undefined;
  switch (want) {
    case 'numeric': return o.type === 'numeric' || (o.type === 'categorical' && o.numericText);
    // Codes and flags are categories too: numbers and booleans are compared by their text.
    case 'categorical': return o.type === 'categorical' || o.type === 'numeric' || o.type === 'boolean';
    default: return o.type === want;
  }
}

/** The expectations a contract column has, in order. */
export function columnExpectations(c: ColumnContract): Expectation[] {
  const out: Expectation[] = ['present'];
  if (c.type) out.push('type');
  if (c.nullable === false) out.push('not_null');
  if (c.max_null_rate !== undefined) out.push('max_null_rate');
  if (c.type === 'numeric' && c.allow_infinite !== true) out.push('finite');
  if (c.min !== undefined) out.push('min');
  if (c.max !== undefined) out.push('max');
  if (c.categories && c.allow_new_categories !== true) out.push('categories');
  if (driftSpec(c)) out.push('drift');
  return out;
}

type Verdict = Omit<CheckResult, 'expectation' | 'column' | 'ok'>;
const pass = (observed: Json, expected: Json, message: string): Verdict => ({ status: 'pass', observed, expected, message });
const fail = (observed: Json, expected: Json, message: string): Verdict => ({ status: 'fail', observed, expected, message });
const skip = (expected: Json, reason: string): Verdict => ({ status: 'skip', observed: null, expected, message: reason });

/** Why value checks cannot run on this column, if they cannot. */
function valuesUnjudgeable(c: ColumnContract, o: ObservedColumn, rows: number): string | undefined {
  if (o.type === 'null') return rows === 0 ? 'the file has no rows' : 'no values (all null)';
  if (c.type && !typeMatches(c.type, o)) return `type is ${o.type} (${o.detail}), not ${c.type}`;
  return undefined;
}

function driftVerdict(name: string, f: ColumnDriftFact | undefined, reason: string | undefined, expected: Json): Verdict {
  if (reason !== undefined) return skip(expected, `drift not checked: ${reason}`);
  if (!f) return skip(expected, 'drift not checked: not compared');
  if ('skipped' in f) return skip(expected, `drift not checked: ${f.skipped}`);
  const pv = f.p_value !== null;
  const value = pv ? f.p_value! : f.statistic;
  const rule = pv ? `${f.method} p-value ${fmt(value)} ${f.drift ? '<' : '>='} ${f.threshold}` : `${f.method} ${fmt(value)} ${f.drift ? '>=' : '<'} ${f.threshold}`;
  return f.drift ? fail(value, f.threshold, `${name} drifted from the reference: ${rule}`) : pass(value, f.threshold, `no drift: ${rule}`);
}

function judge(e: Expectation, name: string, c: ColumnContract, o: ObservedColumn | undefined, rows: number, obs: Observed): Verdict {
  const spec = driftSpec(c);
  const expected: Record<Expectation, Json> = {
    present: true, type: c.type ?? null, not_null: 0, max_null_rate: c.max_null_rate ?? null, finite: 0, min: c.min ?? null, max: c.max ?? null,
    categories: c.categories ?? null, drift: typeof spec?.threshold === 'number' ? spec.threshold : null, in_contract: true, unique_name: 1, dataset_drift: null,
  };
  if (e === 'present') return o ? pass(true, true, `${name} is present`) : fail(false, true, `column ${JSON.stringify(name)} is missing`);
  if (!o) return skip(expected[e], 'column missing');
  const rate = rows > 0 ? o.nulls / rows : 0;
  switch (e) {
    case 'type': {
      const m = typeMatches(c.type!, o);
      if (m === undefined) return skip(c.type!, rows === 0 ? 'type unknown: the file has no rows' : 'type unknown: every value is null');
      return m ? pass(o.type, c.type!, `${name} is ${c.type}`) : fail(o.type, c.type!, `${name} holds ${o.type} values (${o.detail}), expected ${c.type}`);
    }
    case 'not_null':
      return o.nulls === 0 ? pass(0, 0, `${name} has no null`) : fail(o.nulls, 0, `${name} has ${o.nulls} null values (${pct(rate)} of ${rows} rows), expected none (nullable: false)`);
    case 'max_null_rate': {
      const max = c.max_null_rate!;
      return rate <= max ? pass(rate, max, `null rate ${pct(rate)} <= ${pct(max)}`)
        : fail(rate, max, `${name} null rate is ${pct(rate)} (${o.nulls} of ${rows} rows), expected at most ${pct(max)}`);
    }
    default:
      break;
  }
  if (e === 'drift') {
    const d = obs.drift;
    return driftVerdict(name, 'skipped' in d ? undefined : d.columns.get(name), 'skipped' in d ? d.skipped : undefined, expected.drift);
  }
  const why = valuesUnjudgeable(c, o, rows);
  if (why) return skip(expected[e], why);
  switch (e) {
    case 'finite':
      if (o.type !== 'numeric') return skip(0, `values are not numeric (${o.detail})`);
      return o.nonFinite === 0 ? pass(0, 0, `${name} has no infinite value`)
        : fail(o.nonFinite, 0, `${name} has ${o.nonFinite} infinite values (+-inf), expected none (allow_infinite: false)`);
    case 'min':
    case 'max': {
      const bound = e === 'min' ? c.min! : c.max!;
      const seen = e === 'min' ? o.min : o.max;
      if (seen === undefined) return skip(bound, o.type === 'numeric' ? 'no finite value' : `values are not numeric (${o.detail})`);
      const out = (e === 'min' ? o.belowMin : o.aboveMax) ?? (e === 'min' ? (seen < bound ? 1 : 0) : (seen > bound ? 1 : 0));
      const word = e === 'min' ? 'minimum' : 'maximum';
      const cmp = e === 'min' ? '>=' : '<=';
      return out === 0 ? pass(seen, bound, `${word} ${fmt(seen)} ${cmp} ${fmt(bound)}`)
        : fail(seen, bound, `${name} ${word} is ${fmt(seen)}, expected ${cmp} ${fmt(bound)} (${out} value${out === 1 ? '' : 's'} ${e === 'min' ? 'below' : 'above'})`);
    }
    case 'categories': {
      if (!o.categories) return skip(expected.categories, `values are not categories (${o.detail})`);
      const allowed = new Set(c.categories);
      const unseen = [...o.categories].filter(([k]) => !allowed.has(k)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const partial = o.categoriesComplete === false ? ' (only the most frequent categories were read)' : '';
      if (unseen.length === 0) return pass([], expected.categories, `every category of ${name} is allowed${partial}`);
      const n = unseen.reduce((s, [, k]) => s + k, 0);
      return fail(unseen.map(([k]) => k), expected.categories,
        `${name} has ${unseen.length} categor${unseen.length === 1 ? 'y' : 'ies'} not in the contract (${list(unseen.map(([k]) => k))}; ${n} rows), expected one of ${list(c.categories!)}${partial}`);
    }
    default:
      throw new Error(`unexpected expectation ${e}`);
  }
}

/**
 * Judges a file's facts against a contract: every expectation of every contract column, the
 * file's columns outside the contract (when allow_extra_columns is false), duplicate names, and
 * dataset drift (when any column is compared for drift).
 */
export function evaluate(contract: Contract, obs: Observed): CheckResult[] {
  const results: CheckResult[] = [];
  const add = (expectation: Expectation, column: string | null, v: Verdict) => results.push({ expectation, column, ok: v.status !== 'fail', ...v });
  const byName = new Map(obs.columns.map((c) => [c.name, c]));
  for (const [name, c] of Object.entries(contract.columns)) {
    for (const e of columnExpectations(c)) add(e, name, judge(e, name, c, byName.get(name), obs.rows, obs));
  }
  if (contract.allow_extra_columns === false) {
    for (const o of obs.columns) {
      if (!(o.name in contract.columns)) add('in_contract', o.name, fail(false, true, `column ${JSON.stringify(o.name)} is not in the contract (allow_extra_columns: false)`));
    }
  }
  for (const d of obs.duplicates) add('unique_name', d, fail(2, 1, `column name ${JSON.stringify(d)} occurs more than once; only the first is checked`));
  if (Object.values(contract.columns).some((c) => driftSpec(c))) {
    const max = contract.drift?.max_share ?? DEFAULT_MAX_SHARE;
    const d = obs.drift;
    if ('skipped' in d) add('dataset_drift', null, skip(max, `drift not checked: ${d.skipped}`));
    else if (d.dataset.columns === 0) add('dataset_drift', null, skip(max, 'drift not checked: no column could be compared'));
    else {
      const s = d.dataset;
      const text = `${s.drifted} of ${s.columns} columns drifted (share ${fmt(s.share)})`;
      add('dataset_drift', null, s.drift ? fail(s.share, max, `dataset drift: ${text}, expected a share below ${max}`) : pass(s.share, max, `${text} < ${max}`));
    }
  }
  return results;
}

/** Counts passes, failures and skips; the check passes when nothing failed. */
export function summarize(results: readonly CheckResult[]): CheckSummary {
  const n = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  return { expectations: results.length, passed: n('pass'), failed: n('fail'), skipped: n('skip'), ok: n('fail') === 0 };
}
