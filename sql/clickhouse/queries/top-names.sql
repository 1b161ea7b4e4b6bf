-- The 10 most frequent first names
SELECT first_name, count(uuid) AS cnt
FROM {{prefix}}easy_consumer_phys
GROUP BY first_name
ORDER BY cnt DESC, first_name
LIMIT 10
