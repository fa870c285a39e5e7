-- What the analyzers compute: one row per window, model, version, segment, subject and metric.
-- Dashboards and alert rules read this table. A recomputed window replaces the earlier row
-- (ReplacingMergeTree on computed_at; read with FINAL or argMax when exactness matters).
CREATE TABLE IF NOT EXISTS {{db}}.analysis_results {{on_cluster}} (
  window_start DateTime('UTC'),
  window_end DateTime('UTC'),
  computed_at DateTime64(3, 'UTC') DEFAULT now64(3),
  analyzer LowCardinality(String),
  model LowCardinality(String),
  version LowCardinality(String),
  segment String,
  subject LowCardinality(String),
  metric LowCardinality(String),
  value Float64,
  threshold Nullable(Float64),
  p_value Nullable(Float64),
  method LowCardinality(String),
  status LowCardinality(String),
  reference String,
  details String
) ENGINE = {{ReplacingMergeTree:analysis_results:computed_at}}
PARTITION BY toYYYYMM(window_start)
ORDER BY (analyzer, model, version, segment, subject, metric, window_start, window_end)
TTL window_start + INTERVAL 400 DAY;
