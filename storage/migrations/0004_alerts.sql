-- Alerting state. Series and group state are small and rewritten on change (ReplacingMergeTree on a
-- write sequence `ver`; read with argMax); the history and the delivery log are append-only.

-- One row per alert series (rule + label set) and change. `data` is the full series state (JSON).
CREATE TABLE IF NOT EXISTS {{db}}.alert_series {{on_cluster}} (
  rule String,
  fingerprint String,
  labels Map(LowCardinality(String), String),
  state LowCardinality(String),
  since DateTime64(3, 'UTC'),
  value Nullable(Float64),
  data String,
  deleted UInt8 DEFAULT 0,
  ver UInt64
) ENGINE = {{ReplacingMergeTree:alert_series:ver}}
ORDER BY (rule, fingerprint);

-- Notification groups: when each group was first seen and last sent, and which alerts it sent,
-- so that group_wait, group_interval and repeat_interval hold across restarts.
CREATE TABLE IF NOT EXISTS {{db}}.alert_groups {{on_cluster}} (
  group_key String,
  receiver LowCardinality(String),
  first_seen_at DateTime64(3, 'UTC'),
  last_sent_at Nullable(DateTime64(3, 'UTC')),
  data String,
  deleted UInt8 DEFAULT 0,
  ver UInt64
) ENGINE = {{ReplacingMergeTree:alert_groups:ver}}
ORDER BY group_key;

-- Every delivery attempt.
CREATE TABLE IF NOT EXISTS {{db}}.alert_deliveries {{on_cluster}} (
  ts DateTime64(3, 'UTC'),
  receiver LowCardinality(String),
  receiver_type LowCardinality(String),
  group_key String,
  notification_id String,
  status LowCardinality(String),
  http_status UInt16,
  error String,
  attempt UInt16,
  duration_ms Float64,
  alerts UInt32,
  firing UInt32,
  resolved UInt32
) ENGINE = {{MergeTree:alert_deliveries}}
PARTITION BY toYYYYMM(ts)
ORDER BY (receiver, ts)
TTL toDateTime(ts) + INTERVAL 90 DAY;

-- Every state change of every series, with whether it was muted at the time.
CREATE TABLE IF NOT EXISTS {{db}}.alert_history {{on_cluster}} (
  ts DateTime64(3, 'UTC'),
  rule LowCardinality(String),
  fingerprint String,
  labels Map(LowCardinality(String), String),
  from_state LowCardinality(String),
  to_state LowCardinality(String),
  value Nullable(Float64),
  silenced UInt8,
  inhibited UInt8
) ENGINE = {{MergeTree:alert_history}}
PARTITION BY toYYYYMM(ts)
ORDER BY (rule, ts)
TTL toDateTime(ts) + INTERVAL 400 DAY;

-- Silences; expiring one writes a new version with an earlier ends_at.
CREATE TABLE IF NOT EXISTS {{db}}.alert_silences {{on_cluster}} (
  id String,
  matchers String,
  starts_at DateTime64(3, 'UTC'),
  ends_at DateTime64(3, 'UTC'),
  created_by String,
  comment String,
  created_at DateTime64(3, 'UTC'),
  ver UInt64
) ENGINE = {{ReplacingMergeTree:alert_silences:ver}}
ORDER BY id;
