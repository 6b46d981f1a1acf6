ALTER TABLE account_confirmations RENAME COLUMN token_hash TO token;
ALTER TABLE users DROP COLUMN awaiting_approval;
