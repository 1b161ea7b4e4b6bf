-- Number of music events by event type
SELECT event_type_id, event_type, count() AS cnt
FROM {{prefix}}music_consumer_phys
GROUP BY event_type_id, event_type
ORDER BY cnt DESC, event_type_id
SETTINGS final = 1
