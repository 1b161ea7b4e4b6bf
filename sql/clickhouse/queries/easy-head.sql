-- First 10 person records (seed: select * from easy_consumer_mat_view limit 10)
SELECT * FROM {{prefix}}easy_consumer_phys LIMIT 10
