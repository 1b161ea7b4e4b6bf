-- Events and users per platform, with the share of all events. The platform is
-- the platform_token's prefix before the first "-" (android-…, ios-…, desktop-…,
-- web-…, tv-…); tokens without such a prefix count as "(unknown)".
SELECT coalesce(nullif(regexp_extract(platform_token, '^([a-z]+)-', 1), ''), '(unknown)')
         AS platform,
       count(*) AS events,
       count(DISTINCT user_id) AS users,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct
FROM events
GROUP BY platform
ORDER BY events DESC, platform;
