DROP TRIGGER list_entry_runs_count ON list_entry_runs;
DROP FUNCTION list_entry_runs_count();
ALTER TABLE list_entries DROP COLUMN completion_count;
DROP TABLE list_entry_runs;
