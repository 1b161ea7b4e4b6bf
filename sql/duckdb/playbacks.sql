-- The seed's filter on event_type_id = 1 (track_playback), earliest first.
SELECT *
FROM events
WHERE event_type_id = 1
ORDER BY event_time, kafka_partition, kafka_offset
LIMIT $limit;
