-- Raw ingest tables. Typed columns for everything the analyzers read; daily partitions;
-- ORDER BY starts with the model. Retention TTLs are set from config at start (storage/retention.ts).

CREATE TABLE IF NOT EXISTS {{db}}.predictions {{on_cluster}} (
  ts DateTime64(3, 'UTC'),
  model LowCardinality(String),
  version LowCardinality(String),
  environment LowCardinality(String),
  service LowCardinality(String),
  host LowCardinality(String),
  prediction_id String,
  prediction_value Nullable(Float64),
  prediction_label Nullable(String),
  score Nullable(Float64),
  latency_ms Nullable(Float64),
  error_type LowCardinality(String),
  features_num Map(LowCardinality(String), Float64),
  features_cat Map(LowCardinality(String), String),
  features_null Array(LowCardinality(String)),
  attributes Map(LowCardinality(String), String),
  trace_id String,
  span_id String,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = {{MergeTree:predictions}}
PARTITION BY toDate(ts)
ORDER BY (model, version, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {{db}}.ground_truth {{on_cluster}} (
  ts DateTime64(3, 'UTC'),
  model LowCardinality(String),
  prediction_id String,
  label String,
  label_num Nullable(Float64),
  service LowCardinality(String),
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = {{MergeTree:ground_truth}}
PARTITION BY toDate(ts)
ORDER BY (model, prediction_id, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {{db}}.logs {{on_cluster}} (
  ts DateTime64(9, 'UTC'),
  observed_ts DateTime64(9, 'UTC'),
  trace_id String,
  span_id String,
  severity_text LowCardinality(String),
  severity_number UInt8,
  service LowCardinality(String),
  event_name LowCardinality(String),
  body String,
  resource_attributes Map(LowCardinality(String), String),
  scope_name LowCardinality(String),
  scope_version LowCardinality(String),
  attributes Map(LowCardinality(String), String)
) ENGINE = {{MergeTree:logs}}
PARTITION BY toDate(ts)
ORDER BY (service, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {{db}}.spans {{on_cluster}} (
  ts DateTime64(9, 'UTC'),
  trace_id String,
  span_id String,
  parent_span_id String,
  name LowCardinality(String),
  kind LowCardinality(String),
  service LowCardinality(String),
  model LowCardinality(String),
  duration_ns UInt64,
  status_code LowCardinality(String),
  status_message String,
  resource_attributes Map(LowCardinality(String), String),
  attributes Map(LowCardinality(String), String),
  events_ts Array(DateTime64(9, 'UTC')),
  events_name Array(LowCardinality(String)),
  events_attributes Array(Map(LowCardinality(String), String)),
  links_trace_id Array(String),
  links_span_id Array(String)
) ENGINE = {{MergeTree:spans}}
PARTITION BY toDate(ts)
ORDER BY (service, name, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

-- Gauge and sum data points.
CREATE TABLE IF NOT EXISTS {{db}}.metric_points {{on_cluster}} (
  ts DateTime64(9, 'UTC'),
  start_ts DateTime64(9, 'UTC'),
  name LowCardinality(String),
  kind Enum8('gauge' = 1, 'sum' = 2),
  unit LowCardinality(String),
  service LowCardinality(String),
  is_monotonic UInt8,
  temporality UInt8,
  value Float64,
  resource_attributes Map(LowCardinality(String), String),
  attributes Map(LowCardinality(String), String)
) ENGINE = {{MergeTree:metric_points}}
PARTITION BY toDate(ts)
ORDER BY (name, service, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {{db}}.metric_histograms {{on_cluster}} (
  ts DateTime64(9, 'UTC'),
  start_ts DateTime64(9, 'UTC'),
  name LowCardinality(String),
  unit LowCardinality(String),
  service LowCardinality(String),
  temporality UInt8,
  count UInt64,
  sum Nullable(Float64),
  min Nullable(Float64),
  max Nullable(Float64),
  bounds Array(Float64),
  bucket_counts Array(UInt64),
  resource_attributes Map(LowCardinality(String), String),
  attributes Map(LowCardinality(String), String)
) ENGINE = {{MergeTree:metric_histograms}}
PARTITION BY toDate(ts)
ORDER BY (name, service, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

-- hw.gpu.* samples, one row per (time, GPU, metric): robust to exporters that send a subset.
CREATE TABLE IF NOT EXISTS {{db}}.gpu_samples {{on_cluster}} (
  ts DateTime64(3, 'UTC'),
  host LowCardinality(String),
  gpu_id LowCardinality(String),
  gpu_name LowCardinality(String),
  service LowCardinality(String),
  metric LowCardinality(String),
  value Float64,
  attributes Map(LowCardinality(String), String)
) ENGINE = {{MergeTree:gpu_samples}}
PARTITION BY toDate(ts)
ORDER BY (host, gpu_id, metric, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

-- Records that could not be decoded or stored, with where they came from and why.
CREATE TABLE IF NOT EXISTS {{db}}.dead_letters {{on_cluster}} (
  ts DateTime64(3, 'UTC') DEFAULT now64(3),
  source LowCardinality(String),
  topic String,
  partition Int32,
  offset Int64,
  key String,
  error String,
  raw String
) ENGINE = {{MergeTree:dead_letters}}
PARTITION BY toDate(ts)
ORDER BY (source, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY;
