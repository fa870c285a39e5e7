import { MwError, type ErrorCode } from '../../core/errors.ts';
import type { BodyKind } from '../ingest-body.ts';
import type { PreparedWrite } from '../ingest-prepare.ts';

/** A restricted model scope as a decode thread rebuilds it (a function does not cross threads). */
export interface ScopeSpec {
  patterns: readonly string[];
  keyId?: string;
}

/** One request body for a decode thread. */
export interface DecodeJob {
  id: number;
  kind: BodyKind;
  proto: boolean;
  body: Uint8Array;
  scope?: ScopeSpec;
}

/** An error as it crosses back from a decode thread. */
export interface ErrorSpec {
  code?: string;
  name: string;
  message: string;
  detail?: Record<string, unknown>;
}

/** A decode thread's answer to one job. */
export type DecodeAnswer = { id: number; ok: PreparedWrite } | { id: number; error: ErrorSpec };

/** An error, flattened so that it crosses threads with its code. */
export function errorSpec(err: unknown): ErrorSpec {
  if (err instanceof MwError) return { code: err.code, name: err.name, message: err.message, detail: err.detail };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/** The error again, on this side: an MwError keeps its code, status and message. */
export function errorFrom(spec: ErrorSpec): Error {
  if (spec.code) {
    const err = new MwError(spec.code as ErrorCode, undefined, spec.detail);
    err.message = spec.message;
    return err;
  }
  const err = new Error(spec.message);
  err.name = spec.name;
  return err;
}
