-- Schema of the person-records table (seed: describe table easy_consumer_mat_view)
DESCRIBE TABLE {{prefix}}easy_consumer_phys
