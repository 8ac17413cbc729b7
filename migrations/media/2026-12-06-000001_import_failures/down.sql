DROP INDEX list_entries_user_id_id_idx;
ALTER TABLE import_jobs DROP COLUMN failure;
ALTER TABLE import_jobs DROP COLUMN failed_attempts;
ALTER TABLE import_jobs DROP COLUMN lease_holder;
UPDATE import_jobs SET state = 'cancelled' WHERE state = 'failed';
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_state_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_state_check
    CHECK (state IN ('queued', 'running', 'done', 'cancelled'));
