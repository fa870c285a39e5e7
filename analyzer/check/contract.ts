/**
 * The data contract of `modelwatch check`: its shape, its JSON schema, and the loader that reads
 * it from YAML. Every error names the file, the line, the column and the field at fault, so that
 * a contract edited by hand can be fixed from the message alone.
 */
import { Ajv, type ErrorObject } from 'ajv';
import YAML, { LineCounter } from 'yaml';
import { MwError } from '../../core/errors.ts';
import { CATEGORICAL_METHODS } from '../drift/methods.ts';
import { DRIFT_METHODS, isDriftMethod } from '../stats/index.ts';

/** The kinds of values a contract column may hold. */
export type ContractType = 'numeric' | 'categorical' | 'boolean' | 'datetime';
export const CONTRACT_TYPES: readonly ContractType[] = ['numeric', 'categorical', 'boolean', 'datetime'];

/** Drift settings of one column: `false` leaves the column out of drift; omitted fields follow the defaults. */
export type ColumnDriftSpec = false | true | { method?: string; threshold?: number };

/** What one column must satisfy. Every field is optional; an omitted field is not checked. */
export interface ColumnContract {
  type?: ContractType;
  /** false: no null allowed (default true). */
  nullable?: boolean;
  /** Highest share of null rows allowed, 0..1. */
  max_null_rate?: number;
  min?: number;
  max?: number;
  /** Numeric columns: +-inf values allowed (default false). */
  allow_infinite?: boolean;
  categories?: string[];
  /** With `categories`: values outside the list allowed (default false). */
  allow_new_categories?: boolean;
  drift?: ColumnDriftSpec;
}

/** A data contract, version 1. */
export interface Contract {
  version: 1;
  columns: Record<string, ColumnContract>;
  /** Dataset drift: fails when the share of drifted columns reaches max_share (default 0.5). */
  drift?: { max_share?: number };
  /** Columns of the current file that the contract does not list are allowed (default true). */
  allow_extra_columns?: boolean;
}

/** Default share of drifted columns at which the dataset drifts (Evidently's rule, as `modelwatch drift`). */
export const DEFAULT_MAX_SHARE = 0.5;

const columnSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { enum: CONTRACT_TYPES },
    nullable: { type: 'boolean' },
    max_null_rate: { type: 'number', minimum: 0, maximum: 1 },
    min: { type: 'number' },
    max: { type: 'number' },
    allow_infinite: { type: 'boolean' },
    // YAML reads `- 1` or `- true` as a number or a boolean; they are categories by their text.
    categories: { type: 'array', items: { type: ['string', 'number', 'boolean'] } },
    allow_new_categories: { type: 'boolean' },
    drift: {
      type: ['boolean', 'object'],
      additionalProperties: false,
      properties: { method: { enum: DRIFT_METHODS }, threshold: { type: 'number', exclusiveMinimum: 0 } },
    },
  },
} as const;

/** The JSON schema of a contract (ajv, draft 7). */
export const contractSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'columns'],
  properties: {
    version: { const: 1 },
    columns: { type: 'object', additionalProperties: columnSchema },
    drift: { type: 'object', additionalProperties: false, properties: { max_share: { type: 'number', exclusiveMinimum: 0, maximum: 1 } } },
    allow_extra_columns: { type: 'boolean' },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(contractSchema);

/** One problem found in a contract: where, and what. */
export interface ContractProblem {
  line?: number;
  column?: string;
  field: string;
  message: string;
}

function invalid(file: string, problems: ContractProblem[]): MwError {
  const text = problems.map((p) => `${file}${p.line ? `:${p.line}` : ''}: ${p.column !== undefined ? `column ${JSON.stringify(p.column)}: ` : ''}${p.field ? `${p.field}: ` : ''}${p.message}`);
  return new MwError('MW_ERR_CONTRACT_INVALID', text.join('\n  '), { file, problems });
}

/** Splits an ajv instance path into its keys (JSON pointer, `~1` is `/`). */
function keys(pointer: string): string[] {
  return pointer.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function expected(e: ErrorObject): string {
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'type': return `expected ${String(p.type).replace(',', ' or ')}`;
    case 'enum': return `expected one of ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'const': return `expected ${JSON.stringify(p.allowedValue)}`;
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum': return `expected ${p.comparison} ${p.limit}`;
    case 'required': return `missing (required)`;
    default: return e.message ?? e.keyword;
  }
}

/** A problem per ajv error, located by column and field. */
function problemOf(e: ErrorObject, data: unknown, lineOf: (path: string[]) => number | undefined): ContractProblem {
  const path = keys(e.instancePath);
  let at = path;
  let message: string;
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    at = [...path, extra];
    message = 'unknown field';
  } else if (e.keyword === 'required') {
    at = [...path, (e.params as { missingProperty: string }).missingProperty];
    message = expected(e);
  } else {
    const value = path.reduce<any>((o, k) => (o == null ? undefined : o[k]), data);
    message = `${expected(e)}, got ${JSON.stringify(value)}`;
  }
  const inColumn = at[0] === 'columns' && at.length >= 2;
  return { line: lineOf(at), column: inColumn ? at[1] : undefined, field: (inColumn ? at.slice(2) : at).join('.'), message };
}

/** Checks that the schema cannot express: bounds in order, methods that apply to the column's type. */
function semanticProblems(c: Contract): Omit<ContractProblem, 'line'>[] {
  const out: Omit<ContractProblem, 'line'>[] = [];
  for (const [name, col] of Object.entries(c.columns)) {
    if (col.min !== undefined && col.max !== undefined && col.min > col.max) out.push({ column: name, field: 'min', message: `min ${col.min} is above max ${col.max}` });
    const numericOnly = ['min', 'max', 'allow_infinite'].filter((k) => (col as Record<string, unknown>)[k] !== undefined);
    if (col.type && col.type !== 'numeric' && numericOnly.length) out.push({ column: name, field: numericOnly[0], message: `applies to numeric columns only (type is ${col.type})` });
    if (col.categories && col.type && col.type !== 'categorical') out.push({ column: name, field: 'categories', message: `applies to categorical columns only (type is ${col.type})` });
    if (col.allow_new_categories !== undefined && !col.categories) out.push({ column: name, field: 'allow_new_categories', message: 'needs a categories list' });
    const m = typeof col.drift === 'object' ? col.drift.method : undefined;
    if (m && isDriftMethod(m) && (col.type === 'categorical' || col.type === 'boolean') && !CATEGORICAL_METHODS.includes(m)) {
      out.push({ column: name, field: 'drift.method', message: `${m} does not apply to ${col.type} columns (use one of ${CATEGORICAL_METHODS.join(', ')})` });
    }
    if (col.type === 'datetime' && typeof col.drift === 'object') out.push({ column: name, field: 'drift', message: 'date/time columns are not compared for drift' });
  }
  return out;
}

/**
 * Parses and validates a contract from YAML (or JSON) text; `file` names it in errors. Categories
 * are returned as strings. Throws MW_ERR_CONTRACT_INVALID listing every problem.
 */
export function parseContract(text: string, file: string): Contract {
  const lc = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lc });
  if (doc.errors.length) {
    const first = (m: string) => m.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw invalid(file, doc.errors.map((e) => ({ line: e.linePos?.[0].line, field: '', message: `not valid YAML: ${first(e.message)}` })));
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const lineOf = (path: string[]): number | undefined => {
    // The deepest node of the path that exists: a field, else its column, else the top.
    for (let k = path.length; k >= 0; k--) {
      const node = k === 0 ? doc.contents : doc.getIn(path.slice(0, k), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return lc.linePos(range[0]).line;
    }
    return undefined;
  };
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw invalid(file, [{ field: '', message: 'expected a mapping with version: 1 and columns: {...}' }]);
  }
  if (!validate(data)) {
    // anyOf-style duplicates are few here; keep one problem per place and message.
    const seen = new Set<string>();
    const problems = (validate.errors ?? []).map((e) => problemOf(e, data, lineOf)).filter((p) => {
      const k = `${p.column}\0${p.field}\0${p.message}`;
      return seen.has(k) ? false : (seen.add(k), true);
    });
    throw invalid(file, problems);
  }
  const c = data as unknown as Contract;
  for (const col of Object.values(c.columns)) if (col.categories) col.categories = col.categories.map((v) => String(v));
  const sem = semanticProblems(c);
  if (sem.length) throw invalid(file, sem.map((p) => ({ ...p, line: lineOf(['columns', p.column!, ...p.field.split('.')]) })));
  return c;
}

/** A column's drift settings, or undefined when the column is left out of drift. */
export function driftSpec(col: ColumnContract): { method?: string; threshold?: number } | undefined {
  if (col.drift === false || col.type === 'datetime') return undefined;
  return typeof col.drift === 'object' ? col.drift : {};
}

const HEADER = `modelwatch data contract (docs/ci.md). Learnt from a reference file: edit it to state what
the data must satisfy. Per column, every field is optional:
  type: numeric | categorical | boolean | datetime
  nullable: false            no null allowed
  max_null_rate: 0.1         at most this share of rows null
  min / max                  numeric bounds (learnt: the reference's extremes; widen them to the valid domain)
  allow_infinite: true       numeric: +-inf allowed
  categories: [...]          categorical: the allowed values, with allow_new_categories: false
  drift: false               leave the column out of drift, or { method: ks, threshold: 0.05 }
drift.max_share: the dataset fails when this share of the compared columns drifts.
allow_extra_columns: false   columns not listed here fail the check.`;

/** The contract as YAML, with a header comment that explains the fields. */
export function contractToYaml(c: Contract, source?: string): string {
  const doc = new YAML.Document(c);
  doc.commentBefore = ` ${HEADER.replace(/\n/g, '\n ')}${source ? `\n Source: ${source}` : ''}`;
  return doc.toString({ lineWidth: 0 });
}
