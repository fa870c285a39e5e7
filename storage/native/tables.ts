import type { NativeColumn } from './block.ts';

/**
 * Tables the writer sends in Native format, with the columns it writes (the rest take their
 * defaults, e.g. `inserted_at`). The names and order match the table; the kinds are the plain
 * types ClickHouse converts from (storage/migrations/0001_ingest_tables.sql has the real ones).
 * Other tables go as JSONEachRow: their volume is small beside predictions.
 */
export const NATIVE_TABLES: Readonly<Record<string, readonly NativeColumn[]>> = {
  predictions: [
    { name: 'ts', kind: 'DateTime64(3)' },
    { name: 'model', kind: 'String' },
    { name: 'version', kind: 'String' },
    { name: 'environment', kind: 'String' },
    { name: 'service', kind: 'String' },
    { name: 'host', kind: 'String' },
    { name: 'prediction_id', kind: 'String' },
    { name: 'prediction_value', kind: 'Nullable(Float64)' },
    { name: 'prediction_label', kind: 'Nullable(String)' },
    { name: 'score', kind: 'Nullable(Float64)' },
    { name: 'latency_ms', kind: 'Nullable(Float64)' },
    { name: 'error_type', kind: 'String' },
    { name: 'features_num', kind: 'Map(String, Float64)' },
    { name: 'features_cat', kind: 'Map(String, String)' },
    { name: 'features_null', kind: 'Array(String)' },
    { name: 'attributes', kind: 'Map(String, String)' },
    { name: 'trace_id', kind: 'String' },
    { name: 'span_id', kind: 'String' },
  ],
};
