-- The history of an entry: one row per time its user finished it (a first
-- watch, a rewatch, a reread). Either date may be unknown.
CREATE TABLE list_entry_runs (
    id uuid PRIMARY KEY,
    list_entry_id uuid NOT NULL REFERENCES list_entries (id) ON DELETE CASCADE,
    start_date date,
    finish_date date,
    -- Where an imported run came from (e.g. a Trakt history id), so that
    -- importing the same file again adds nothing; NULL for runs made here.
    origin text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (start_date IS NULL OR finish_date IS NULL OR start_date <= finish_date),
    CONSTRAINT list_entry_runs_list_entry_id_origin_key UNIQUE (list_entry_id, origin)
);

CREATE INDEX list_entry_runs_list_entry_id_idx ON list_entry_runs (list_entry_id, finish_date, id);

-- How many runs an entry has, kept by the database itself so no writer can
-- forget it.
ALTER TABLE list_entries ADD COLUMN completion_count integer NOT NULL DEFAULT 0;

CREATE FUNCTION list_entry_runs_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE list_entries SET completion_count = completion_count + 1 WHERE id = NEW.list_entry_id;
    ELSE
        UPDATE list_entries SET completion_count = completion_count - 1 WHERE id = OLD.list_entry_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER list_entry_runs_count AFTER INSERT OR DELETE ON list_entry_runs
    FOR EACH ROW EXECUTE FUNCTION list_entry_runs_count();
