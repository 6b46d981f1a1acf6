-- A person's calendar feed and tag read the bookings they made or supervise
-- (`booker_id = ? OR supervisor_id = ?`): without this index the supervisor's half scanned
-- the whole table (PostgreSQL) or the feed's whole time window (SQLite).
CREATE INDEX bookings_supervisor ON bookings (supervisor_id, starts_at) WHERE supervisor_id IS NOT NULL;
