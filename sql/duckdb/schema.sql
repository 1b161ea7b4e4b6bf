-- The seed's DESCRIBE: the columns as stored in the Parquet files (seed names,
-- then the Kafka coordinates and the dt= partition), each with the column of
-- the `events` view that presents it.
WITH stored AS (
  SELECT column_name, column_type, row_number() OVER () AS pos
  FROM (DESCRIBE raw_events)
),
mapping(column_name, events_column) AS (
  VALUES ('event_param.event_type_id', 'event_type_id'),
         ('event_param.event_type', 'event_type'),
         ('event_param.user_id', 'user_id'),
         ('event_param.platform_token', 'platform_token'),
         ('event_param.ipv4', 'ipv4'),
         ('event_param.country', 'country'),
         ('event_param.uuid_track', 'track_id'),
         ('event_timestamp.ts', NULL),
         ('event_timestamp.ts_ms', 'event_time'),
         ('kafka_partition', 'kafka_partition'),
         ('kafka_offset', 'kafka_offset'),
         ('kafka_timestamp', 'kafka_timestamp'),
         ('dt', 'dt')
),
friendly AS (
  SELECT column_name AS events_column, column_type AS events_type
  FROM (DESCRIBE events)
)
SELECT s.column_name, s.column_type, f.events_column, f.events_type
FROM stored s
LEFT JOIN mapping m USING (column_name)
LEFT JOIN friendly f ON f.events_column = m.events_column
ORDER BY s.pos;
