-- What really happened in a booked session: actual times, headcount by learner status,
-- machine time, consumables, incidents, or a no-show.

ALTER TABLE platforms ADD COLUMN bookers_record_usage BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE booking_usages (
    booking_id TEXT PRIMARY KEY REFERENCES bookings (id),
    no_show BOOLEAN NOT NULL,
    actual_start BIGINT,
    actual_end BIGINT,
    consumables TEXT NOT NULL DEFAULT '',
    incident BOOLEAN NOT NULL,
    incident_note TEXT NOT NULL DEFAULT '',
    recorded_by TEXT REFERENCES users (id),
    recorded_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((no_show AND actual_start IS NULL AND actual_end IS NULL)
        OR (NOT no_show AND actual_start IS NOT NULL AND actual_end IS NOT NULL AND actual_start < actual_end))
);

CREATE TABLE booking_usage_learners (
    booking_id TEXT NOT NULL REFERENCES booking_usages (booking_id) ON DELETE CASCADE,
    learner_status TEXT NOT NULL CHECK (learner_status IN ('school', 'apprentice', 'continuing_education',
        'higher_education', 'company', 'research')),
    headcount INTEGER NOT NULL CHECK (headcount BETWEEN 1 AND 1000),
    PRIMARY KEY (booking_id, learner_status)
);

-- Machine time by equipment item of the booking's platform.
CREATE TABLE booking_usage_equipment (
    booking_id TEXT NOT NULL REFERENCES booking_usages (booking_id) ON DELETE CASCADE,
    equipment_id TEXT NOT NULL REFERENCES equipment (id),
    machine_minutes INTEGER NOT NULL CHECK (machine_minutes BETWEEN 1 AND 10080),
    PRIMARY KEY (booking_id, equipment_id)
);
