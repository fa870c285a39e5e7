import os from 'node:os';
/**
 * Decode threads when the config names none: one core left to the event loop (and an embedded
 * ClickHouse), at most 4; none on one core. Measured in BENCHMARKS.md ("Issue 12, sixth part").
 */
export const DEFAULT_DECODE_THREADS = Math.min(4, Math.max(0, os.availableParallelism() - 1));

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
        maxRssBytes: { type: 'integer', default: 0, minimum: 0, maximum: 1024 * 1024 * 1024 * 1024 },
        decodeThreads: { type: 'integer', default: DEFAULT_DECODE_THREADS, minimum: 0, maximum: 64 },
        tls: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            keyFile: { type: 'string', default: '' },
            certFile: { type: 'string', default: '' },
          },
        },
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
        minuteRetentionDays: { type: 'integer', default: 30, minimum: 1, maximum: 3650 },
        hourRetentionDays: { type: 'integer', default: 400, minimum: 1, maximum: 3650 },
        dayRetentionDays: { type: 'integer', default: 1825, minimum: 1, maximum: 7300 },
        requestTimeoutMs: { type: 'integer', default: 30000, minimum: 100, maximum: 600000 },
        cluster: { type: 'string', default: '', pattern: '^([A-Za-z_][A-Za-z0-9_]{0,63})?$' },
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
        maxQueueBytes: { type: 'integer', default: 256 * 1024 * 1024, minimum: 0, maximum: 64 * 1024 * 1024 * 1024 },
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
        // The stretch before each window drift compares it against ('' = as long as the window): 7d, 24h, 90m.
        referenceWindow: { type: 'string', default: '', pattern: '^([1-9][0-9]{0,5}[mhd])?$' },
        referenceDir: { type: 'string', default: '' },
        contractFile: { type: 'string', default: '' },
        driftShare: { type: 'number', default: 0.5, minimum: 0, maximum: 1 },
        nullRateThreshold: { type: 'number', default: 0.05, minimum: 0, maximum: 1 },
        driftMethod: { type: 'string', default: '' },
        columnMethods: { type: 'object', default: {}, additionalProperties: { type: 'string' } },
        columnThresholds: { type: 'object', default: {}, additionalProperties: { type: 'number' } },
        segmentBy: { type: 'array', default: [], items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,127}$' }, maxItems: 20 },
        positiveClass: { type: 'string', default: '' },
        correction: { type: 'string', enum: ['none', 'bonferroni', 'bh'], default: 'none' },
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
    auth: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        keys: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'hash', 'access'],
            properties: {
              id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,63}$' },
              hash: { type: 'string', pattern: '^(sha256:)?[0-9a-f]{64}$' },
              tenants: { type: 'array', default: [], items: { type: 'string', minLength: 1 } },
              models: { type: 'array', default: [], items: { type: 'string', minLength: 1, maxLength: 256 } },
              access: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: ['read', 'write'] } },
            },
          },
        },
        tenants: {
          type: 'object',
          default: {},
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['models'],
            properties: { models: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 } } },
          },
        },
        table: { type: 'boolean', default: false },
        refreshMs: { type: 'integer', default: 30000, minimum: 100, maximum: 3600000 },
        allowAnonymous: { type: 'boolean', default: false },
      },
    },
    privacy: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        rules: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['feature', 'action'],
            properties: {
              feature: { type: 'string', minLength: 1, maxLength: 128 },
              models: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 } },
              action: { type: 'string', enum: ['drop', 'hash', 'bucketize'] },
              buckets: { type: 'array', minItems: 1, items: { type: 'number' } },
            },
          },
        },
        hmacKeyFile: { type: 'string', default: '' },
        hmacKey: { type: 'string', default: '' },
      },
    },
    spool: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        dir: { type: 'string', default: '' },
        maxBytes: { type: 'integer', default: 1024 * 1024 * 1024, minimum: 4096, maximum: 1024 * 1024 * 1024 * 1024 },
        fsync: { type: 'boolean', default: true },
      },
    },
    kafka: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: false },
        // A list, or one comma-separated string (how MODELWATCH_KAFKA_BROKERS arrives).
        brokers: { default: [], anyOf: [{ type: 'array', items: { type: 'string', minLength: 1 } }, { type: 'string' }] },
        clientId: { type: 'string', default: 'modelwatch', minLength: 1 },
        groupId: { type: 'string', default: 'modelwatch-collector', minLength: 1 },
        topics: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            predictions: { type: 'array', default: [], items: { type: 'string', minLength: 1, maxLength: 249 } },
            otlpLogs: { type: 'array', default: [], items: { type: 'string', minLength: 1, maxLength: 249 } },
          },
        },
        dlqTopic: { type: 'string', default: '' },
        fromBeginning: { type: 'boolean', default: true },
        sessionTimeoutMs: { type: 'integer', default: 30000, minimum: 6000, maximum: 300000 },
        maxBytesPerPartition: { type: 'integer', default: 4 * 1024 * 1024, minimum: 1024, maximum: 256 * 1024 * 1024 },
        partitionsConsumedConcurrently: { type: 'integer', default: 4, minimum: 1, maximum: 256 },
        pauseMs: { type: 'integer', default: 1000, minimum: 10, maximum: 300000 },
        lingerMs: { type: 'integer', default: 1000, minimum: 0, maximum: 60000 },
        chunkOffsets: { type: 'integer', default: 50000, minimum: 1, maximum: 10000000 },
        chunkMaxRows: { type: 'integer', default: 50000, minimum: 1, maximum: 10000000 },
        chunkMaxBytes: { type: 'integer', default: 16 * 1024 * 1024, minimum: 1024, maximum: 1024 * 1024 * 1024 },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
        format: { type: 'string', enum: ['auto', 'json', 'pretty'], default: 'auto' },
        summaryIntervalMs: { type: 'integer', default: 60000, minimum: 0, maximum: 86400000 },
      },
    },
  },
} as const;

/** The validated configuration, with every default filled in. */
export interface Config {
  server: { host: string; port: number; bodyLimitBytes: number; publicUrl: string; /** Ingest answers 503 while the process RSS is above this (0 = off). */ maxRssBytes: number; /** Worker threads that decode ingest bodies (0: on the event loop). */ decodeThreads: number; tls: { keyFile: string; certFile: string } };
  storage: {
    dataDir: string;
    url: string;
    user: string;
    password: string;
    database: string;
    /** TTL of the raw tables, in days. */
    retentionDays: number;
    /** TTL of each rollup level, in days; finer levels are kept no longer than coarser ones (checked at load). */
    minuteRetentionDays: number;
    hourRetentionDays: number;
    dayRetentionDays: number;
    requestTimeoutMs: number;
    /** ClickHouse cluster the DDL targets ('' = a single node): ON CLUSTER, Replicated and Distributed tables. */
    cluster: string;
  };
  writer: { maxBatchRows: number; flushIntervalMs: number; maxQueueRows: number; maxAttempts: number; retryBaseMs: number; maxQueueBytes: number };
  analyzer: {
    enabled: boolean;
    intervalMs: number;
    windowMinutes: number;
    referenceFile: string;
    /** Length of the reference stretch before each window ('' = the window's own length). */
    referenceWindow: string;
    /** Directory the drift API may read `file:` references from ('' = none). */
    referenceDir: string;
    /** Data contract (`modelwatch check`'s YAML) judged on every window ('' = none). */
    contractFile: string;
    driftShare: number;
    nullRateThreshold: number;
    /** Method for every column ('' = the defaults by sample size and type). */
    driftMethod: string;
    columnMethods: Record<string, string>;
    columnThresholds: Record<string, number>;
    /** Categorical features whose values each get their own drift segment. */
    segmentBy: string[];
    positiveClass: string;
    /** Multiple-testing correction of drift p-values over a model's features. */
    correction: 'none' | 'bonferroni' | 'bh';
  };
  alerts: { enabled: boolean; rulesFile: string; evaluationIntervalMs: number };
  auth: {
    keys: { id: string; hash: string; tenants: string[]; models: string[]; access: ('read' | 'write')[] }[];
    tenants: Record<string, { models: string[] }>;
    /** Also accept keys stored in the api_keys table (`modelwatch keys create --store`). */
    table: boolean;
    refreshMs: number;
    /** Allow binding a non-loopback address with no keys at all. */
    allowAnonymous: boolean;
  };
  privacy: {
    rules: { feature: string; models?: string[]; action: 'drop' | 'hash' | 'bucketize'; buckets?: number[] }[];
    hmacKeyFile: string;
    /** The HMAC key itself (MODELWATCH_PRIVACY_HMAC_KEY); never logged. */
    hmacKey: string;
  };
  /** Local spool for batches ClickHouse cannot take now (docs/durability.md). */
  spool: { enabled: boolean; dir: string; maxBytes: number; fsync: boolean };
  kafka: {
    enabled: boolean;
    /** Bootstrap brokers: a list, or a comma-separated string (see brokerList in collector/kafka/options.ts). */
    brokers: string[] | string;
    clientId: string;
    groupId: string;
    topics: { predictions: string[]; otlpLogs: string[] };
    dlqTopic: string;
    fromBeginning: boolean;
    sessionTimeoutMs: number;
    maxBytesPerPartition: number;
    partitionsConsumedConcurrently: number;
    pauseMs: number;
    lingerMs: number;
    chunkOffsets: number;
    chunkMaxRows: number;
    chunkMaxBytes: number;
  };
  log: {
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
    /** json: pino lines; pretty: one short line per event for people; auto: pretty when stdout is a terminal. */
    format: 'auto' | 'json' | 'pretty';
    /** How often serve and collector log one summary line of what was ingested and analysed (0 = never). */
    summaryIntervalMs: number;
  };
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
  MODELWATCH_MINUTE_RETENTION_DAYS: 'storage.minuteRetentionDays',
  MODELWATCH_HOUR_RETENTION_DAYS: 'storage.hourRetentionDays',
  MODELWATCH_DAY_RETENTION_DAYS: 'storage.dayRetentionDays',
  MODELWATCH_SERVER_MAX_RSS_BYTES: 'server.maxRssBytes',
  MODELWATCH_SERVER_DECODE_THREADS: 'server.decodeThreads',
  MODELWATCH_SPOOL_DIR: 'spool.dir',
  MODELWATCH_SPOOL_MAX_BYTES: 'spool.maxBytes',
  MODELWATCH_LOG_LEVEL: 'log.level',
  MODELWATCH_LOG_FORMAT: 'log.format',
  MODELWATCH_KAFKA_BROKERS: 'kafka.brokers',
  MODELWATCH_KAFKA_GROUP_ID: 'kafka.groupId',
  MODELWATCH_CLICKHOUSE_CLUSTER: 'storage.cluster',
  MODELWATCH_SERVER_TLS_KEY_FILE: 'server.tls.keyFile',
  MODELWATCH_SERVER_TLS_CERT_FILE: 'server.tls.certFile',
  MODELWATCH_PRIVACY_HMAC_KEY: 'privacy.hmacKey',
  MODELWATCH_PRIVACY_HMAC_KEY_FILE: 'privacy.hmacKeyFile',
  MODELWATCH_AUTH_ALLOW_ANONYMOUS: 'auth.allowAnonymous',
  MODELWATCH_ANALYZER_CONTRACT_FILE: 'analyzer.contractFile',
};
