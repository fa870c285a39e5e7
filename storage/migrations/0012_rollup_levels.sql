-- Hour and day levels of every rollup (docs/rollups.md). Each level is fed by a materialized view
-- on the level below it, so a raw insert's cost grows by two small inserts of already aggregated
-- rows, not by more work per raw row. States are merged with -MergeState: an hour state is the
-- merge of its minute states, a day state the merge of its hour states. Readers pick the
-- coarsest level that fits a window (storage/levels.ts). Data stored before this migration is
-- built into these levels by `modelwatch migrate` (storage/backfill.ts).

CREATE TABLE IF NOT EXISTS {{db}}.latency_1h {{on_cluster}} (
  model LowCardinality(String),
  version LowCardinality(String),
  hour DateTime('UTC'),
  predictions SimpleAggregateFunction(sum, UInt64),
  errors SimpleAggregateFunction(sum, UInt64),
  with_latency SimpleAggregateFunction(sum, UInt64),
  latency_sum SimpleAggregateFunction(sum, Float64),
  latency_max SimpleAggregateFunction(max, Float64),
  latency_sketch AggregateFunction(quantilesDD(0.01, 0.5), Float64)
) ENGINE = {{AggregatingMergeTree:latency_1h}}
PARTITION BY toYYYYMM(hour)
ORDER BY (model, version, hour)
TTL hour + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.latency_1h_mv {{on_cluster}} TO {{db}}.latency_1h AS
SELECT model, version, toStartOfHour(minute) AS hour,
  sum(predictions) AS predictions, sum(errors) AS errors, sum(with_latency) AS with_latency,
  sum(latency_sum) AS latency_sum, max(latency_max) AS latency_max,
  quantilesDDMergeState(0.01, 0.5)(latency_sketch) AS latency_sketch
FROM {{db}}.latency_1m
GROUP BY model, version, hour;

CREATE TABLE IF NOT EXISTS {{db}}.latency_1d {{on_cluster}} (
  model LowCardinality(String),
  version LowCardinality(String),
  day DateTime('UTC'),
  predictions SimpleAggregateFunction(sum, UInt64),
  errors SimpleAggregateFunction(sum, UInt64),
  with_latency SimpleAggregateFunction(sum, UInt64),
  latency_sum SimpleAggregateFunction(sum, Float64),
  latency_max SimpleAggregateFunction(max, Float64),
  latency_sketch AggregateFunction(quantilesDD(0.01, 0.5), Float64)
) ENGINE = {{AggregatingMergeTree:latency_1d}}
PARTITION BY toYear(day)
ORDER BY (model, version, day)
TTL day + INTERVAL 1825 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.latency_1d_mv {{on_cluster}} TO {{db}}.latency_1d AS
SELECT model, version, toStartOfDay(hour) AS day,
  sum(predictions) AS predictions, sum(errors) AS errors, sum(with_latency) AS with_latency,
  sum(latency_sum) AS latency_sum, max(latency_max) AS latency_max,
  quantilesDDMergeState(0.01, 0.5)(latency_sketch) AS latency_sketch
FROM {{db}}.latency_1h
GROUP BY model, version, day;

CREATE TABLE IF NOT EXISTS {{db}}.feature_num_1h {{on_cluster}} (
  model LowCardinality(String),
  version LowCardinality(String),
  feature LowCardinality(String),
  hour DateTime('UTC'),
  count SimpleAggregateFunction(sum, UInt64),
  sum SimpleAggregateFunction(sum, Float64),
  sum_sq SimpleAggregateFunction(sum, Float64),
  min SimpleAggregateFunction(min, Float64),
  max SimpleAggregateFunction(max, Float64),
  digest AggregateFunction(quantilesTDigest(0.5), Float64)
) ENGINE = {{AggregatingMergeTree:feature_num_1h}}
PARTITION BY toYYYYMM(hour)
ORDER BY (model, version, feature, hour)
TTL hour + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.feature_num_1h_mv {{on_cluster}} TO {{db}}.feature_num_1h AS
SELECT model, version, feature, toStartOfHour(minute) AS hour,
  sum(count) AS count, sum(sum) AS sum, sum(sum_sq) AS sum_sq, min(min) AS min, max(max) AS max,
  quantilesTDigestMergeState(0.5)(digest) AS digest
FROM {{db}}.feature_num_1m
GROUP BY model, version, feature, hour;

CREATE TABLE IF NOT EXISTS {{db}}.feature_num_1d {{on_cluster}} (
  model LowCardinality(String),
  version LowCardinality(String),
  feature LowCardinality(String),
  day DateTime('UTC'),
  count SimpleAggregateFunction(sum, UInt64),
  sum SimpleAggregateFunction(sum, Float64),
  sum_sq SimpleAggregateFunction(sum, Float64),
  min SimpleAggregateFunction(min, Float64),
  max SimpleAggregateFunction(max, Float64),
  digest AggregateFunction(quantilesTDigest(0.5), Float64)
) ENGINE = {{AggregatingMergeTree:feature_num_1d}}
PARTITION BY toYear(day)
ORDER BY (model, version, feature, day)
TTL day + INTERVAL 1825 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.feature_num_1d_mv {{on_cluster}} TO {{db}}.feature_num_1d AS
SELECT model, version, feature, toStartOfDay(hour) AS day,
  sum(count) AS count, sum(sum) AS sum, sum(sum_sq) AS sum_sq, min(min) AS min, max(max) AS max,
  quantilesTDigestMergeState(0.5)(digest) AS digest
FROM {{db}}.feature_num_1h
GROUP BY model, version, feature, day;

CREATE TABLE IF NOT EXISTS {{db}}.feature_cat_1h {{on_cluster}} (
  model LowCardinality(String),
  version LowCardinality(String),
  feature LowCardinality(String),
  hour DateTime('UTC'),
  category String,
  count UInt64
) ENGINE = {{SummingMergeTree:feature_cat_1h}}
PARTITION BY toYYYYMM(hour)
ORDER BY (model, version, feature, hour, category)
TTL hour + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.feature_cat_1h_mv {{on_cluster}} TO {{db}}.feature_cat_1h AS
SELECT model, version, feature, toStartOfHour(minute) AS hour, category,
  sum(count) AS count
FROM {{db}}.feature_cat_1m
GROUP BY model, version, feature, hour, category;

CREATE TABLE IF NOT EXISTS {{db}}.feature_cat_1d {{on_cluster}} (
  model LowCardinality(String),
  version LowCardinality(String),
  feature LowCardinality(String),
  day DateTime('UTC'),
  category String,
  count UInt64
) ENGINE = {{SummingMergeTree:feature_cat_1d}}
PARTITION BY toYear(day)
ORDER BY (model, version, feature, day, category)
TTL day + INTERVAL 1825 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.feature_cat_1d_mv {{on_cluster}} TO {{db}}.feature_cat_1d AS
SELECT model, version, feature, toStartOfDay(hour) AS day, category,
  sum(count) AS count
FROM {{db}}.feature_cat_1h
GROUP BY model, version, feature, day, category;

CREATE TABLE IF NOT EXISTS {{db}}.feature_null_1h {{on_cluster}} (
  model LowCardinality(String),
  version LowCardinality(String),
  feature LowCardinality(String),
  hour DateTime('UTC'),
  nulls UInt64
) ENGINE = {{SummingMergeTree:feature_null_1h}}
PARTITION BY toYYYYMM(hour)
ORDER BY (model, version, feature, hour)
TTL hour + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.feature_null_1h_mv {{on_cluster}} TO {{db}}.feature_null_1h AS
SELECT model, version, feature, toStartOfHour(minute) AS hour,
  sum(nulls) AS nulls
FROM {{db}}.feature_null_1m
GROUP BY model, version, feature, hour;

CREATE TABLE IF NOT EXISTS {{db}}.feature_null_1d {{on_cluster}} (
  model LowCardinality(String),
  version LowCardinality(String),
  feature LowCardinality(String),
  day DateTime('UTC'),
  nulls UInt64
) ENGINE = {{SummingMergeTree:feature_null_1d}}
PARTITION BY toYear(day)
ORDER BY (model, version, feature, day)
TTL day + INTERVAL 1825 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.feature_null_1d_mv {{on_cluster}} TO {{db}}.feature_null_1d AS
SELECT model, version, feature, toStartOfDay(hour) AS day,
  sum(nulls) AS nulls
FROM {{db}}.feature_null_1h
GROUP BY model, version, feature, day;

CREATE TABLE IF NOT EXISTS {{db}}.gpu_1h {{on_cluster}} (
  host LowCardinality(String),
  gpu_id LowCardinality(String),
  gpu_name SimpleAggregateFunction(any, LowCardinality(String)),
  metric LowCardinality(String),
  hour DateTime('UTC'),
  samples SimpleAggregateFunction(sum, UInt64),
  sum SimpleAggregateFunction(sum, Float64),
  min SimpleAggregateFunction(min, Float64),
  max SimpleAggregateFunction(max, Float64),
  digest AggregateFunction(quantilesTDigest(0.5), Float64)
) ENGINE = {{AggregatingMergeTree:gpu_1h}}
PARTITION BY toYYYYMM(hour)
ORDER BY (host, gpu_id, metric, hour)
TTL hour + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.gpu_1h_mv {{on_cluster}} TO {{db}}.gpu_1h AS
SELECT host, gpu_id, any(gpu_name) AS gpu_name, metric, toStartOfHour(minute) AS hour,
  sum(samples) AS samples, sum(sum) AS sum, min(min) AS min, max(max) AS max,
  quantilesTDigestMergeState(0.5)(digest) AS digest
FROM {{db}}.gpu_1m
GROUP BY host, gpu_id, metric, hour;

CREATE TABLE IF NOT EXISTS {{db}}.gpu_1d {{on_cluster}} (
  host LowCardinality(String),
  gpu_id LowCardinality(String),
  gpu_name SimpleAggregateFunction(any, LowCardinality(String)),
  metric LowCardinality(String),
  day DateTime('UTC'),
  samples SimpleAggregateFunction(sum, UInt64),
  sum SimpleAggregateFunction(sum, Float64),
  min SimpleAggregateFunction(min, Float64),
  max SimpleAggregateFunction(max, Float64),
  digest AggregateFunction(quantilesTDigest(0.5), Float64)
) ENGINE = {{AggregatingMergeTree:gpu_1d}}
PARTITION BY toYear(day)
ORDER BY (host, gpu_id, metric, day)
TTL day + INTERVAL 1825 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.gpu_1d_mv {{on_cluster}} TO {{db}}.gpu_1d AS
SELECT host, gpu_id, any(gpu_name) AS gpu_name, metric, toStartOfDay(hour) AS day,
  sum(samples) AS samples, sum(sum) AS sum, min(min) AS min, max(max) AS max,
  quantilesTDigestMergeState(0.5)(digest) AS digest
FROM {{db}}.gpu_1h
GROUP BY host, gpu_id, metric, day;
