-- The seed's "first 10 rows": the earliest events, in a stable order.
SELECT *
FROM events
ORDER BY event_time, kafka_partition, kafka_offset
LIMIT $limit;
