-- Sessions that happened without a booking, recorded afterwards by a platform's managers.
ALTER TABLE bookings ADD COLUMN recorded_after_the_fact BOOLEAN NOT NULL DEFAULT FALSE;
