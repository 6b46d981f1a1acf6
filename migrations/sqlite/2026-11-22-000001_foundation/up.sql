-- Foundation: campuses, member organisations, platforms, equipment, qualifications,
-- accounts, refresh tokens, idempotency records and the audit trail.
-- Identifiers are UUIDv7 stored as text (the same type on both backends); instants are
-- Unix seconds (BIGINT) so that durations and ranges are plain integer arithmetic
-- everywhere; calendar dates are DATE.

CREATE TABLE campuses (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    timezone TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind TEXT NOT NULL CHECK (kind IN ('lycee', 'cfa', 'greta', 'university', 'engineering_school',
        'technology_platform', 'training_centre', 'research_lab', 'company')),
    town TEXT,
    uai TEXT UNIQUE CHECK (uai IS NULL OR length(uai) = 8),
    siret TEXT UNIQUE CHECK (siret IS NULL OR length(siret) = 14),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (kind <> 'company' OR siret IS NOT NULL)
);

CREATE TABLE campus_memberships (
    campus_id TEXT NOT NULL REFERENCES campuses (id) ON DELETE CASCADE,
    organisation_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    PRIMARY KEY (campus_id, organisation_id)
);
CREATE INDEX campus_memberships_organisation ON campus_memberships (organisation_id);

CREATE TABLE platforms (
    id TEXT PRIMARY KEY,
    campus_id TEXT NOT NULL REFERENCES campuses (id),
    owner_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    domain TEXT NOT NULL CHECK (domain IN ('machining', 'composites', 'welding', 'robotics',
        'additive_manufacturing', 'metrology', 'painting', 'maintenance', 'automation', 'other')),
    description TEXT NOT NULL DEFAULT '',
    town TEXT,
    stations INTEGER NOT NULL CHECK (stations BETWEEN 1 AND 1000),
    who_may_book TEXT NOT NULL CHECK (who_may_book IN ('owner_only', 'campus_members', 'anyone')),
    outside_requires_approval BOOLEAN NOT NULL,
    min_notice_hours INTEGER NOT NULL CHECK (min_notice_hours BETWEEN 0 AND 8760),
    max_horizon_days INTEGER NOT NULL CHECK (max_horizon_days BETWEEN 1 AND 1095),
    max_duration_minutes INTEGER NOT NULL CHECK (max_duration_minutes BETWEEN 15 AND 10080),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (owner_organisation_id, name)
);
CREATE INDEX platforms_campus ON platforms (campus_id);

-- Weekly opening hours: several intervals a day, in the campus time zone.
CREATE TABLE platform_opening_intervals (
    id TEXT PRIMARY KEY,
    platform_id TEXT NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    weekday SMALLINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens_minute INTEGER NOT NULL CHECK (opens_minute BETWEEN 0 AND 1439),
    closes_minute INTEGER NOT NULL CHECK (closes_minute BETWEEN 1 AND 1440),
    CHECK (opens_minute < closes_minute)
);
CREATE INDEX platform_opening_intervals_platform ON platform_opening_intervals (platform_id);

CREATE TABLE qualifications (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    validity_months INTEGER CHECK (validity_months IS NULL OR validity_months BETWEEN 1 AND 240),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE equipment (
    id TEXT PRIMARY KEY,
    platform_id TEXT NOT NULL REFERENCES platforms (id),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 200),
    manufacturer TEXT,
    model TEXT,
    serial_number TEXT,
    inventory_number TEXT UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('available', 'maintenance', 'out_of_order', 'retired')),
    hourly_rate_cents BIGINT CHECK (hourly_rate_cents IS NULL OR hourly_rate_cents BETWEEN 0 AND 100000000),
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX equipment_platform ON equipment (platform_id);

CREATE TABLE equipment_qualifications (
    equipment_id TEXT NOT NULL REFERENCES equipment (id) ON DELETE CASCADE,
    qualification_id TEXT NOT NULL REFERENCES qualifications (id),
    PRIMARY KEY (equipment_id, qualification_id)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'teacher', 'company', 'observer')),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    active BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX users_organisation ON users (organisation_id);

CREATE TABLE platform_managers (
    platform_id TEXT NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (platform_id, user_id)
);
CREATE INDEX platform_managers_user ON platform_managers (user_id);

CREATE TABLE user_qualifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    qualification_id TEXT NOT NULL REFERENCES qualifications (id),
    awarded_on DATE NOT NULL,
    expires_on DATE,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, qualification_id),
    CHECK (expires_on IS NULL OR expires_on > awarded_on)
);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Tokens of one login share a family: reuse of a rotated token revokes the family.
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE idempotency_records (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- NULL while the first request is still being processed.
    status_code INTEGER,
    content_type TEXT,
    location TEXT,
    body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id);
