ALTER TABLE web_sessions DROP COLUMN user_agent;
