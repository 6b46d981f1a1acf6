DROP INDEX bookings_series;
CREATE INDEX bookings_series ON bookings (series_id);
ALTER TABLE bookings DROP CONSTRAINT bookings_no_double_booking;
ALTER TABLE bookings ADD CONSTRAINT bookings_no_double_booking
    EXCLUDE USING gist (equipment_id WITH =, int8range(starts_at, ends_at) WITH &&)
    WHERE (equipment_id IS NOT NULL AND status IN ('pending', 'confirmed'));
