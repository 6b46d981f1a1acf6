ALTER TABLE bookings DROP COLUMN recorded_after_the_fact;
