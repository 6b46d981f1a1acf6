-- The language of the e-mails an account receives: fr (default) or en.
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'fr';

-- The e-mail outbox: each message is written in the transaction of the change that causes
-- it, then sent by the service's mail worker. Instants of the worker's schedule are in
-- milliseconds (retries and leases are shorter than a second in tests).
CREATE TABLE outbox_messages (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    recipient TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- What the templates need (links, tokens); emptied once the message is sent.
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms BIGINT NOT NULL,
    -- A worker's claim: until then no other worker takes the message.
    lease_id TEXT,
    leased_until_ms BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT
);
-- What the workers look for: messages waiting, by due time.
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at_ms)
    WHERE state IN ('queued', 'failed');
CREATE INDEX outbox_messages_state ON outbox_messages (state, id);

-- Kinds of notification an account turned off (account and password messages cannot be).
CREATE TABLE notification_opt_outs (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- Password resets: single-use, one hour, stored as the SHA-256 of the token e-mailed.
CREATE TABLE password_resets (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);
