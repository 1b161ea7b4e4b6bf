-- MergeTree tables that keep what the Kafka-engine tables read.
-- Placeholders {{name}} are filled in by lib/clickhouse/sql.ts (identifiers are validated).

-- Person records from the easy producer, columns as in the seed.
CREATE TABLE IF NOT EXISTS {{prefix}}easy_consumer_phys (
    uuid String,
    first_name String,
    last_name String,
    middle_name String,
    timestamp String
) ENGINE = MergeTree()
ORDER BY (uuid);

-- Music events: the seed's columns (event_param, event_timestamp as JSON text, uuid),
-- plus typed columns (one per EVENT_COLUMNS entry of lib/events/schema.ts) so queries need no JSON
-- parsing. ipv4 stays a String, as the seed has it.
-- kafka_partition and kafka_offset say which message a row came from. The Kafka engine commits
-- offsets after inserting a block, so a block whose commit failed (its group coordinator's broker
-- died, ClickHouse stopped) is read and inserted again: ReplacingMergeTree keeps one row per
-- message (the sorting key ends with partition and offset), at once for queries with
-- `SETTINGS final = 1` (ours have it), and in storage once parts merge. Rows copied from a table
-- made before these columns existed have partition -1 and their row number as offset.
CREATE TABLE IF NOT EXISTS {{prefix}}music_consumer_phys (
    event_param String,
    event_timestamp String,
    uuid UUID DEFAULT generateUUIDv4(),
    event_type_id Int32,
    event_type String,
    user_id UUID,
    platform_token String,
    ipv4 String,
    country String,
    uuid_track UUID,
    ts Int64,
    ts_ms Int64,
    event_time DateTime,
    ingested_at DateTime DEFAULT now(),
    kafka_partition Int32,
    kafka_offset Int64
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(event_time)
ORDER BY (event_type_id, event_time, user_id, kafka_partition, kafka_offset);
