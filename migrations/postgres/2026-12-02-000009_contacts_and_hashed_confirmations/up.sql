-- A contact who signs up for a company that already exists waits until an active contact
-- of that company, or the campus staff, vouches for them.
ALTER TABLE users ADD COLUMN awaiting_approval BOOLEAN NOT NULL DEFAULT FALSE;

-- Confirmation tokens are kept only as their SHA-256, like refresh tokens. Tokens stored in
-- clear cannot be carried over as they are: the pending ones are expired, and an
-- administrator issues fresh ones (POST /account-confirmations/{id}/token).
ALTER TABLE account_confirmations RENAME COLUMN token TO token_hash;
UPDATE account_confirmations
   SET token_hash = 'cleared:' || id,
       expires_at = LEAST(expires_at, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT))
 WHERE consumed_at IS NULL;
UPDATE account_confirmations SET token_hash = 'cleared:' || id WHERE consumed_at IS NOT NULL;
