-- Countries by number of events, with their distinct users.
SELECT country,
       count(*) AS events,
       count(DISTINCT user_id) AS users,
       count(*) FILTER (WHERE event_type_id = 1) AS playbacks
FROM events
GROUP BY country
ORDER BY events DESC, country
LIMIT $limit;
