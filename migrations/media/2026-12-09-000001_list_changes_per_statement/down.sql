DROP TRIGGER list_entry_runs_watch_added ON list_entry_runs;
DROP TRIGGER list_entry_runs_watch_changed ON list_entry_runs;
DROP TRIGGER list_entry_runs_watch_removed ON list_entry_runs;
DROP FUNCTION list_entry_runs_watch();
DROP TRIGGER list_entry_runs_count_added ON list_entry_runs;
DROP TRIGGER list_entry_runs_count_removed ON list_entry_runs;
DROP FUNCTION list_entry_runs_count();
DROP TRIGGER list_entries_watch_added ON list_entries;
DROP TRIGGER list_entries_watch_changed ON list_entries;
DROP TRIGGER list_entries_watch_removed ON list_entries;
DROP FUNCTION list_entries_watch();
DROP FUNCTION list_changes_append(new_list_change[]);
DROP TYPE new_list_change;

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

CREATE FUNCTION list_change_record(
    who uuid, what text, entry_id uuid, item_id uuid, snapshot jsonb, runs boolean
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    next bigint;
BEGIN
    INSERT INTO list_heads AS h (user_id, seq) VALUES (who, 1)
        ON CONFLICT (user_id) DO UPDATE SET seq = h.seq + 1
        RETURNING h.seq INTO next;
    INSERT INTO list_changes (user_id, seq, kind, list_entry_id, media_item_id, entry, runs_changed)
        VALUES (who, next, what, entry_id, item_id, snapshot, runs);
    -- One announcement per user and transaction: Postgres folds equal
    -- payloads of one transaction into one, sent at commit.
    PERFORM pg_notify('list_changes', who::text);
END
$$;

CREATE FUNCTION list_entries_watch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM list_change_record(NEW.user_id, 'added', NEW.id, NEW.media_item_id, to_jsonb(NEW), false);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM list_change_record(OLD.user_id, 'removed', OLD.id, OLD.media_item_id, NULL, false);
    -- A new count alone is announced by the runs' own trigger.
    ELSIF to_jsonb(OLD) - 'completion_count' IS DISTINCT FROM to_jsonb(NEW) - 'completion_count' THEN
        PERFORM list_change_record(NEW.user_id, 'updated', NEW.id, NEW.media_item_id, to_jsonb(NEW), false);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER list_entries_watch AFTER INSERT OR UPDATE OR DELETE ON list_entries
    FOR EACH ROW EXECUTE FUNCTION list_entries_watch();

-- Runs after list_entry_runs_count (triggers fire in name order), so the
-- entry it records carries the new count.
CREATE FUNCTION list_entry_runs_watch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry list_entries;
BEGIN
    SELECT * INTO entry FROM list_entries
        WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.list_entry_id ELSE NEW.list_entry_id END;
    -- Runs deleted with their entry: the entry's removal says it all.
    IF FOUND THEN
        PERFORM list_change_record(entry.user_id, 'updated', entry.id, entry.media_item_id, to_jsonb(entry), true);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER list_entry_runs_watch AFTER INSERT OR UPDATE OR DELETE ON list_entry_runs
    FOR EACH ROW EXECUTE FUNCTION list_entry_runs_watch();
