-- Kafka-engine tables and materialized views for ClickHouse before 21.6 (tested on 18.16).
-- Also valid on modern versions, but there one bad message would stall ingestion; the
-- modern/ variant captures it instead.

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
    kafka_row_delimiter = '\n';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{prefix}}easy_consumer_mat_view
TO {{prefix}}easy_consumer_phys
AS SELECT uuid, first_name, last_name, middle_name, timestamp FROM {{prefix}}easy_consumer;

-- Music events: 18.16 has no JSONAsString and JSONEachRow cannot read a nested object into
-- a String, so each compact JSON message is read whole as one TabSeparated column (safe as
-- long as it holds no backslash escapes; our events never do) and taken apart with
-- visitParamExtract*, which also exist on modern versions.
CREATE TABLE IF NOT EXISTS {{prefix}}music_consumer (
    message String
) ENGINE = Kafka SETTINGS
    kafka_broker_list = {{brokers}},
    kafka_topic_list = {{music_topic}},
    kafka_group_name = {{music_group}},
    kafka_format = 'TabSeparated',
    kafka_row_delimiter = '\n';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{prefix}}music_consumer_mat_view
TO {{prefix}}music_consumer_phys
AS SELECT
    visitParamExtractRaw(message, 'event_param') AS event_param,
    visitParamExtractRaw(message, 'event_timestamp') AS event_timestamp,
    toInt32(visitParamExtractInt(event_param, 'event_type_id')) AS event_type_id,
    visitParamExtractString(event_param, 'event_type') AS event_type,
    toUUID(visitParamExtractString(event_param, 'user_id')) AS user_id,
    visitParamExtractString(event_param, 'platform_token') AS platform_token,
    visitParamExtractString(event_param, 'ipv4') AS ipv4,
    visitParamExtractString(event_param, 'country') AS country,
    toUUID(visitParamExtractString(event_param, 'uuid_track')) AS uuid_track,
    visitParamExtractInt(event_timestamp, 'ts') AS ts,
    visitParamExtractInt(event_timestamp, 'ts_ms') AS ts_ms,
    toDateTime(ts) AS event_time,
    -- 18.16 fills no DEFAULTs when a Kafka table pushes to a view: give every column.
    generateUUIDv4() AS uuid,
    now() AS ingested_at
FROM {{prefix}}music_consumer;
