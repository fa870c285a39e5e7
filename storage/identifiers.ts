import { MwError } from '../core/errors.ts';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Validates a SQL identifier (database, table, column) against a strict pattern and returns it. */
export function ident(name: string): string {
  if (typeof name !== 'string' || !IDENT.test(name)) {
    throw new MwError('MW_ERR_BAD_IDENTIFIER', JSON.stringify(name), { name });
  }
  return name;
}
