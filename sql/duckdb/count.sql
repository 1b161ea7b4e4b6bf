-- The seed's first question: how many events are in the lake?
SELECT count(*) AS events
FROM events;
