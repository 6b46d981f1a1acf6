-- SME service requests to the technology platforms: the request, its life cycle, versioned
-- quotes, the conversation and the timeline.

CREATE TABLE service_requests (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES organisations (id),
    contact_user_id TEXT REFERENCES users (id),
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description TEXT NOT NULL,
    -- Platform domains asked for, comma-separated (checked by the service).
    domains TEXT NOT NULL,
    requested_platform_id TEXT REFERENCES platforms (id),
    assigned_platform_id TEXT REFERENCES platforms (id),
    assignee_id TEXT REFERENCES users (id),
    wished_from DATE,
    wished_to DATE,
    budget_cents BIGINT CHECK (budget_cents IS NULL OR budget_cents >= 0),
    confidential BOOLEAN NOT NULL,
    -- Links or file references, one per line.
    links TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('submitted', 'in_review', 'quoted', 'accepted', 'declined',
        'agreement_signed', 'in_progress', 'delivered', 'invoiced', 'closed', 'withdrawn', 'rejected')),
    agreement_reference TEXT,
    agreement_signed_on DATE,
    delivery_note TEXT,
    invoice_reference TEXT,
    invoice_amount_cents BIGINT CHECK (invoice_amount_cents IS NULL OR invoice_amount_cents >= 0),
    state_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (wished_from IS NULL OR wished_to IS NULL OR wished_from <= wished_to)
);
CREATE INDEX service_requests_company ON service_requests (company_id);
CREATE INDEX service_requests_platform ON service_requests (assigned_platform_id);
CREATE INDEX service_requests_state ON service_requests (state);

CREATE TABLE quotes (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES service_requests (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    status TEXT NOT NULL CHECK (status IN ('issued', 'superseded', 'accepted', 'declined')),
    valid_until DATE NOT NULL,
    total_excl_vat_cents BIGINT NOT NULL,
    total_vat_cents BIGINT NOT NULL,
    total_incl_vat_cents BIGINT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    UNIQUE (request_id, version)
);

CREATE TABLE quote_lines (
    id TEXT PRIMARY KEY,
    quote_id TEXT NOT NULL REFERENCES quotes (id),
    position INTEGER NOT NULL,
    label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 300),
    -- Thousandths of a unit, so that 1.5 hours is 1500.
    quantity_milli BIGINT NOT NULL CHECK (quantity_milli > 0),
    unit TEXT NOT NULL CHECK (unit IN ('hour', 'day', 'piece', 'flat')),
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    -- VAT rate in basis points: 2000 is 20 %.
    vat_rate_bp INTEGER NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
    total_excl_vat_cents BIGINT NOT NULL,
    vat_cents BIGINT NOT NULL,
    UNIQUE (quote_id, position)
);

CREATE TABLE service_request_messages (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES service_requests (id),
    author_id TEXT REFERENCES users (id),
    visibility TEXT NOT NULL CHECK (visibility IN ('shared', 'internal')),
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    created_at BIGINT NOT NULL
);
CREATE INDEX service_request_messages_request ON service_request_messages (request_id);

-- Every step of a request: transitions, quote versions, messages (who and when).
CREATE TABLE service_request_events (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES service_requests (id),
    at BIGINT NOT NULL,
    actor_id TEXT REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('transition', 'quote', 'message')),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    -- Internal events (internal messages) are never shown to the company.
    internal BOOLEAN NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX service_request_events_request ON service_request_events (request_id, at);
