import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS, MwError, isMwError } from './errors.ts';

describe('error catalog', () => {
  it('docs/errors.md documents exactly the codes of core/errors.ts', () => {
    const doc = fs.readFileSync(path.join(import.meta.dirname, '../docs/errors.md'), 'utf8');
    const documented = [...doc.matchAll(/^## (MW_ERR_[A-Z0-9_]+)\s*$/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(ERRORS).sort());
  });

  it('carries code, status and detail', () => {
    const e = new MwError('MW_ERR_QUEUE_FULL', '10 rows queued', { rows: 10 });
    expect(e.message).toBe('the collector is full; retry later: 10 rows queued');
    expect(e.statusCode).toBe(503);
    expect(isMwError(e, 'MW_ERR_QUEUE_FULL')).toBe(true);
    expect(isMwError(e, 'MW_ERR_NOT_FOUND')).toBe(false);
    expect(isMwError(new Error('x'))).toBe(false);
  });
});
