/**
 * The configuration schema: every setting modelwatch reads, with its type, default and range.
 * Other parts add their section here rather than reading the environment themselves.
 */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', default: '127.0.0.1', minLength: 1 },
        port: { type: 'integer', default: 4318, minimum: 0, maximum: 65535 },
        bodyLimitBytes: { type: 'integer', default: 20 * 1024 * 1024, minimum: 1024, maximum: 1024 * 1024 * 1024 },
        publicUrl: { type: 'string', default: '' },
      },
    },
    storage: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        dataDir: { type: 'string', default: './data', minLength: 1 },
        url: { type: 'string', default: '' },
        user: { type: 'string', default: 'default' },
        password: { type: 'string', default: '' },
        database: { type: 'string', default: 'modelwatch', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
        retentionDays: { type: 'integer', default: 30, minimum: 1, maximum: 3650 },
        requestTimeoutMs: { type: 'integer', default: 30000, minimum: 100, maximum: 600000 },
      },
    },
    writer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxBatchRows: { type: 'integer', default: 50000, minimum: 1, maximum: 10000000 },
        flushIntervalMs: { type: 'integer', default: 1000, minimum: 10, maximum: 600000 },
        maxQueueRows: { type: 'integer', default: 1000000, minimum: 1, maximum: 100000000 },
        maxAttempts: { type: 'integer', default: 5, minimum: 1, maximum: 100 },
        retryBaseMs: { type: 'integer', default: 200, minimum: 1, maximum: 60000 },
      },
    },
    analyzer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        intervalMs: { type: 'integer', default: 60000, minimum: 1000, maximum: 86400000 },
        windowMinutes: { type: 'integer', default: 60, minimum: 1, maximum: 43200 },
        referenceFile: { type: 'string', default: '' },
        referenceDir: { type: 'string', default: '' },
        driftShare: { type: 'number', default: 0.5, minimum: 0, maximum: 1 },
        nullRateThreshold: { type: 'number', default: 0.05, minimum: 0, maximum: 1 },
        driftMethod: { type: 'string', default: '' },
        columnMethods: { type: 'object', default: {}, additionalProperties: { type: 'string' } },
        columnThresholds: { type: 'object', default: {}, additionalProperties: { type: 'number' } },
        segmentBy: { type: 'array', default: [], items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,127}$' }, maxItems: 20 },
        positiveClass: { type: 'string', default: '' },
      },
    },
    alerts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        rulesFile: { type: 'string', default: '' },
        evaluationIntervalMs: { type: 'integer', default: 15000, minimum: 100, maximum: 3600000 },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
      },
    },
  },
} as const;

/** The validated configuration, with every default filled in. */
export interface Config {
  server: { host: string; port: number; bodyLimitBytes: number; publicUrl: string };
  storage: {
    dataDir: string;
    url: string;
    user: string;
    password: string;
    database: string;
    retentionDays: number;
    requestTimeoutMs: number;
  };
  writer: { maxBatchRows: number; flushIntervalMs: number; maxQueueRows: number; maxAttempts: number; retryBaseMs: number };
  analyzer: {
    enabled: boolean;
    intervalMs: number;
    windowMinutes: number;
    referenceFile: string;
    /** Directory the drift API may read `file:` references from ('' = none). */
    referenceDir: string;
    driftShare: number;
    nullRateThreshold: number;
    /** Method for every column ('' = the defaults by sample size and type). */
    driftMethod: string;
    columnMethods: Record<string, string>;
    columnThresholds: Record<string, number>;
    /** Categorical features whose values each get their own drift segment. */
    segmentBy: string[];
    positiveClass: string;
  };
  alerts: { enabled: boolean; rulesFile: string; evaluationIntervalMs: number };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
}

/** Environment variables that map onto config keys (MODELWATCH_<SECTION>_<KEY>). */
export const ENV_KEYS: Record<string, string> = {
  MODELWATCH_SERVER_HOST: 'server.host',
  MODELWATCH_SERVER_PORT: 'server.port',
  MODELWATCH_SERVER_BODY_LIMIT_BYTES: 'server.bodyLimitBytes',
  MODELWATCH_SERVER_PUBLIC_URL: 'server.publicUrl',
  MODELWATCH_STORAGE_DATA_DIR: 'storage.dataDir',
  MODELWATCH_CLICKHOUSE_URL: 'storage.url',
  MODELWATCH_CLICKHOUSE_USER: 'storage.user',
  MODELWATCH_CLICKHOUSE_PASSWORD: 'storage.password',
  MODELWATCH_CLICKHOUSE_DATABASE: 'storage.database',
  MODELWATCH_RETENTION_DAYS: 'storage.retentionDays',
  MODELWATCH_LOG_LEVEL: 'log.level',
};
