-- API keys kept in ClickHouse (`modelwatch keys create --store`), read by collectors with
-- `auth.table: true`. Only the SHA-256 of a key is stored, never the key. A change (revocation)
-- writes a new version: read with argMax(..., ver).
CREATE TABLE IF NOT EXISTS {{db}}.api_keys {{on_cluster}} (
  id String,
  hash String,
  tenants Array(String),
  models Array(String),
  access Array(LowCardinality(String)),
  revoked UInt8 DEFAULT 0,
  comment String DEFAULT '',
  created_at DateTime64(3, 'UTC') DEFAULT now64(3),
  ver UInt64
) ENGINE = {{ReplacingMergeTree:api_keys:ver}}
ORDER BY id;
