-- Messages the scheduler sends (reminders, digests, qualifications about to expire): one row
-- per (kind, subject, recipient, day), written in the transaction that queues the message,
-- so that each goes out once whatever the ticks, restarts and instances.
CREATE TABLE notification_sends (
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day DATE NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, subject_id, user_id, day)
);

-- Who awarded a qualification: told, with its holder, when it is about to expire.
ALTER TABLE user_qualifications ADD COLUMN awarded_by TEXT REFERENCES users(id) ON DELETE SET NULL;
