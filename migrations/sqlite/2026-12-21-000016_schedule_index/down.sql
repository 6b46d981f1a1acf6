DROP INDEX bookings_status_end;
DROP INDEX bookings_status_start;
