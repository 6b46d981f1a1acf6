DROP TABLE password_resets;
DROP TABLE notification_opt_outs;
DROP TABLE outbox_messages;
ALTER TABLE users DROP COLUMN locale;
