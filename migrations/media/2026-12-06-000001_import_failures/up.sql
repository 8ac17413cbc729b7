-- A job is applied only by the worker holding its lease (`lease_holder`,
-- checked in each batch's transaction), and ends FAILED with the reason
-- after `max attempts` batches in a row fail, instead of being retried for
-- ever.
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_state_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_state_check
    CHECK (state IN ('queued', 'running', 'done', 'cancelled', 'failed'));
ALTER TABLE import_jobs ADD COLUMN lease_holder uuid;
ALTER TABLE import_jobs ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE import_jobs ADD COLUMN failure text NOT NULL DEFAULT '';

-- ExportList pages through a list by entry id.
CREATE INDEX list_entries_user_id_id_idx ON list_entries (user_id, id);
