-- The SEQUENCE of a booking's calendar invitation: raised by each change, decision and
-- cancellation, so that calendar programs replace the event they hold.
ALTER TABLE bookings ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
