-- Daily active users (UTC days): distinct users with at least one event that day.
SELECT dt AS day,
       count(DISTINCT user_id) AS active_users,
       count(*) AS events,
       round(count(*) / count(DISTINCT user_id), 2) AS events_per_user
FROM events
GROUP BY dt
ORDER BY dt;
