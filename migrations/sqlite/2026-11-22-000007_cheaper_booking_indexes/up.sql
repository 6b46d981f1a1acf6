-- Only the occurrences of a series are looked up by series: single bookings stay out of it.
-- (The guard against double booking is a trigger on SQLite, migration 000002: unchanged.)
DROP INDEX bookings_series;
CREATE INDEX bookings_series ON bookings (series_id) WHERE series_id IS NOT NULL;
