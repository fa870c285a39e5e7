-- Per-minute, mergeable rollups fed by materialized views. Each keeps a deduplication window so
-- a retried insert (same token) is not counted twice in the rollups either.
-- An analysis over a day merges about
-- 1,440 states per (model, version, feature) instead of reading every raw row.

-- Latency and traffic per model/version/minute. quantilesDD keeps a relative-error guarantee
-- (1%): a merged p99 is within 1% of the exact value.
CREATE TABLE IF NOT EXISTS {{db}}.latency_1m {{on_cluster}} (
  model LowCardinality(String),
  version LowCardinality(String),
  minute DateTime('UTC'),
  predictions SimpleAggregateFunction(sum, UInt64),
  errors SimpleAggregateFunction(sum, UInt64),
  with_latency SimpleAggregateFunction(sum, UInt64),
  latency_sum SimpleAggregateFunction(sum, Float64),
  latency_max SimpleAggregateFunction(max, Float64),
  latency_sketch AggregateFunction(quantilesDD(0.01, 0.5), Float64)
) ENGINE = {{AggregatingMergeTree:latency_1m}}
PARTITION BY toDate(minute)
ORDER BY (model, version, minute)
TTL minute + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.latency_1m_mv {{on_cluster}} TO {{db}}.latency_1m AS
SELECT
  model, version, toStartOfMinute(ts) AS minute,
  count() AS predictions,
  countIf(error_type != '') AS errors,
  countIf(latency_ms IS NOT NULL) AS with_latency,
  sumIf(assumeNotNull(latency_ms), latency_ms IS NOT NULL) AS latency_sum,
  maxIf(assumeNotNull(latency_ms), latency_ms IS NOT NULL) AS latency_max,
  quantilesDDStateIf(0.01, 0.5)(assumeNotNull(latency_ms), latency_ms IS NOT NULL AND latency_ms > 0) AS latency_sketch
FROM {{db}}.predictions
GROUP BY model, version, minute;

-- Numeric features: moments, extremes and a t-digest (rank-accurate, what KS and binned
-- methods need) per model/version/feature/minute.
CREATE TABLE IF NOT EXISTS {{db}}.feature_num_1m {{on_cluster}} (
  model LowCardinality(String),
  version LowCardinality(String),
  feature LowCardinality(String),
  minute DateTime('UTC'),
  count SimpleAggregateFunction(sum, UInt64),
  sum SimpleAggregateFunction(sum, Float64),
  sum_sq SimpleAggregateFunction(sum, Float64),
  min SimpleAggregateFunction(min, Float64),
  max SimpleAggregateFunction(max, Float64),
  digest AggregateFunction(quantilesTDigest(0.5), Float64)
) ENGINE = {{AggregatingMergeTree:feature_num_1m}}
PARTITION BY toDate(minute)
ORDER BY (model, version, feature, minute)
TTL minute + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.feature_num_1m_mv {{on_cluster}} TO {{db}}.feature_num_1m AS
SELECT
  model, version, feature, toStartOfMinute(ts) AS minute,
  count() AS count, sum(value) AS sum, sum(value * value) AS sum_sq,
  min(value) AS min, max(value) AS max,
  quantilesTDigestState(0.5)(value) AS digest
FROM {{db}}.predictions
ARRAY JOIN mapKeys(features_num) AS feature, mapValues(features_num) AS value
GROUP BY model, version, feature, minute;

-- Categorical features: counts per category.
CREATE TABLE IF NOT EXISTS {{db}}.feature_cat_1m {{on_cluster}} (
  model LowCardinality(String),
  version LowCardinality(String),
  feature LowCardinality(String),
  minute DateTime('UTC'),
  category String,
  count UInt64
) ENGINE = {{SummingMergeTree:feature_cat_1m}}
PARTITION BY toDate(minute)
ORDER BY (model, version, feature, minute, category)
TTL minute + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.feature_cat_1m_mv {{on_cluster}} TO {{db}}.feature_cat_1m AS
SELECT
  model, version, feature, toStartOfMinute(ts) AS minute, category, count() AS count
FROM {{db}}.predictions
ARRAY JOIN mapKeys(features_cat) AS feature, mapValues(features_cat) AS category
GROUP BY model, version, feature, minute, category;

-- Nulls per feature; the denominator is latency_1m.predictions for the same minute.
CREATE TABLE IF NOT EXISTS {{db}}.feature_null_1m {{on_cluster}} (
  model LowCardinality(String),
  version LowCardinality(String),
  feature LowCardinality(String),
  minute DateTime('UTC'),
  nulls UInt64
) ENGINE = {{SummingMergeTree:feature_null_1m}}
PARTITION BY toDate(minute)
ORDER BY (model, version, feature, minute)
TTL minute + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.feature_null_1m_mv {{on_cluster}} TO {{db}}.feature_null_1m AS
SELECT model, version, feature, toStartOfMinute(ts) AS minute, count() AS nulls
FROM {{db}}.predictions
ARRAY JOIN features_null AS feature
GROUP BY model, version, feature, minute;

-- GPU metrics per GPU and minute.
CREATE TABLE IF NOT EXISTS {{db}}.gpu_1m {{on_cluster}} (
  host LowCardinality(String),
  gpu_id LowCardinality(String),
  gpu_name SimpleAggregateFunction(any, LowCardinality(String)),
  metric LowCardinality(String),
  minute DateTime('UTC'),
  samples SimpleAggregateFunction(sum, UInt64),
  sum SimpleAggregateFunction(sum, Float64),
  min SimpleAggregateFunction(min, Float64),
  max SimpleAggregateFunction(max, Float64),
  digest AggregateFunction(quantilesTDigest(0.5), Float64)
) ENGINE = {{AggregatingMergeTree:gpu_1m}}
PARTITION BY toDate(minute)
ORDER BY (host, gpu_id, metric, minute)
TTL minute + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.gpu_1m_mv {{on_cluster}} TO {{db}}.gpu_1m AS
SELECT host, gpu_id, any(gpu_name) AS gpu_name, metric, toStartOfMinute(ts) AS minute,
  count() AS samples, sum(value) AS sum, min(value) AS min, max(value) AS max,
  quantilesTDigestState(0.5)(value) AS digest
FROM {{db}}.gpu_samples
GROUP BY host, gpu_id, metric, minute;
