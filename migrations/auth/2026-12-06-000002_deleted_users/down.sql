DELETE FROM revocations WHERE kind = 'deleted';
ALTER TABLE revocations
    DROP CONSTRAINT revocations_kind_check,
    ADD CONSTRAINT revocations_kind_check
        CHECK (kind IN ('token', 'family', 'user', 'all')),
    DROP CONSTRAINT revocations_check1,
    ADD CONSTRAINT revocations_check1
        CHECK ((kind IN ('user', 'all')) = (issued_before IS NOT NULL));
DROP TABLE deleted_users;
