-- The 20 latest track playback events (event_type_id = 1)
SELECT event_time, event_type_id, event_type, user_id, uuid_track, country, platform_token, ipv4
FROM {{prefix}}music_consumer_phys
WHERE event_type_id = 1
ORDER BY ts_ms DESC, user_id
LIMIT 20
SETTINGS final = 1
