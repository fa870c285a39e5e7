-- Dead letters are written with a dedup token derived from their batch's; with a deduplication
-- window a replayed batch (writer retry, spool replay, Kafka redelivery) stores its dead letters once.
ALTER TABLE {{db}}.dead_letters {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 10000;
