-- The rule against double booking compares equipment ids as UUIDs (16 bytes) rather than
-- as text: its GiST index is then much cheaper to keep and to search, which every booking
-- does twice (measured in bench/README.md). Equipment ids are UUIDs written by the service.
ALTER TABLE bookings DROP CONSTRAINT bookings_no_double_booking;
ALTER TABLE bookings ADD CONSTRAINT bookings_no_double_booking
    EXCLUDE USING gist ((equipment_id::uuid) WITH =, int8range(starts_at, ends_at) WITH &&)
    WHERE (equipment_id IS NOT NULL AND status IN ('pending', 'confirmed'));
