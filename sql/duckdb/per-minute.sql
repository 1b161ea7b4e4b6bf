-- Events per minute (UTC, by event time), one column per event type.
SELECT time_bucket(INTERVAL 1 minute, event_time) AS minute,
       count(*) FILTER (WHERE event_type_id = 1) AS track_playback,
       count(*) FILTER (WHERE event_type_id = 2) AS pause_track,
       count(*) FILTER (WHERE event_type_id = 3) AS resume_track,
       count(*) AS total
FROM events
GROUP BY minute
ORDER BY minute;
