-- Most played tracks: playbacks (event_type_id = 1) and distinct listeners.
SELECT track_id,
       count(*) AS playbacks,
       count(DISTINCT user_id) AS listeners
FROM events
WHERE event_type_id = 1
GROUP BY track_id
ORDER BY playbacks DESC, track_id
LIMIT $limit;
