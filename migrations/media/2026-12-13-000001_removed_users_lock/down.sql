CREATE OR REPLACE FUNCTION refuse_removed_user() RETURNS trigger
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
