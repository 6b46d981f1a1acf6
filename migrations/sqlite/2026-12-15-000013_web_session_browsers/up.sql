-- The browser a session was opened from (its User-Agent header, cut to 300 characters),
-- so that its owner recognises it in « Mon compte ».
ALTER TABLE web_sessions ADD COLUMN user_agent TEXT;
