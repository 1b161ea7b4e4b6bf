-- How often a playback gets paused, and a pause resumed: overall ("(all)"
-- first), then per country, countries with most playbacks first.
SELECT coalesce(country, '(all)') AS country,
       count(*) FILTER (WHERE event_type_id = 1) AS playbacks,
       count(*) FILTER (WHERE event_type_id = 2) AS pauses,
       count(*) FILTER (WHERE event_type_id = 3) AS resumes,
       round(count(*) FILTER (WHERE event_type_id = 2)
             / nullif(count(*) FILTER (WHERE event_type_id = 1), 0), 4) AS pause_rate,
       round(count(*) FILTER (WHERE event_type_id = 3)
             / nullif(count(*) FILTER (WHERE event_type_id = 2), 0), 4) AS resume_rate
FROM events
GROUP BY GROUPING SETS ((), (country))
ORDER BY grouping(country) DESC, playbacks DESC, country
LIMIT $limit;
