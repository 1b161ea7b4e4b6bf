-- Kafka-engine tables and materialized views (ClickHouse 21.6 and later: the native stack's 26.x
-- and the compose file's 25.8). kafka_handle_error_mode = 'stream': a message that cannot be
-- parsed goes to {{prefix}}kafka_errors with its coordinates and the reason, and ingestion goes on.

CREATE TABLE IF NOT EXISTS {{prefix}}kafka_errors (
    topic String,
    partition UInt64,
    offset UInt64,
    raw_message String,
    error String,
    received_at DateTime DEFAULT now()
) ENGINE = MergeTree()
ORDER BY (topic, partition, offset);

-- Person records: one JSON object per message.
CREATE TABLE IF NOT EXISTS {{prefix}}easy_consumer (
    uuid String,
    first_name String,
    last_name String,
    middle_name String,
    timestamp String
) ENGINE = Kafka SETTINGS
    kafka_broker_list = {{brokers}},
    kafka_topic_list = {{easy_topic}},
    kafka_group_name = {{easy_group}},
    kafka_format = 'JSONEachRow',
    kafka_handle_error_mode = 'stream';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{prefix}}easy_consumer_mat_view
TO {{prefix}}easy_consumer_phys
AS SELECT uuid, first_name, last_name, middle_name, timestamp
FROM {{prefix}}easy_consumer
WHERE length(_error) = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{prefix}}easy_consumer_errors_mat_view
TO {{prefix}}kafka_errors
AS SELECT _topic AS topic, _partition AS partition, _offset AS offset,
    _raw_message AS raw_message, _error AS error
FROM {{prefix}}easy_consumer
WHERE length(_error) > 0;

-- Music events: each message read whole as JSON text, then taken apart with JSONExtract*
-- (handles escapes; a valid JSON message with wrong fields gets zero values, never a stall).
CREATE TABLE IF NOT EXISTS {{prefix}}music_consumer (
    message String
) ENGINE = Kafka SETTINGS
    kafka_broker_list = {{brokers}},
    kafka_topic_list = {{music_topic}},
    kafka_group_name = {{music_group}},
    kafka_format = 'JSONAsString',
    kafka_handle_error_mode = 'stream';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{prefix}}music_consumer_mat_view
TO {{prefix}}music_consumer_phys
AS SELECT
    JSONExtractRaw(message, 'event_param') AS event_param,
    JSONExtractRaw(message, 'event_timestamp') AS event_timestamp,
    toInt32(JSONExtractInt(event_param, 'event_type_id')) AS event_type_id,
    JSONExtractString(event_param, 'event_type') AS event_type,
    toUUIDOrZero(JSONExtractString(event_param, 'user_id')) AS user_id,
    JSONExtractString(event_param, 'platform_token') AS platform_token,
    JSONExtractString(event_param, 'ipv4') AS ipv4,
    JSONExtractString(event_param, 'country') AS country,
    toUUIDOrZero(JSONExtractString(event_param, 'uuid_track')) AS uuid_track,
    JSONExtractInt(event_timestamp, 'ts') AS ts,
    JSONExtractInt(event_timestamp, 'ts_ms') AS ts_ms,
    toDateTime(ts) AS event_time,
    generateUUIDv4() AS uuid,
    now() AS ingested_at,
    toInt32(_partition) AS kafka_partition,
    toInt64(_offset) AS kafka_offset
FROM {{prefix}}music_consumer
WHERE length(_error) = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{prefix}}music_consumer_errors_mat_view
TO {{prefix}}kafka_errors
AS SELECT _topic AS topic, _partition AS partition, _offset AS offset,
    _raw_message AS raw_message, _error AS error
FROM {{prefix}}music_consumer
WHERE length(_error) > 0;
