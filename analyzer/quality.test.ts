import { describe, expect, it } from 'vitest';
import { qualityRows, schemaChanges, type QualityReport } from './quality.ts';

const W = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-01T01:00:00Z') };

describe('schemaChanges', () => {
  it('lists features that appeared and disappeared, sorted', () => {
    expect(schemaChanges(['b', 'a', 'd'], ['c', 'a', 'b'])).toEqual({ appeared: ['d'], disappeared: ['c'] });
  });
  it('reports nothing when one side has no traffic', () => {
    expect(schemaChanges([], ['a'])).toEqual({ appeared: [], disappeared: [] });
    expect(schemaChanges(['a'], [])).toEqual({ appeared: [], disappeared: [] });
  });
});

describe('qualityRows', () => {
  const q: QualityReport = {
    model: 'm', version: 'v1', predictions: 100,
    nullRates: [{ feature: 'a', nulls: 5, rate: 0.05 }],
    typeViolations: ['b'],
    outOfRange: [{ feature: 'a', count: 2, share: 0.02, refMin: 0, refMax: 1 }, { feature: 'c', count: 0, share: 0, refMin: 0, refMax: 1 }],
    appeared: ['d'], disappeared: [],
    unseenCategories: [{ feature: 'k', categories: ['new'], count: 1 }],
  };
  it('writes one row per finding, warnings where something is wrong', () => {
    const rows = qualityRows(W, q, 'ref');
    expect(rows.map((r) => [r.subject, r.metric, r.status])).toEqual([
      ['a', 'null_rate', 'ok'], ['b', 'type_violation', 'warn'], ['a', 'out_of_range', 'warn'], ['c', 'out_of_range', 'ok'],
      ['k', 'unseen_categories', 'warn'], ['__schema__', 'schema_changes', 'warn'],
    ]);
    expect(rows.at(-1)!.details).toEqual({ appeared: ['d'], disappeared: [] });
    expect(rows.every((r) => r.reference === 'ref' && r.analyzer === 'quality')).toBe(true);
  });
  it('a window without predictions has a nodata schema row', () => {
    const rows = qualityRows(W, { ...q, predictions: 0, nullRates: [], typeViolations: [], outOfRange: [], unseenCategories: [], appeared: [] }, 'ref');
    expect(rows.map((r) => [r.metric, r.status])).toEqual([['schema_changes', 'nodata']]);
  });
});
