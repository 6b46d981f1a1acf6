DROP INDEX bookings_supervisor;
