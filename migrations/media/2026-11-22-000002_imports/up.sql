-- An import of one file: its rows are parsed at once and stored, and a
-- worker applies them in row order, batch by batch, each batch with the
-- job's counts in one transaction, so a restart resumes after the last
-- committed batch and no row is applied twice.
CREATE TABLE import_jobs (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    file_name text NOT NULL,
    format text NOT NULL CHECK (format IN ('myanimelist', 'goodreads', 'letterboxd', 'trakt', 'imdb', 'completionist')),
    conflict_policy text NOT NULL CHECK (conflict_policy IN ('skip', 'overwrite', 'merge')),
    state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'cancelled')),
    total_rows integer NOT NULL,
    created_count integer NOT NULL DEFAULT 0,
    updated_count integer NOT NULL DEFAULT 0,
    unchanged_count integer NOT NULL DEFAULT 0,
    skipped_count integer NOT NULL DEFAULT 0,
    failed_count integer NOT NULL DEFAULT 0,
    -- A worker holds the job until then; a crashed worker's job is taken
    -- over when it passes.
    leased_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

CREATE INDEX import_jobs_user_id_created_at_id_idx ON import_jobs (user_id, created_at DESC, id DESC);
CREATE INDEX import_jobs_unfinished_idx ON import_jobs (created_at) WHERE state IN ('queued', 'running');

CREATE TABLE import_rows (
    import_job_id uuid NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    row_number integer NOT NULL,
    line integer NOT NULL,
    file text NOT NULL DEFAULT '',
    title text NOT NULL,
    -- The parsed row; NULL when it could not be parsed (`message` says why)
    -- or is of something not kept.
    record jsonb,
    outcome text CHECK (outcome IN ('created', 'updated', 'unchanged', 'skipped', 'failed')),
    message text NOT NULL DEFAULT '',
    list_entry_id uuid,
    PRIMARY KEY (import_job_id, row_number)
);

-- Catalog items made from an import file's own data, waiting for their
-- provider's details; the enricher fills them in at the provider's pace.
ALTER TABLE media_items ADD COLUMN details_due_at timestamptz;
CREATE INDEX media_items_details_due_at_idx ON media_items (details_due_at) WHERE details_due_at IS NOT NULL;
