DROP TABLE booking_usage_equipment;
DROP TABLE booking_usage_learners;
DROP TABLE booking_usages;
ALTER TABLE platforms DROP COLUMN bookers_record_usage;
