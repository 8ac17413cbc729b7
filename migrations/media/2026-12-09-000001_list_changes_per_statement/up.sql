-- A list's changes are recorded, and runs counted, once per statement, not
-- once per row. An import writes 500 entries and their runs a statement;
-- recorded row by row, the user's `list_heads` row was updated a thousand
-- times in one transaction, and each update walked every earlier version of
-- it: a 5,000-row import spent 2.5 of its 3.5 s there.

CREATE TYPE new_list_change AS (
    user_id uuid,
    kind text,
    list_entry_id uuid,
    media_item_id uuid,
    entry jsonb,
    runs_changed boolean
);

-- Appends `changes` to their users' logs, numbered in the order given: each
-- user's head moves once, by the number of their changes. Heads are locked
-- in user order (a statement about several users cannot deadlock with
-- another), and held until commit, as before. Rows are written in number
-- order, so `created_at` (pruning's order) follows the numbers.
CREATE FUNCTION list_changes_append(changes new_list_change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(changes) = 0 THEN
        RETURN;
    END IF;
    WITH given AS (
        SELECT c.*, row_number() OVER (PARTITION BY c.user_id ORDER BY c.position) AS nth
        FROM unnest(changes) WITH ORDINALITY
            AS c(user_id, kind, list_entry_id, media_item_id, entry, runs_changed, position)
    ), counts AS (
        SELECT user_id, count(*) AS n FROM given GROUP BY user_id
    ), heads AS (
        INSERT INTO list_heads AS h (user_id, seq)
            SELECT user_id, n FROM counts ORDER BY user_id
            ON CONFLICT (user_id) DO UPDATE SET seq = h.seq + EXCLUDED.seq
            RETURNING h.user_id, h.seq
    )
    INSERT INTO list_changes (user_id, seq, kind, list_entry_id, media_item_id, entry, runs_changed)
        SELECT g.user_id, heads.seq - counts.n + g.nth, g.kind, g.list_entry_id,
               g.media_item_id, g.entry, g.runs_changed
        FROM given g JOIN counts USING (user_id) JOIN heads USING (user_id)
        ORDER BY g.user_id, g.nth;
    -- One announcement per user and transaction: Postgres folds equal
    -- payloads of one transaction into one, sent at commit.
    PERFORM pg_notify('list_changes', u.user_id::text)
        FROM (SELECT DISTINCT c.user_id FROM unnest(changes) c) u;
END
$$;

DROP TRIGGER list_entries_watch ON list_entries;
DROP FUNCTION list_entries_watch();
DROP TRIGGER list_entry_runs_watch ON list_entry_runs;
DROP FUNCTION list_entry_runs_watch();
DROP TRIGGER list_entry_runs_count ON list_entry_runs;
DROP FUNCTION list_entry_runs_count();
DROP FUNCTION list_change_record(uuid, text, uuid, uuid, jsonb, boolean);

-- Entries added, changed or removed. A new count alone is announced by the
-- runs' own triggers.
CREATE FUNCTION list_entries_watch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM list_changes_append(ARRAY(
            SELECT ROW(a.user_id, 'added', a.id, a.media_item_id, to_jsonb(a), false)::new_list_change
            FROM added a ORDER BY a.id));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM list_changes_append(ARRAY(
            SELECT ROW(r.user_id, 'removed', r.id, r.media_item_id, NULL, false)::new_list_change
            FROM removed r ORDER BY r.id));
    ELSE
        PERFORM list_changes_append(ARRAY(
            SELECT ROW(a.user_id, 'updated', a.id, a.media_item_id, to_jsonb(a), false)::new_list_change
            FROM after_rows a JOIN before_rows b ON b.id = a.id
            WHERE to_jsonb(b) - 'completion_count' IS DISTINCT FROM to_jsonb(a) - 'completion_count'
            ORDER BY a.id));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER list_entries_watch_added AFTER INSERT ON list_entries
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION list_entries_watch();
CREATE TRIGGER list_entries_watch_changed AFTER UPDATE ON list_entries
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION list_entries_watch();
CREATE TRIGGER list_entries_watch_removed AFTER DELETE ON list_entries
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION list_entries_watch();

-- How many runs an entry has, kept by the database itself so no writer can
-- forget it.
CREATE FUNCTION list_entry_runs_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE list_entries e SET completion_count = e.completion_count + c.n
        FROM (SELECT list_entry_id, count(*) AS n FROM added GROUP BY list_entry_id) c
        WHERE e.id = c.list_entry_id;
    ELSE
        UPDATE list_entries e SET completion_count = e.completion_count - c.n
        FROM (SELECT list_entry_id, count(*) AS n FROM removed GROUP BY list_entry_id) c
        WHERE e.id = c.list_entry_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER list_entry_runs_count_added AFTER INSERT ON list_entry_runs
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION list_entry_runs_count();
CREATE TRIGGER list_entry_runs_count_removed AFTER DELETE ON list_entry_runs
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION list_entry_runs_count();

-- Each entry whose runs changed, once, as it is now. Its triggers' names
-- follow the count's (triggers fire in name order), so the entry recorded
-- carries the new count. Runs deleted with their entry: the entry's removal
-- says it all.
CREATE FUNCTION list_entry_runs_watch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM list_changes_append(ARRAY(
        SELECT ROW(e.user_id, 'updated', e.id, e.media_item_id, to_jsonb(e), true)::new_list_change
        FROM list_entries e
        WHERE e.id IN (SELECT list_entry_id FROM runs)
        ORDER BY e.id));
    RETURN NULL;
END
$$;

CREATE TRIGGER list_entry_runs_watch_added AFTER INSERT ON list_entry_runs
    REFERENCING NEW TABLE AS runs
    FOR EACH STATEMENT EXECUTE FUNCTION list_entry_runs_watch();
CREATE TRIGGER list_entry_runs_watch_changed AFTER UPDATE ON list_entry_runs
    REFERENCING NEW TABLE AS runs
    FOR EACH STATEMENT EXECUTE FUNCTION list_entry_runs_watch();
CREATE TRIGGER list_entry_runs_watch_removed AFTER DELETE ON list_entry_runs
    REFERENCING OLD TABLE AS runs
    FOR EACH STATEMENT EXECUTE FUNCTION list_entry_runs_watch();
