ALTER TABLE user_qualifications DROP COLUMN awarded_by;
DROP TABLE notification_sends;
