-- The scheduler reads, every minute on every instance, the confirmed sessions of a day by
-- their start (reminders) and the pending and confirmed bookings by their end (the
-- digest's bookings to approve and sessions without a usage record): without these, each
-- read scanned the whole table (1.1 s a tick at 1,000,000 bookings; see bench/README.md).
CREATE INDEX bookings_status_start ON bookings (status, starts_at);
CREATE INDEX bookings_status_end ON bookings (status, ends_at);
