-- Nothing changes on SQLite: its guard against double booking is a trigger (migration
-- 000002), not an index. The migration exists so that both backends share their history.
SELECT 1;
