-- Accounts whose data was removed (auth-service deleted them): nothing is
-- written for them again. A call in flight when the account was deleted,
-- or let through by a token check cached for a second, would otherwise
-- bring part of it back after the removal; such a write fails instead
-- (the service answers UNAUTHENTICATED, ACCOUNT_DELETED).
CREATE TABLE removed_users (
    user_id uuid PRIMARY KEY,
    removed_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION refuse_removed_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The owner is `user_id`, or a custom item's `created_by`.
    IF EXISTS (SELECT 1 FROM removed_users
               WHERE user_id = (to_jsonb(NEW)->>TG_ARGV[0])::uuid) THEN
        RAISE EXCEPTION 'the account was deleted';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER list_entries_refuse_removed BEFORE INSERT ON list_entries
FOR EACH ROW EXECUTE FUNCTION refuse_removed_user('user_id');
CREATE TRIGGER import_jobs_refuse_removed BEFORE INSERT ON import_jobs
FOR EACH ROW EXECUTE FUNCTION refuse_removed_user('user_id');
CREATE TRIGGER media_items_refuse_removed BEFORE INSERT ON media_items
FOR EACH ROW WHEN (NEW.created_by IS NOT NULL)
EXECUTE FUNCTION refuse_removed_user('created_by');
