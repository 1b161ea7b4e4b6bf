-- Events per type, with each type's share of all events.
SELECT event_type_id,
       event_type,
       count(*) AS events,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct
FROM events
GROUP BY event_type_id, event_type
ORDER BY event_type_id;
