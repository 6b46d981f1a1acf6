-- A station booking is checked, and a platform's availability computed, against the station
-- bookings of its platform only: a partial index finds them without visiting the platform's
-- many equipment bookings (measured in bench/README.md).
CREATE INDEX bookings_station_time ON bookings (platform_id, starts_at) WHERE stations IS NOT NULL;
