-- A write for an account and the account's removal exclude each other.
-- The check below could not see a removal not yet committed, so a write
-- racing one went through and left its rows behind the removal's deletes.
-- Now each write holds a shared lock keyed by its owner until it commits,
-- and the removal first takes it exclusively in a transaction of its own
-- that records the account as removed (db::accounts::refuse_writes): it
-- waits for the writes under way, and a write that comes later waits for
-- it, then sees the record. Its deletes follow in another transaction and
-- see everything written before.
CREATE OR REPLACE FUNCTION refuse_removed_user() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    owner uuid := (to_jsonb(NEW)->>TG_ARGV[0])::uuid;
BEGIN
    -- The owner is `user_id`, or a custom item's `created_by`. The key is
    -- the one db::accounts::refuse_writes takes.
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(owner::text, 1919249775));
    IF EXISTS (SELECT 1 FROM removed_users WHERE user_id = owner) THEN
        RAISE EXCEPTION 'the account was deleted';
    END IF;
    RETURN NEW;
END;
$$;
