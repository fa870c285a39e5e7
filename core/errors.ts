/**
 * The one catalog of modelwatch error codes. Every code here is documented in docs/errors.md;
 * core/errors.test.ts checks that the two agree.
 */
export const ERRORS = {
  MW_ERR_CONFIG_INVALID: { status: 500, message: 'invalid configuration' },
  MW_ERR_CONFIG_FILE: { status: 500, message: 'configuration file cannot be read or parsed' },
  MW_ERR_CLICKHOUSE_VERSION: { status: 500, message: 'ClickHouse is older than the schema needs' },
  MW_ERR_CLICKHOUSE_UNAVAILABLE: { status: 503, message: 'ClickHouse cannot be reached' },
  MW_ERR_MIGRATION_FAILED: { status: 500, message: 'a schema migration failed' },
  MW_ERR_MIGRATION_CHECKSUM: { status: 500, message: 'an applied migration differs from the code' },
  MW_ERR_BACKFILL_FAILED: { status: 500, message: 'building the hour and day rollup levels failed' },
  MW_ERR_BAD_IDENTIFIER: { status: 400, message: 'identifier does not match the allowed pattern' },
  MW_ERR_BODY_UNDECODABLE: { status: 400, message: 'request body cannot be decoded' },
  MW_ERR_BODY_TOO_LARGE: { status: 413, message: 'request body exceeds the size limit' },
  MW_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported content type' },
  MW_ERR_UNSUPPORTED_ENCODING: { status: 415, message: 'unsupported content encoding' },
  MW_ERR_QUEUE_FULL: { status: 503, message: 'the collector is full; retry later' },
  MW_ERR_RECORD_INVALID: { status: 400, message: 'a record is invalid' },
  MW_ERR_WRITE_FAILED: { status: 500, message: 'rows could not be written to ClickHouse' },
  MW_ERR_NOT_FOUND: { status: 404, message: 'not found' },
  MW_ERR_BAD_QUERY_PARAM: { status: 400, message: 'invalid query parameter' },
  MW_ERR_SHUTTING_DOWN: { status: 503, message: 'the server is shutting down' },
  MW_ERR_ALERT_RULES_FILE: { status: 500, message: 'alert rules file cannot be read or parsed' },
  MW_ERR_ALERT_RULES_INVALID: { status: 400, message: 'invalid alert rules' },
  MW_ERR_ALERT_RECEIVER_UNKNOWN: { status: 404, message: 'no such alert receiver' },
  MW_ERR_SILENCE_INVALID: { status: 400, message: 'invalid silence' },
  MW_ERR_SILENCE_NOT_FOUND: { status: 404, message: 'no such silence' },
  MW_ERR_REFERENCE_INVALID: { status: 400, message: 'invalid drift reference' },
  MW_ERR_REFERENCE_UNREADABLE: { status: 400, message: 'the drift reference cannot be read' },
  MW_ERR_DRIFT_METHOD: { status: 400, message: 'unknown or inapplicable drift method' },
  MW_ERR_CONTRACT_INVALID: { status: 400, message: 'invalid data contract' },
  MW_ERR_SPOOL_FULL: { status: 503, message: 'ClickHouse is unavailable and the local spool is full; retry later' },
  MW_ERR_UNAUTHORIZED: { status: 401, message: 'missing or unknown API key' },
  MW_ERR_FORBIDDEN: { status: 403, message: 'the API key does not allow this' },
  MW_ERR_SPOOL_LOCKED: { status: 500, message: 'the spool directory is in use by another process' },
  MW_ERR_MEMORY_LIMIT: { status: 503, message: 'the collector is over its memory limit; retry later' },
  MW_ERR_KAFKA_UNAVAILABLE: { status: 503, message: 'the Kafka brokers cannot be reached' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** An error carrying a catalog code, an HTTP status and optional structured detail. */
export class MwError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly detail?: Record<string, unknown>;
  constructor(code: ErrorCode, message?: string, detail?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ? `${ERRORS[code].message}: ${message}` : ERRORS[code].message, options);
    this.name = 'MwError';
    this.code = code;
    this.statusCode = ERRORS[code].status;
    this.detail = detail;
  }
}

/** True when `err` is a modelwatch error with the given code. */
export function isMwError(err: unknown, code?: ErrorCode): err is MwError {
  return err instanceof MwError && (code === undefined || err.code === code);
}
