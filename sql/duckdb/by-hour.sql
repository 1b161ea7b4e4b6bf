-- Events per hour of the day (UTC, 0–23) over the whole lake, by event type,
-- with each hour's share of all events and how many fell on a weekend
-- (Saturday, Sunday): the daily rhythm of listening.
SELECT hour(event_time) AS hour,
       count(*) FILTER (WHERE event_type_id = 1) AS track_playback,
       count(*) FILTER (WHERE event_type_id = 2) AS pause_track,
       count(*) FILTER (WHERE event_type_id = 3) AS resume_track,
       count(*) AS total,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct,
       count(*) FILTER (WHERE isodow(event_time) >= 6) AS weekend
FROM events
GROUP BY hour
ORDER BY hour;
