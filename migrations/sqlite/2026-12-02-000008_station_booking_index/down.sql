DROP INDEX bookings_station_time;
