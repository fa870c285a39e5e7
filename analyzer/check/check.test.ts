import { describe, expect, it } from 'vitest';
import { isMwError } from '../../core/errors.ts';
import { contractToYaml, parseContract, type Contract } from './contract.ts';
import { evaluate, summarize } from './evaluate.ts';
import { learnContract, learntRange } from './learn.ts';
import type { Observed, ObservedColumn } from './observed.ts';

/** The message of the contract error `text` raises. */
function problems(text: string): string {
  try {
    parseContract(text, 'c.yaml');
  } catch (err) {
    expect(isMwError(err, 'MW_ERR_CONTRACT_INVALID')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected an invalid contract');
}

const col = (c: Partial<ObservedColumn> & { name: string }): ObservedColumn => ({ type: 'numeric', detail: 'Float64', numericText: false, nulls: 0, nonFinite: 0, ...c });

describe('contract loader', () => {
  it('reads a valid contract, categories as text', () => {
    const c = parseContract('version: 1\ncolumns:\n  a: { type: numeric, min: 0, max: 1e3 }\n  c: { type: categorical, categories: [1, x, true] }\n', 'c.yaml');
    expect(c.columns.a).toEqual({ type: 'numeric', min: 0, max: 1000 });
    expect(c.columns.c.categories).toEqual(['1', 'x', 'true']);
  });

  it('names the file, the line, the column and the field of every problem', () => {
    const msg = problems([
      'version: 1',
      'columns:',
      '  amount:',
      '    type: numeric',
      '    min: low',
      '    mx: 3',
      '  country:',
      '    type: text',
      '    max_null_rate: 1.5',
    ].join('\n'));
    expect(msg).toContain('c.yaml:5: column "amount": min: expected number, got "low"');
    expect(msg).toContain('c.yaml:6: column "amount": mx: unknown field');
    expect(msg).toContain('c.yaml:8: column "country": type: expected one of numeric, categorical, boolean, datetime, got "text"');
    expect(msg).toContain('c.yaml:9: column "country": max_null_rate: expected <= 1, got 1.5');
  });

  it('rejects what the schema cannot say: bounds out of order, fields for another type, inapplicable methods', () => {
    expect(problems('version: 1\ncolumns:\n  a: { min: 5, max: 1 }')).toContain('column "a": min: min 5 is above max 1');
    expect(problems('version: 1\ncolumns:\n  a: { type: categorical, min: 0 }')).toContain('column "a": min: applies to numeric columns only');
    expect(problems('version: 1\ncolumns:\n  a: { type: categorical, drift: { method: ks } }')).toContain('column "a": drift.method: ks does not apply to categorical columns');
    expect(problems('version: 1\ncolumns:\n  a: { drift: { method: bogus } }')).toContain('drift.method: expected one of ks');
    expect(problems('version: 2\ncolumns: {}')).toContain('c.yaml:1: version: expected 1, got 2');
    expect(problems('columns: {}')).toContain('version: missing (required)');
    expect(problems('version: 1\ncolumns: {a: [}')).toMatch(/c\.yaml:2: not valid YAML/);
    expect(problems('- 1')).toContain('expected a mapping');
  });
});

describe('evaluate', () => {
  const contract: Contract = {
    version: 1,
    allow_extra_columns: false,
    columns: {
      a: { type: 'numeric', nullable: false, min: 0, max: 10 },
      b: { type: 'categorical', max_null_rate: 0.1, categories: ['x', 'y'] },
      gone: { type: 'numeric', drift: false },
    },
  };
  const facts: Observed = {
    rows: 10,
    columns: [
      col({ name: 'a', nulls: 1, nonFinite: 2, min: -1, max: 12, belowMin: 1, aboveMax: 3 }),
      col({ name: 'b', type: 'categorical', detail: 'String', nulls: 5, categories: new Map([['x', 3], ['z', 2]]), categoriesComplete: true }),
      col({ name: 'extra' }),
    ],
    duplicates: [],
    drift: { skipped: 'no --reference given' },
  };

  it('fails each broken expectation with its observed and expected value, skips what cannot be judged', () => {
    const r = evaluate(contract, facts);
    const by = Object.fromEntries(r.map((x) => [`${x.column}:${x.expectation}`, x]));
    expect(Object.keys(by)).toEqual([
      'a:present', 'a:type', 'a:not_null', 'a:finite', 'a:min', 'a:max', 'a:drift',
      'b:present', 'b:type', 'b:max_null_rate', 'b:categories', 'b:drift',
      'gone:present', 'gone:type', 'gone:finite', 'extra:in_contract', 'null:dataset_drift',
    ]);
    expect(by['a:not_null']).toMatchObject({ status: 'fail', observed: 1, expected: 0 });
    expect(by['a:finite']).toMatchObject({ status: 'fail', observed: 2 });
    expect(by['a:min']).toMatchObject({ status: 'fail', observed: -1, expected: 0, message: 'a minimum is -1, expected >= 0 (1 value below)' });
    expect(by['a:max']).toMatchObject({ status: 'fail', observed: 12, expected: 10 });
    expect(by['b:max_null_rate']).toMatchObject({ status: 'fail', observed: 0.5, expected: 0.1 });
    expect(by['b:categories']).toMatchObject({ status: 'fail', observed: ['z'], expected: ['x', 'y'] });
    expect(by['gone:present']).toMatchObject({ status: 'fail', ok: false, observed: false });
    expect(by['gone:type']).toMatchObject({ status: 'skip', ok: true, message: 'column missing' });
    expect(by['a:drift']).toMatchObject({ status: 'skip', message: 'drift not checked: no --reference given' });
    expect(by['extra:in_contract']).toMatchObject({ status: 'fail' });
    expect(summarize(r)).toEqual({ expectations: 17, passed: 4, failed: 8, skipped: 5, ok: false });
  });

  it('reads a type mismatch once: the value checks of that column are skipped', () => {
    const r = evaluate({ version: 1, columns: { a: { type: 'numeric', min: 0 } } }, { ...facts, columns: [col({ name: 'a', type: 'categorical', detail: 'String' })] });
    expect(r.map((x) => [x.expectation, x.status])).toEqual([['present', 'pass'], ['type', 'fail'], ['finite', 'skip'], ['min', 'skip'], ['drift', 'skip'], ['dataset_drift', 'skip']]);
    expect(r[1].message).toBe('a holds categorical values (String), expected numeric');
  });

  it('judges drift per column and for the dataset', () => {
    const drift = {
      columns: new Map([
        ['a', { drift: true, method: 'wasserstein', statistic: 0.3, p_value: null, threshold: 0.1 }],
        ['b', { drift: false, method: 'chisquare', statistic: 1, p_value: 0.4, threshold: 0.05 }],
      ]),
      dataset: { columns: 2, drifted: 1, share: 0.5, drift: true, threshold: 0.5 },
      referenceRows: 10,
    };
    const c: Contract = { version: 1, columns: { a: {}, b: {} } };
    const r = evaluate(c, { ...facts, drift });
    expect(r.find((x) => x.column === 'a' && x.expectation === 'drift')).toMatchObject({ status: 'fail', observed: 0.3, expected: 0.1, message: 'a drifted from the reference: wasserstein 0.3 >= 0.1' });
    expect(r.find((x) => x.column === 'b' && x.expectation === 'drift')).toMatchObject({ status: 'pass', observed: 0.4 });
    expect(r.at(-1)).toMatchObject({ expectation: 'dataset_drift', column: null, status: 'fail', observed: 0.5, expected: 0.5 });
  });
});

describe('learning a contract', () => {
  it('widens ranges outward to round numbers, never across zero', () => {
    expect(learntRange(44.93, 151.01, 0.1, false)).toEqual({ min: 30, max: 170 });
    expect(learntRange(1, 24, 0.1, true)).toEqual({ min: 0, max: 27 });
    expect(learntRange(0.2, 0.3, 0, false)).toEqual({ min: 0.2, max: 0.3 });
    expect(learntRange(5, 5, 0.1, false)).toEqual({ min: 5, max: 5 });
  });

  it('learns a contract its own file passes, through YAML and back', () => {
    const obs: Observed = {
      rows: 4,
      columns: [
        col({ name: 'x y', min: 0.000069, max: 1e21, nonFinite: 1 }),
        col({ name: '', type: 'categorical', detail: 'String', nulls: 1, categories: new Map([['1', 2], ['a b', 1]]), categoriesComplete: true }),
        col({ name: 'f', type: 'boolean', detail: 'Bool' }),
        col({ name: 'n', type: 'null', detail: 'Null', nulls: 4 }),
      ],
      duplicates: [],
      drift: { skipped: 'none' },
    };
    const learnt = learnContract(obs, { rangeMargin: 0 });
    expect(learnt.columns['']).toEqual({ type: 'categorical', nullable: true, max_null_rate: 0.3, categories: ['1', 'a b'], allow_new_categories: false });
    expect(learnt.columns.n).toEqual({ nullable: true, max_null_rate: 1 });
    const back = parseContract(contractToYaml(learnt, 'test'), 'learnt.yaml');
    expect(back).toEqual(learnt);
    const r = evaluate(back, obs);
    expect(summarize(r).failed).toBe(0);
  });
});
