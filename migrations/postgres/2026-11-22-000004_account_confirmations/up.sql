-- E-mail confirmation of accounts created by a public service request. Until notifications
-- exist, an administrator reads the token here and passes it on; it is kept in clear for
-- that reason, and is useless once consumed or expired.
CREATE TABLE account_confirmations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX account_confirmations_user ON account_confirmations (user_id);
