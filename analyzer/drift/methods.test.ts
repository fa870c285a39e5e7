import { describe, expect, it } from 'vitest';
import { isMwError } from '../../core/errors.ts';
import { DRIFT_METHODS } from '../stats/index.ts';
import { CATEGORICAL_METHODS, checkMethod, columnRequest, isDrift, NUMERIC_FEED, thresholdFor } from './methods.ts';
import { categoricalVerdict } from './types.ts';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return isMwError(err) ? err.code : String(err);
  }
  return 'no error';
};

describe('method registry', () => {
  it('says how every stats method is fed to a numeric column', () => {
    expect(Object.keys(NUMERIC_FEED).sort()).toEqual([...DRIFT_METHODS].sort());
    expect(NUMERIC_FEED.cvm).toBe('raw');
    expect(NUMERIC_FEED.anderson).toBe('raw');
    for (const m of ['ks', 'wasserstein', 'energy', 'psi', 'jensenshannon', 'kl', 'hellinger', 'tvd', 'linf'] as const) expect(NUMERIC_FEED[m]).toBe('sketch');
    for (const m of ['chisquare', 'ztest', 'fisher'] as const) expect(NUMERIC_FEED[m]).toBe('categories');
  });

  it('accepts every method on numeric columns and only count methods on categorical ones', () => {
    for (const m of DRIFT_METHODS) expect(checkMethod(m, 'numeric')).toBe(m);
    for (const m of CATEGORICAL_METHODS) expect(checkMethod(m, 'categorical')).toBe(m);
    for (const m of ['ks', 'cvm', 'anderson', 'wasserstein', 'energy']) expect(code(() => checkMethod(m, 'categorical'))).toBe('MW_ERR_DRIFT_METHOD');
    expect(code(() => checkMethod('t-test', 'numeric'))).toBe('MW_ERR_DRIFT_METHOD');
  });
});

describe('columnRequest', () => {
  const opts = { method: 'psi', threshold: 0.2, methods: { a: 'anderson', c: 'fisher' }, thresholds: { a: 0.01 } };
  it('takes per-column entries first, then the global ones', () => {
    expect(columnRequest(opts, 'a', 'numeric')).toEqual({ method: 'anderson', threshold: 0.01 });
    expect(columnRequest(opts, 'b', 'numeric')).toEqual({ method: 'psi', threshold: 0.2, global: true });
    expect(columnRequest(opts, 'c', 'categorical')).toEqual({ method: 'fisher', threshold: 0.2 });
    expect(columnRequest({}, 'x', 'numeric')).toEqual({ method: undefined, threshold: undefined });
    expect(columnRequest({ method: '' }, 'x', 'numeric').method).toBeUndefined();
  });
  it('a global method applies only where it can; categorical columns keep their defaults', () => {
    expect(columnRequest({ method: 'ks', threshold: 0.01 }, 'color', 'categorical')).toEqual({ method: undefined, threshold: undefined });
    expect(columnRequest({ method: 'psi', threshold: 0.2 }, 'color', 'categorical')).toEqual({ method: 'psi', threshold: 0.2, global: true });
    expect(code(() => columnRequest({ method: 'nope' }, 'color', 'categorical'))).toBe('MW_ERR_DRIFT_METHOD');
  });
  it('rejects an inapplicable method or a non-finite threshold with MW_ERR_DRIFT_METHOD', () => {
    expect(code(() => columnRequest({ methods: { c: 'energy' } }, 'c', 'categorical'))).toBe('MW_ERR_DRIFT_METHOD');
    expect(code(() => columnRequest({ thresholds: { c: NaN } }, 'c', 'categorical'))).toBe('MW_ERR_DRIFT_METHOD');
  });
  it('falls back to the method default threshold', () => {
    expect(thresholdFor({}, 'ks')).toBe(0.05);
    expect(thresholdFor({}, 'energy')).toBe(0.1);
    expect(thresholdFor({ threshold: 0.3 }, 'energy')).toBe(0.3);
  });
});

describe('verdicts', () => {
  it('p-value methods drift below the threshold, distances at or above it', () => {
    expect(isDrift('ks', 0.9, 0.049, 0.05)).toBe(true);
    expect(isDrift('ks', 0.9, 0.05, 0.05)).toBe(false);
    expect(isDrift('fisher', 3, null, 0.05)).toBe(false);
    expect(isDrift('wasserstein', 0.1, null, 0.1)).toBe(true);
    expect(isDrift('energy', 0.09, 0.0, 0.1)).toBe(false);
  });

  it('categorical verdicts report unseen categories and never crash on them', () => {
    const v = categoricalVerdict('color', undefined, undefined, new Map([['red', 600], ['blue', 600]]), new Map([['red', 500], ['blue', 500], ['purple', 200]]));
    expect(v.method).toBe('jensenshannon');
    expect(v.unseen).toEqual(['purple']);
    expect(v.bins!.labels).toEqual(['blue', 'purple', 'red']);
    expect(v.bins!.current.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const small = categoricalVerdict('yes', undefined, undefined, new Map([['y', 300], ['n', 500]]), new Map([['y', 400], ['n', 400]]));
    expect(small.method).toBe('ztest');
    expect(small.drift).toBe(true);
  });

  it('ztest and fisher on more than two categories is a clear MW_ERR_DRIFT_METHOD', () => {
    const three = new Map([['a', 1], ['b', 2], ['c', 3]]);
    expect(code(() => categoricalVerdict('k', 'fisher', undefined, three, three))).toBe('MW_ERR_DRIFT_METHOD');
    expect(code(() => categoricalVerdict('k', 'ztest', undefined, three, three))).toBe('MW_ERR_DRIFT_METHOD');
  });
});

describe('a global two-category method on a column of more categories', () => {
  const three = new Map([['a', 10], ['b', 20], ['c', 30]]);
  it('keeps the column on its default method and says so', () => {
    const v = categoricalVerdict('k', 'ztest', undefined, three, three, true);
    expect(v.method).toBe('chisquare');
    expect(v.note).toContain('ztest does not apply');
  });
});
