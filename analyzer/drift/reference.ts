import path from 'node:path';
import { MwError } from '../../core/errors.ts';
import { previousWindow, type Window } from '../window.ts';

/** Formats ClickHouse reads a reference file in: a whitelist, chosen by file extension. */
export const FILE_FORMATS = {
  csv: 'CSVWithNames',
  tsv: 'TSVWithNames',
  parquet: 'Parquet',
  ndjson: 'JSONEachRow',
  jsonl: 'JSONEachRow',
} as const;

/** A reference file: a validated path and a whitelisted ClickHouse input format. */
export interface FileSource {
  kind: 'file';
  path: string;
  format: (typeof FILE_FORMATS)[keyof typeof FILE_FORMATS];
}

/** Where the reference distribution comes from. */
export type ReferenceSpec =
  /** The stretch just before the current window: as long as it, or `lengthMs` long ("this hour against the last 7 days"). */
  | { kind: 'previous'; lengthMs?: number }
  | { kind: 'range'; window: Window }
  | FileSource;

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Parses a length such as `90m`, `24h` or `29d` (the pattern the config validates) into milliseconds; undefined when malformed. */
export function parseLength(text: string): number | undefined {
  const m = /^([1-9][0-9]{0,5})([mhd])$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : undefined;
}

// file() expands globs ({a,b}, *, ?, [..]) and ClickHouse reads '\' escapes: none of these belong in a path we accept.
const FORBIDDEN = /[\0\r\n*?{}[\]\\'"`]/;

/**
 * Validates a reference file path and picks its format from the extension. With `root`, the
 * resolved path must lie inside it (the API reads only files under the configured directory).
 */
export function fileSource(p: string, opts: { root?: string; format?: string } = {}): FileSource {
  if (typeof p !== 'string' || p.length === 0 || p.length > 4096 || FORBIDDEN.test(p)) {
    throw new MwError('MW_ERR_REFERENCE_INVALID', `file path ${JSON.stringify(p)} is empty or contains characters that are not allowed`);
  }
  const abs = path.resolve(p);
  if (opts.root !== undefined) {
    const root = path.resolve(opts.root);
    const rel = path.relative(root, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new MwError('MW_ERR_REFERENCE_INVALID', `file ${JSON.stringify(p)} is outside the reference directory`);
    }
  }
  const ext = (opts.format ?? path.extname(abs).slice(1)).toLowerCase() as keyof typeof FILE_FORMATS;
  const format = FILE_FORMATS[ext];
  if (!format) {
    throw new MwError('MW_ERR_REFERENCE_INVALID', `file ${JSON.stringify(p)}: format must be one of ${Object.keys(FILE_FORMATS).join(', ')}`);
  }
  return { kind: 'file', path: abs, format };
}

/**
 * Parses a reference as the API and CLI write it: `previous`, `previous:<length>` (`29d`, `24h`,
 * `90m`), `<ISO from>..<ISO to>`, or `file:<path>` (files only when `fileRoot` allows them).
 */
export function parseReference(text: string | undefined, opts: { fileRoot?: string; allowFiles?: boolean } = {}): ReferenceSpec {
  if (text === undefined || text === '' || text === 'previous') return { kind: 'previous' };
  if (text.startsWith('previous:')) {
    const lengthMs = parseLength(text.slice(9));
    if (lengthMs === undefined) throw new MwError('MW_ERR_REFERENCE_INVALID', `${JSON.stringify(text)}: expected previous:<n>m, previous:<n>h or previous:<n>d`);
    return { kind: 'previous', lengthMs };
  }
  if (text.startsWith('file:')) {
    if (opts.allowFiles === false) throw new MwError('MW_ERR_REFERENCE_INVALID', 'file references are not enabled (set analyzer.referenceDir)');
    return fileSource(text.slice(5), { root: opts.fileRoot });
  }
  const m = /^(.+)\.\.(.+)$/.exec(text);
  if (m) {
    const from = new Date(m[1]);
    const to = new Date(m[2]);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
      throw new MwError('MW_ERR_REFERENCE_INVALID', `${JSON.stringify(text)}: expected <ISO from>..<ISO to> with from < to`);
    }
    return { kind: 'range', window: { from, to } };
  }
  throw new MwError('MW_ERR_REFERENCE_INVALID', `${JSON.stringify(text)}: expected previous, previous:<length>, <ISO from>..<ISO to> or file:<path>`);
}

/** The reference window for a time-based reference, relative to the current window. */
export function referenceWindow(spec: ReferenceSpec, current: Window): Window | undefined {
  if (spec.kind === 'previous') return spec.lengthMs ? { from: new Date(current.from.getTime() - spec.lengthMs), to: new Date(current.from) } : previousWindow(current);
  if (spec.kind === 'range') return spec.window;
  return undefined;
}

/** A short text naming the reference, stored with each result row. */
export function describeReference(spec: ReferenceSpec, current: Window): string {
  if (spec.kind === 'file') return `file:${spec.path}`;
  const w = referenceWindow(spec, current)!;
  return `${spec.kind === 'previous' ? 'previous:' : ''}${w.from.toISOString()}..${w.to.toISOString()}`;
}
