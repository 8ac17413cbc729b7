DROP TRIGGER list_entry_runs_watch ON list_entry_runs;
DROP FUNCTION list_entry_runs_watch();
DROP TRIGGER list_entries_watch ON list_entries;
DROP FUNCTION list_entries_watch();
DROP FUNCTION list_change_record(uuid, text, uuid, uuid, jsonb, boolean);
DROP TABLE list_changes;
DROP TABLE list_heads;
