-- The limits per client address and per account, counted here rather than in each
-- instance's memory, so that every instance of the service sees the same counts.

-- Requests of one client (`client_key`: its address) in one fixed window of a limit
-- (`scope`: the public form, password resets, logins). `expires_at` is the window's end:
-- past it the row only waits to be pruned.
CREATE TABLE rate_limit_hits (
    scope TEXT NOT NULL,
    client_key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    hits BIGINT NOT NULL CHECK (hits > 0),
    PRIMARY KEY (scope, client_key, window_start)
);
CREATE INDEX rate_limit_hits_expiry ON rate_limit_hits (expires_at);

-- Failed logins in a row of one account (`account_key`: the SHA-256 of the e-mail as typed,
-- known or not, so the address itself is not kept). Forgotten at a success, or once
-- `forget_at` (a quiet maximal lock-out after the last failure) has passed.
CREATE TABLE login_failures (
    account_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL CHECK (failures > 0),
    last_failure_at BIGINT NOT NULL,
    forget_at BIGINT NOT NULL
);
CREATE INDEX login_failures_expiry ON login_failures (forget_at);
