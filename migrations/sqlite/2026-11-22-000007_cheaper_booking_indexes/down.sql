DROP INDEX bookings_series;
CREATE INDEX bookings_series ON bookings (series_id);
