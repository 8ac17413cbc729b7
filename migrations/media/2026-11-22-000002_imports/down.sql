DROP INDEX media_items_details_due_at_idx;
ALTER TABLE media_items DROP COLUMN details_due_at;
DROP TABLE import_rows;
DROP TABLE import_jobs;
