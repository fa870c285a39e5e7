-- Bookkeeping of `modelwatch migrate`'s one-off build of the hour and day levels (migration 0012)
-- for data stored before those levels existed (storage/backfill.ts): one row per rebuilt
-- partition of a level table, so a rerun skips the partitions already built and a run cut off
-- half-way redoes only the partition it was on. `shard` is '' on a single node, the node's
-- {shard} macro on a cluster, where each shard builds its own local tables.
CREATE TABLE IF NOT EXISTS {{db}}.rollup_backfill {{on_cluster}} (
  level_table LowCardinality(String),
  partition String,
  shard String DEFAULT '',
  rows UInt64,
  built_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = {{ReplacingMergeTree:rollup_backfill}}
ORDER BY (level_table, partition, shard);
