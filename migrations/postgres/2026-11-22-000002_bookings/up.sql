-- Booking engine: closures, maintenance windows, bookings and their series, calendar feeds.

-- A closure applies to a whole campus, one organisation's platforms, or one platform;
-- scope_id names that campus, organisation or platform.
CREATE TABLE closures (
    id TEXT PRIMARY KEY,
    scope TEXT NOT NULL CHECK (scope IN ('campus', 'organisation', 'platform')),
    scope_id TEXT NOT NULL,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    -- UID of the imported calendar event: importing the same file twice adds nothing.
    source_uid TEXT,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    CHECK (starts_at < ends_at),
    UNIQUE (scope, scope_id, source_uid)
);
CREATE INDEX closures_scope ON closures (scope_id, starts_at);

CREATE TABLE maintenance_windows (
    id TEXT PRIMARY KEY,
    equipment_id TEXT NOT NULL REFERENCES equipment (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX maintenance_windows_equipment ON maintenance_windows (equipment_id, starts_at);

CREATE TABLE booking_series (
    id TEXT PRIMARY KEY,
    rrule TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('all_or_nothing', 'skip_conflicts')),
    platform_id TEXT NOT NULL REFERENCES platforms (id),
    equipment_id TEXT REFERENCES equipment (id),
    booker_id TEXT NOT NULL REFERENCES users (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Occurrences that were not booked, and why.
CREATE TABLE booking_series_skips (
    id TEXT PRIMARY KEY,
    series_id TEXT NOT NULL REFERENCES booking_series (id) ON DELETE CASCADE,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX booking_series_skips_series ON booking_series_skips (series_id);

-- A booking holds one equipment item, or some stations of a platform.
CREATE TABLE bookings (
    id TEXT PRIMARY KEY,
    platform_id TEXT NOT NULL REFERENCES platforms (id),
    equipment_id TEXT REFERENCES equipment (id),
    stations INTEGER CHECK (stations IS NULL OR stations >= 1),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected', 'cancelled')),
    booker_id TEXT NOT NULL REFERENCES users (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    supervisor_id TEXT REFERENCES users (id),
    group_label TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT '',
    purpose TEXT NOT NULL DEFAULT '',
    service_request_id TEXT,
    series_id TEXT REFERENCES booking_series (id),
    status_reason TEXT,
    decided_by TEXT REFERENCES users (id),
    decided_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (starts_at < ends_at),
    -- At most seven days (the longest booking policy allows); range scans rely on it.
    CHECK (ends_at - starts_at <= 604800),
    CHECK ((equipment_id IS NOT NULL AND stations IS NULL) OR (equipment_id IS NULL AND stations IS NOT NULL))
);
CREATE INDEX bookings_platform_time ON bookings (platform_id, starts_at);
CREATE INDEX bookings_equipment_time ON bookings (equipment_id, starts_at);
CREATE INDEX bookings_organisation ON bookings (organisation_id, starts_at);
CREATE INDEX bookings_booker ON bookings (booker_id, starts_at);
CREATE INDEX bookings_series ON bookings (series_id);

-- Headcount of the group by learner status (a mixed group has several rows).
CREATE TABLE booking_learners (
    booking_id TEXT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    learner_status TEXT NOT NULL CHECK (learner_status IN ('school', 'apprentice', 'continuing_education',
        'higher_education', 'company', 'research')),
    headcount INTEGER NOT NULL CHECK (headcount BETWEEN 1 AND 1000),
    PRIMARY KEY (booking_id, learner_status)
);

-- Secret calendar feed URLs; only the hash of the token is kept.
CREATE TABLE calendar_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    feed TEXT NOT NULL CHECK (feed IN ('user', 'platform', 'equipment')),
    target_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX calendar_tokens_user ON calendar_tokens (user_id);

-- No two live bookings of one equipment item overlap, whatever the application does.
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE bookings ADD CONSTRAINT bookings_no_double_booking
    EXCLUDE USING gist (equipment_id WITH =, int8range(starts_at, ends_at) WITH &&)
    WHERE (equipment_id IS NOT NULL AND status IN ('pending', 'confirmed'));
