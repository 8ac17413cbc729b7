-- Every change to a user's list, numbered per user, for WatchListEntries:
-- streams read what follows their position, and a client reconnecting
-- with a resume token is replayed exactly what it missed.
--
-- Triggers write it, so no writer can forget. Numbers come from the user's
-- row in `list_heads`, whose lock is held until commit: one user's changes
-- commit in number order, with no gaps, and a reader that has seen number
-- n has seen everything before it.

CREATE TABLE list_heads (
    user_id uuid PRIMARY KEY,
    -- The number of the user's latest change.
    seq bigint NOT NULL,
    -- Changes up to this number are forgotten (older than the history kept);
    -- a resume token before it cannot be replayed.
    pruned_through bigint NOT NULL DEFAULT 0
);

CREATE TABLE list_changes (
    user_id uuid NOT NULL,
    seq bigint NOT NULL,
    kind text NOT NULL CHECK (kind IN ('added', 'updated', 'removed')),
    list_entry_id uuid NOT NULL,
    media_item_id uuid NOT NULL,
    -- The entry's row as the change left it; NULL when removed.
    entry jsonb,
    runs_changed boolean NOT NULL DEFAULT false,
    -- When the row was written, which is after the head was locked: in
    -- number order per user, unlike the transaction's start (now()).
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (user_id, seq)
);

-- Pruning takes the oldest first.
CREATE INDEX list_changes_created_at_idx ON list_changes (created_at);

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
