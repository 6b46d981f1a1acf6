DROP TABLE calendar_tokens;
DROP TABLE booking_learners;
DROP TABLE bookings;
DROP TABLE booking_series_skips;
DROP TABLE booking_series;
DROP TABLE maintenance_windows;
DROP TABLE closures;
